//! Agent lifecycle (SE-06) and unlocking (SE-05), for admins only: list agents, deactivate
//! and reactivate them, change their role, reset their password and forget their failed
//! logins. Deactivation and a new password end the agent's sessions at once. Every change is
//! written to the audit log; an admin cannot deactivate or demote themselves, so the portal
//! always keeps an admin.

use super::Hotline;
use super::audit::entry;
use crate::domain::agent::{Actor, Permission, Role, Username, check_new_password};
use crate::error::{Error, Result};
use crate::store::agents::{self, AgentRow};
use crate::store::sessions;

impl Hotline {
    /// Every agent (admins only).
    pub async fn list_agents(&self, actor: &Actor) -> Result<Vec<AgentRow>> {
        self.require(actor, Permission::ManageAgents).await?;
        Ok(agents::list(&self.pool).await?)
    }

    /// Deactivates (or reactivates) `username`; deactivation ends its sessions at once.
    pub async fn set_agent_active(&self, actor: &Actor, username: &str, active: bool) -> Result<()> {
        self.require(actor, Permission::ManageAgents).await?;
        let name = parse_name(username)?;
        if !active && name.as_str() == actor.name {
            return Err(own_account());
        }
        let id = agents::set_active(&self.pool, name.as_str(), active).await?.ok_or(Error::NotFound("agent"))?;
        let ended = if active { 0 } else { sessions::delete_of_agent(&self.pool, id).await? };
        let action = if active { "agent_activated" } else { "agent_deactivated" };
        let mut a = entry(actor, action, format!("agent:{name}"), "ok");
        a.details.insert("sessions_ended".into(), ended.to_string());
        self.audit(a).await?;
        tracing::info!(actor = %actor.name, agent = %name, active, "agent activity changed");
        Ok(())
    }

    /// Changes the role of `username`; its sessions carry the new role from their next call.
    pub async fn set_agent_role(&self, actor: &Actor, username: &str, role: Role) -> Result<()> {
        self.require(actor, Permission::ManageAgents).await?;
        let name = parse_name(username)?;
        if role == Role::Service {
            return Err(Error::field("role", "must be standard or admin"));
        }
        if role != Role::Admin && name.as_str() == actor.name {
            return Err(own_account());
        }
        agents::set_role(&self.pool, name.as_str(), role).await?.ok_or(Error::NotFound("agent"))?;
        let mut a = entry(actor, "agent_role_changed", format!("agent:{name}"), "ok");
        a.details.insert("role".into(), role.as_str().into());
        self.audit(a).await?;
        Ok(())
    }

    /// Sets a new password for `username` and ends its sessions at once.
    pub async fn reset_agent_password(&self, actor: &Actor, username: &str, password: &str) -> Result<()> {
        self.require(actor, Permission::ManageAgents).await?;
        let mut v = kit::grpc::status::Violations::new();
        let name = v.check("username", Username::parse(username));
        v.check("password", check_new_password(password));
        let Some(name) = name.filter(|_| v.is_empty()) else { return Err(Error::Invalid(v)) };
        let hash = self.auth.hash(password).await?;
        let id = agents::set_password_hash(&self.pool, name.as_str(), &hash).await?.ok_or(Error::NotFound("agent"))?;
        let ended = sessions::delete_of_agent(&self.pool, id).await?;
        let mut a = entry(actor, "agent_password_reset", format!("agent:{name}"), "ok");
        a.details.insert("sessions_ended".into(), ended.to_string());
        self.audit(a).await?;
        Ok(())
    }

    /// Forgets every failed login for `username` from any address (SE-05).
    pub async fn unlock_agent(&self, actor: &Actor, username: &str) -> Result<()> {
        self.require(actor, Permission::ManageAgents).await?;
        let name = parse_name(username)?;
        agents::by_username(&self.pool, name.as_str()).await?.ok_or(Error::NotFound("agent"))?;
        let forgotten = sessions::clear_failures_of_name(&self.pool, name.as_str()).await?;
        let mut a = entry(actor, "agent_unlocked", format!("agent:{name}"), "ok");
        a.details.insert("failures_forgotten".into(), forgotten.to_string());
        self.audit(a).await?;
        Ok(())
    }
}

fn parse_name(username: &str) -> Result<Username> {
    Username::parse(username).map_err(|e| Error::field("username", e.to_string()))
}

fn own_account() -> Error {
    Error::Precondition {
        reason: "OWN_ACCOUNT",
        message: "Das eigene Konto kann nicht deaktiviert oder herabgestuft werden.".into(),
    }
}
