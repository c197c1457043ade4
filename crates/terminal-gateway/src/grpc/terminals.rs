//! `payops.terminal_gateway.v1.TerminalService`: credentials (TG-01), the registry (TG-02,
//! TG-23; ids checked against the Nets login, corrected or removed), live status and
//! troubleshooting (TG-03, TG-04, TG-24), workstations (TG-06), preflight (CT-06).

use std::time::Duration;

use futures::future::join_all;
use kit::grpc::status::Violations;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_service_server::TerminalService;
use secrecy::SecretString;
use tonic::{Request, Response, Status};

use super::convert;
use crate::domain::terminal::{self, NetsView, Problem, Readiness, TerminalSpec};
use crate::domain::{TenantId, TerminalId, WorkstationId};
use crate::error::Error;
use crate::nets::{NetsError, NetsLogin};
use crate::service::Engine;
use crate::store::{credentials, payments, terminals};

/// The terminal registry service.
pub struct Terminals {
    engine: Engine,
    status_timeout: Duration,
}

impl Terminals {
    /// A service on `engine`.
    pub fn new(engine: Engine, status_timeout: Duration) -> Self {
        Terminals { engine, status_timeout }
    }

    async fn view(&self, t: &terminals::TerminalRecord) -> Result<pb::Terminal, Error> {
        let waiting = payments::holder_of(self.engine.pool(), &t.tenant_id, &t.terminal_id).await?;
        Ok(convert::terminal(t, waiting))
    }

    /// Adds live status and "id known to Nets" to terminals of one tenant.
    async fn with_status(&self, tenant: &TenantId, list: &mut [pb::Terminal], active: &[bool]) -> Result<(), Error> {
        let login = credentials::load(self.engine.pool(), self.engine.sealer(), tenant).await?;
        let now = convert::ts(self.engine.now());
        let views: Vec<NetsView> = match &login {
            None => vec![NetsView::NoCredentials; list.len()],
            Some(login) => {
                let probes =
                    list.iter().map(|t| probe(&self.engine, login, t.terminal_id.clone(), self.status_timeout));
                join_all(probes).await
            }
        };
        for ((t, view), active) in list.iter_mut().zip(views).zip(active) {
            let (readiness, detail) = terminal::readiness(*active, &view);
            if let Some(ts) = t.troubleshooting.as_mut() {
                ts.id_known_to_nets = matches!(view, NetsView::State(_) | NetsView::Listed);
            }
            t.status = Some(pb::TerminalStatus {
                readiness: match readiness {
                    Readiness::Ready => pb::TerminalReadiness::Ready,
                    Readiness::Busy => pb::TerminalReadiness::Busy,
                    Readiness::Error(_) => pb::TerminalReadiness::Error,
                } as i32,
                problem: match readiness {
                    Readiness::Error(p) => problem(p),
                    _ => pb::TerminalProblem::Unspecified,
                } as i32,
                detail,
                nets_state: if let NetsView::State(s) = &view { s.clone() } else { String::new() },
                checked_at: Some(now),
            });
        }
        Ok(())
    }
}

async fn probe(engine: &Engine, login: &NetsLogin, id: String, limit: Duration) -> NetsView {
    tokio::time::timeout(limit, engine.nets_view(login, &id))
        .await
        .unwrap_or_else(|_| NetsView::Unavailable("Nets did not answer in time".into()))
}

fn problem(p: Problem) -> pb::TerminalProblem {
    match p {
        Problem::Inactive => pb::TerminalProblem::Inactive,
        Problem::UnknownAtNets => pb::TerminalProblem::UnknownAtNets,
        Problem::NotConnected => pb::TerminalProblem::NotConnected,
        Problem::NoCredentials => pb::TerminalProblem::NoCredentials,
        Problem::LoginFailed => pb::TerminalProblem::LoginFailed,
        Problem::NetsUnavailable => pb::TerminalProblem::NetsUnavailable,
    }
}

/// Parses tenant and terminal ids, reporting both at once.
pub(crate) fn ids(tenant: &str, terminal: &str) -> Result<(TenantId, TerminalId), Status> {
    let mut v = Violations::new();
    let t = v.check("tenant_id", TenantId::parse(tenant));
    let id = v.check("terminal_id", TerminalId::parse(terminal));
    match (t, id) {
        (Some(t), Some(id)) if v.is_empty() => Ok((t, id)),
        _ => Err(v.into_status()),
    }
}

fn tenant(t: &str) -> Result<TenantId, Status> {
    TenantId::parse(t).map_err(|e| kit::grpc::status::invalid_field("tenant_id", e.to_string()))
}

fn secret_field(v: &mut Violations, field: &str, value: &str) {
    let n = value.chars().count();
    if n == 0 || n > 200 {
        v.add(field, "must be 1 to 200 characters");
    }
}

#[tonic::async_trait]
impl TerminalService for Terminals {
    async fn set_nets_credentials(
        &self,
        request: Request<pb::SetNetsCredentialsRequest>,
    ) -> Result<Response<pb::SetNetsCredentialsResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let tenant = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        secret_field(&mut v, "username", &r.username);
        secret_field(&mut v, "password", &r.password);
        let Some(tenant) = tenant.filter(|_| v.is_empty()) else { return Err(v.into_status()) };
        let login = NetsLogin {
            tenant: tenant.clone(),
            username: r.username.clone(),
            password: SecretString::from(r.password),
        };
        if r.verify {
            self.engine.nets().session(&login, true).await.map(|_| ()).map_err(|e| match e {
                NetsError::LoginRefused(t) => Error::NetsLoginFailed(t),
                other => Error::NetsUnavailable(other.to_string()),
            })?;
        }
        let sealed = self.engine.sealer().seal(&tenant, &login.password).map_err(Error::from)?;
        let now = self.engine.now();
        credentials::upsert(self.engine.pool(), &tenant, &login.username, &sealed, now).await.map_err(Error::from)?;
        self.engine.nets().forget(&tenant);
        tracing::info!(tenant = %tenant, "Nets credentials stored");
        Ok(Response::new(pb::SetNetsCredentialsResponse { updated_at: Some(convert::ts(now)) }))
    }

    async fn get_nets_credentials(
        &self,
        request: Request<pb::GetNetsCredentialsRequest>,
    ) -> Result<Response<pb::GetNetsCredentialsResponse>, Status> {
        let tenant = tenant(&request.into_inner().tenant_id)?;
        let at = credentials::updated_at(self.engine.pool(), &tenant).await.map_err(Error::from)?;
        Ok(Response::new(pb::GetNetsCredentialsResponse { configured: at.is_some(), updated_at: at.map(convert::ts) }))
    }

    async fn register_terminal(
        &self,
        request: Request<pb::RegisterTerminalRequest>,
    ) -> Result<Response<pb::RegisterTerminalResponse>, Status> {
        let r = request.into_inner();
        let spec = TerminalSpec::parse(
            &r.tenant_id,
            &r.terminal_id,
            &r.display_name,
            &r.pos,
            r.active,
            &r.currency,
            &r.time_zone,
        )
        .map_err(Error::Invalid)?;
        let t = self.engine.register_terminal(&spec).await?;
        Ok(Response::new(pb::RegisterTerminalResponse { terminal: Some(self.view(&t).await?) }))
    }

    async fn change_terminal_id(
        &self,
        request: Request<pb::ChangeTerminalIdRequest>,
    ) -> Result<Response<pb::ChangeTerminalIdResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let t = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let id = v.check("terminal_id", TerminalId::parse(&r.terminal_id));
        let new_id = v.check("new_terminal_id", TerminalId::parse(&r.new_terminal_id));
        let (Some(t), Some(id), Some(new_id)) = (t, id, new_id) else { return Err(v.into_status()) };
        let rec = self.engine.change_terminal_id(&t, &id, &new_id).await?;
        Ok(Response::new(pb::ChangeTerminalIdResponse { terminal: Some(self.view(&rec).await?) }))
    }

    async fn remove_terminal(
        &self,
        request: Request<pb::RemoveTerminalRequest>,
    ) -> Result<Response<pb::RemoveTerminalResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = ids(&r.tenant_id, &r.terminal_id)?;
        self.engine.remove_terminal(&t, &id).await?;
        Ok(Response::new(pb::RemoveTerminalResponse {}))
    }

    async fn preflight(
        &self,
        request: Request<pb::PreflightRequest>,
    ) -> Result<Response<pb::PreflightResponse>, Status> {
        let t = tenant(&request.into_inner().tenant_id)?;
        let report = crate::preflight::run(&self.engine, &t).await?;
        Ok(Response::new(pb::PreflightResponse { report: Some(report.to_proto()) }))
    }

    async fn update_terminal(
        &self,
        request: Request<pb::UpdateTerminalRequest>,
    ) -> Result<Response<pb::UpdateTerminalResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let t = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let id = v.check("terminal_id", TerminalId::parse(&r.terminal_id));
        let name = terminal::check_name(&mut v, "display_name", &r.display_name);
        let pos = terminal::check_pos(&mut v, &r.pos);
        let (Some(t), Some(id), Some(name), Some(pos)) = (t, id, name, pos) else { return Err(v.into_status()) };
        let rec = terminals::update(self.engine.pool(), &t, &id, &name, pos.as_deref(), self.engine.now())
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        Ok(Response::new(pb::UpdateTerminalResponse { terminal: Some(self.view(&rec).await?) }))
    }

    async fn activate_terminal(
        &self,
        request: Request<pb::ActivateTerminalRequest>,
    ) -> Result<Response<pb::ActivateTerminalResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = ids(&r.tenant_id, &r.terminal_id)?;
        let rec = terminals::set_active(self.engine.pool(), &t, &id, true, self.engine.now())
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        Ok(Response::new(pb::ActivateTerminalResponse { terminal: Some(self.view(&rec).await?) }))
    }

    async fn deactivate_terminal(
        &self,
        request: Request<pb::DeactivateTerminalRequest>,
    ) -> Result<Response<pb::DeactivateTerminalResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = ids(&r.tenant_id, &r.terminal_id)?;
        let rec = terminals::set_active(self.engine.pool(), &t, &id, false, self.engine.now())
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        Ok(Response::new(pb::DeactivateTerminalResponse { terminal: Some(self.view(&rec).await?) }))
    }

    async fn get_terminal(
        &self,
        request: Request<pb::GetTerminalRequest>,
    ) -> Result<Response<pb::GetTerminalResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = ids(&r.tenant_id, &r.terminal_id)?;
        let rec = terminals::get(self.engine.pool(), &t, &id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        let mut list = vec![self.view(&rec).await?];
        if r.with_status {
            self.with_status(&t, &mut list, &[rec.active]).await?;
        }
        Ok(Response::new(pb::GetTerminalResponse { terminal: list.pop() }))
    }

    async fn list_terminals(
        &self,
        request: Request<pb::ListTerminalsRequest>,
    ) -> Result<Response<pb::ListTerminalsResponse>, Status> {
        let r = request.into_inner();
        let t = tenant(&r.tenant_id)?;
        let records = terminals::list(self.engine.pool(), &t).await.map_err(Error::from)?;
        let active: Vec<bool> = records.iter().map(|x| x.active).collect();
        let mut list = Vec::with_capacity(records.len());
        for rec in &records {
            list.push(self.view(rec).await?);
        }
        if r.with_status {
            self.with_status(&t, &mut list, &active).await?;
        }
        let groups = terminal::group_by_pos(
            list,
            |x| if x.pos.is_empty() { None } else { Some(x.pos.as_str()) },
            |x| x.display_name.as_str(),
        );
        let groups =
            groups.into_iter().map(|(p, terminals)| pb::PosGroup { pos: p.unwrap_or_default(), terminals }).collect();
        Ok(Response::new(pb::ListTerminalsResponse { groups }))
    }

    async fn get_workstation_terminal(
        &self,
        request: Request<pb::GetWorkstationTerminalRequest>,
    ) -> Result<Response<pb::GetWorkstationTerminalResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let t = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let ws = v.check("workstation_id", WorkstationId::parse(&r.workstation_id));
        let (Some(t), Some(ws)) = (t, ws) else { return Err(v.into_status()) };
        let found = terminals::workstation(self.engine.pool(), &t, &ws).await.map_err(Error::from)?;
        Ok(Response::new(pb::GetWorkstationTerminalResponse {
            terminal_id: found.as_ref().map(|f| f.0.clone()).unwrap_or_default(),
            updated_at: found.map(|f| convert::ts(f.1)),
        }))
    }

    async fn set_workstation_terminal(
        &self,
        request: Request<pb::SetWorkstationTerminalRequest>,
    ) -> Result<Response<pb::SetWorkstationTerminalResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let t = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let ws = v.check("workstation_id", WorkstationId::parse(&r.workstation_id));
        let id = v.check("terminal_id", TerminalId::parse(&r.terminal_id));
        let (Some(t), Some(ws), Some(id)) = (t, ws, id) else { return Err(v.into_status()) };
        terminals::get(self.engine.pool(), &t, &id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::TerminalUnknown(id.to_string()))?;
        let mut conn = self.engine.pool().acquire().await.map_err(Error::from)?;
        terminals::set_workstation(&mut conn, &t, &ws, &id, self.engine.now()).await.map_err(Error::from)?;
        Ok(Response::new(pb::SetWorkstationTerminalResponse { terminal_id: id.to_string() }))
    }
}
