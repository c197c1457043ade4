//! `payops.hotline.v1.AgentService`.

use std::sync::Arc;

use proto::payops::common::v1::PageResponse;
use proto::payops::hotline::v1::agent_service_server::AgentService;
use proto::payops::hotline::v1::{
    AgentAccount, AgentRole, CreateAgentRequest, CreateAgentResponse, GetMeRequest, GetMeResponse, ListAgentsRequest,
    ListAgentsResponse, ListAuditEntriesRequest, ListAuditEntriesResponse, LoginRequest, LoginResponse, LogoutRequest,
    LogoutResponse, ResetAgentPasswordRequest, ResetAgentPasswordResponse, SetAgentActiveRequest,
    SetAgentActiveResponse, SetAgentRoleRequest, SetAgentRoleResponse, UnlockAgentRequest, UnlockAgentResponse,
};
use secrecy::ExposeSecret;
use tonic::{Request, Response, Status};

use super::convert;
use super::session;
use crate::domain::agent::{Permission, Role};
use crate::error::Error;
use crate::service::Hotline;
use crate::service::auth::SessionKind;

/// The gRPC agent service.
pub struct Agents {
    hotline: Arc<Hotline>,
}

impl Agents {
    /// A service over `hotline`.
    pub fn new(hotline: Arc<Hotline>) -> Self {
        Agents { hotline }
    }
}

#[tonic::async_trait]
impl AgentService for Agents {
    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginResponse>, Status> {
        let forwarded: Vec<&str> =
            request.metadata().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let client = self.hotline.auth.client_address(request.remote_addr().map(|a| a.ip()), &forwarded);
        let r = request.into_inner();
        let login = self.hotline.auth.login(&r.username, &r.password, client.as_deref(), SessionKind::Api).await?;
        Ok(Response::new(LoginResponse {
            token: login.token.expose_secret().to_owned(),
            expires_at: Some(kit::bus::event::timestamp(login.expires_at)),
            agent: Some(convert::agent(&login.actor)),
        }))
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<LogoutResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        self.hotline.auth.logout(&s).await?;
        Ok(Response::new(LogoutResponse {}))
    }

    async fn get_me(&self, request: Request<GetMeRequest>) -> Result<Response<GetMeResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        Ok(Response::new(GetMeResponse { agent: Some(convert::agent(&s.actor)) }))
    }

    async fn create_agent(
        &self,
        request: Request<CreateAgentRequest>,
    ) -> Result<Response<CreateAgentResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        self.hotline.require(&s.actor, Permission::ManageAgents).await?;
        let r = request.into_inner();
        // Anything else is refused by create_agent together with every other bad field.
        let role = role_of(r.role);
        let agent = self.hotline.auth.create_agent(&r.username, &r.display_name, role, &r.password).await?;
        let mut a = crate::service::audit::entry(&s.actor, "agent_created", format!("agent:{}", agent.name), "ok");
        a.details.insert("role".into(), role.as_str().into());
        self.hotline.audit(a).await?;
        Ok(Response::new(CreateAgentResponse { agent: Some(convert::agent(&agent)) }))
    }

    async fn list_audit_entries(
        &self,
        request: Request<ListAuditEntriesRequest>,
    ) -> Result<Response<ListAuditEntriesResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        let page = r.page.unwrap_or_default();
        let limit = if page.page_size <= 0 { 50 } else { i64::from(page.page_size.min(500)) };
        let before = if page.page_token.is_empty() {
            None
        } else {
            Some(page.page_token.parse::<i64>().map_err(|_| Error::field("page.page_token", "invalid token"))?)
        };
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let (actor, action) = (nonempty(&r.actor), nonempty(&r.action));
        let entries = self.hotline.audit_entries(&s.actor, before, actor.as_deref(), action.as_deref(), limit).await?;
        let next = if entries.len() as i64 == limit { entries.last().map(|e| e.id.to_string()) } else { None };
        Ok(Response::new(ListAuditEntriesResponse {
            entries: entries.iter().map(convert::audit).collect(),
            page: Some(PageResponse { next_page_token: next.unwrap_or_default() }),
        }))
    }

    async fn list_agents(&self, request: Request<ListAgentsRequest>) -> Result<Response<ListAgentsResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let rows = self.hotline.list_agents(&s.actor).await?;
        let agents = rows
            .iter()
            .map(|r| AgentAccount {
                agent: Some(convert::agent(&crate::domain::agent::Actor {
                    name: r.username.clone(),
                    display_name: r.display_name.clone(),
                    role: r.role(),
                    agent_id: Some(r.id),
                })),
                active: r.active,
            })
            .collect();
        Ok(Response::new(ListAgentsResponse { agents }))
    }

    async fn set_agent_active(
        &self,
        request: Request<SetAgentActiveRequest>,
    ) -> Result<Response<SetAgentActiveResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        self.hotline.set_agent_active(&s.actor, &r.username, r.active).await?;
        Ok(Response::new(SetAgentActiveResponse {}))
    }

    async fn set_agent_role(
        &self,
        request: Request<SetAgentRoleRequest>,
    ) -> Result<Response<SetAgentRoleResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        self.hotline.set_agent_role(&s.actor, &r.username, role_of(r.role)).await?;
        Ok(Response::new(SetAgentRoleResponse {}))
    }

    async fn reset_agent_password(
        &self,
        request: Request<ResetAgentPasswordRequest>,
    ) -> Result<Response<ResetAgentPasswordResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        self.hotline.reset_agent_password(&s.actor, &r.username, &r.password).await?;
        Ok(Response::new(ResetAgentPasswordResponse {}))
    }

    async fn unlock_agent(
        &self,
        request: Request<UnlockAgentRequest>,
    ) -> Result<Response<UnlockAgentResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        self.hotline.unlock_agent(&s.actor, &r.username).await?;
        Ok(Response::new(UnlockAgentResponse {}))
    }
}

/// The role of a request; anything but standard or admin becomes `Service`, which every
/// use case refuses as a field violation.
fn role_of(raw: i32) -> Role {
    match AgentRole::try_from(raw) {
        Ok(AgentRole::Admin) => Role::Admin,
        Ok(AgentRole::Standard) => Role::Standard,
        _ => Role::Service,
    }
}
