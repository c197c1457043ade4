//! `payops.pixi_sync.v1.ConsoleUserService` (CN-01, SE-06): the console's users per tenant,
//! with write-only passwords; deactivation and a new password end the user's sessions; a
//! tenant keeps at least one active administering user; every change audited.

use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::console_user_service_server::ConsoleUserService;
use serde_json::json;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::ts;
use super::{Api, actor, uuid};
use crate::domain::console::{self, Role};
use crate::error::{Error, Result};
use crate::store::{audit, console as store, tenants};

/// The service.
pub struct ConsoleUsers {
    api: Api,
}

fn role_of(r: i32) -> Option<Role> {
    match pb::ConsoleRole::try_from(r) {
        Ok(pb::ConsoleRole::Viewer) => Some(Role::Viewer),
        Ok(pb::ConsoleRole::Operator) => Some(Role::Operator),
        Ok(pb::ConsoleRole::Admin) => Some(Role::Admin),
        _ => None,
    }
}

fn role_msg(r: &str) -> pb::ConsoleRole {
    match Role::parse(r) {
        Some(Role::Viewer) => pb::ConsoleRole::Viewer,
        Some(Role::Operator) => pb::ConsoleRole::Operator,
        Some(Role::Admin) => pb::ConsoleRole::Admin,
        None => pb::ConsoleRole::Unspecified,
    }
}

/// A user as its message.
pub fn user_msg(u: &store::UserRow) -> pb::ConsoleUser {
    pb::ConsoleUser {
        user_id: u.id,
        tenant_id: u.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: role_msg(&u.role) as i32,
        active: u.active,
        created_at: ts(u.created_at),
        updated_at: ts(u.updated_at),
    }
}

impl ConsoleUsers {
    /// The service over `api`.
    pub fn new(api: Api) -> Self {
        ConsoleUsers { api }
    }

    /// The tenant a request names: empty for the operators for every tenant.
    async fn tenant(&self, raw: &str) -> Result<Option<Uuid>> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let id = uuid("tenant_id", raw)?;
        tenants::get(&self.api.pool, id).await?.ok_or(Error::NotFound("tenant"))?;
        Ok(Some(id))
    }

    async fn create(&self, r: pb::CreateConsoleUserRequest, by: &str) -> Result<pb::ConsoleUser> {
        let tenant = self.tenant(&r.tenant_id).await?;
        let mut v = kit::grpc::status::Violations::new();
        let name = v.check("username", console::username(&r.username));
        let display = v.check("display_name", console::display_name(&r.display_name));
        let role = role_of(r.role);
        if role.is_none() {
            v.add("role", "must be viewer, operator or admin");
        }
        v.check("password", console::password(&r.password));
        let (Some(name), Some(display), Some(role), true) = (name, display, role, v.is_empty()) else {
            return Err(Error::Invalid(v));
        };
        let hash = self.api.console.hash(&r.password).await?;
        let now = self.api.clock.now();
        let row = store::insert_user(&self.api.pool, tenant, &name, &display, role.as_str(), &hash, now)
            .await?
            .ok_or_else(|| Error::AlreadyExists(format!("the login name {name:?} is taken")))?;
        let mut tx = self.api.pool.begin().await?;
        let detail = json!({ "username": name, "role": role.as_str(), "every_tenant": tenant.is_none() });
        audit::record(&mut tx, now, by, "console_user_created", tenant, &row.id.to_string(), detail).await?;
        tx.commit().await?;
        tracing::info!(user = %row.username, role = role.as_str(), by, "console user created");
        Ok(user_msg(&row))
    }

    async fn update(&self, r: pb::UpdateConsoleUserRequest, by: &str) -> Result<pb::ConsoleUser> {
        let tenant = self.tenant(&r.tenant_id).await?;
        let current = store::user(&self.api.pool, r.user_id)
            .await?
            .filter(|u| u.tenant_id == tenant)
            .ok_or(Error::NotFound("console user"))?;
        let mut v = kit::grpc::status::Violations::new();
        let role = role_of(r.role);
        if role.is_none() {
            v.add("role", "must be viewer, operator or admin");
        }
        if !r.new_password.is_empty() {
            v.check("new_password", console::password(&r.new_password));
        }
        let (Some(role), true) = (role, v.is_empty()) else { return Err(Error::Invalid(v)) };
        let stays_admin = r.active && role == Role::Admin;
        if current.active && current.role == Role::Admin.as_str() && !stays_admin {
            let others = store::users_of(&self.api.pool, tenant)
                .await?
                .iter()
                .filter(|u| u.id != current.id && u.active && u.role == Role::Admin.as_str())
                .count();
            if others == 0 {
                return Err(Error::refused(
                    "LAST_ADMIN",
                    "the tenant would have no active console user with the role admin left",
                ));
            }
        }
        let hash = if r.new_password.is_empty() { None } else { Some(self.api.console.hash(&r.new_password).await?) };
        let now = self.api.clock.now();
        let row = store::update_user(&self.api.pool, current.id, role.as_str(), r.active, hash.as_deref(), now)
            .await?
            .ok_or(Error::NotFound("console user"))?;
        let mut tx = self.api.pool.begin().await?;
        let detail = json!({ "username": row.username, "role": role.as_str(), "active": r.active,
            "password_changed": hash.is_some() });
        audit::record(&mut tx, now, by, "console_user_updated", tenant, &row.id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(user_msg(&row))
    }
}

#[tonic::async_trait]
impl ConsoleUserService for ConsoleUsers {
    async fn create_console_user(
        &self,
        req: Request<pb::CreateConsoleUserRequest>,
    ) -> Result<Response<pb::CreateConsoleUserResponse>, Status> {
        let by = actor(&req, "");
        Ok(Response::new(pb::CreateConsoleUserResponse { user: Some(self.create(req.into_inner(), &by).await?) }))
    }

    async fn list_console_users(
        &self,
        req: Request<pb::ListConsoleUsersRequest>,
    ) -> Result<Response<pb::ListConsoleUsersResponse>, Status> {
        let tenant = self.tenant(&req.into_inner().tenant_id).await?;
        let rows = store::users_of(&self.api.pool, tenant).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListConsoleUsersResponse { users: rows.iter().map(user_msg).collect() }))
    }

    async fn update_console_user(
        &self,
        req: Request<pb::UpdateConsoleUserRequest>,
    ) -> Result<Response<pb::UpdateConsoleUserResponse>, Status> {
        let by = actor(&req, "");
        Ok(Response::new(pb::UpdateConsoleUserResponse { user: Some(self.update(req.into_inner(), &by).await?) }))
    }
}
