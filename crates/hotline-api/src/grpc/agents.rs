//! `payops.hotline.v1.AgentService`.

use std::sync::Arc;

use proto::payops::common::v1::PageResponse;
use proto::payops::hotline::v1::agent_service_server::AgentService;
use proto::payops::hotline::v1::{
    AgentRole, CreateAgentRequest, CreateAgentResponse, GetMeRequest, GetMeResponse, ListAuditEntriesRequest,
    ListAuditEntriesResponse, LoginRequest, LoginResponse, LogoutRequest, LogoutResponse,
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
        let client = request.remote_addr().map(|a| a.ip().to_string());
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
        let role = match AgentRole::try_from(r.role) {
            Ok(AgentRole::Admin) => Role::Admin,
            Ok(AgentRole::Standard) => Role::Standard,
            // Refused by create_agent together with every other bad field.
            _ => Role::Service,
        };
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
}
