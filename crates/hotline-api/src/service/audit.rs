//! Writing and reading the audit log (HL-02, HL-43): every read of hotline data (codes,
//! transactions, customers, invoices, day listings, the audit log itself) and every write,
//! refusals included.
//! Details never hold a full mobile number or e-mail address.

use std::collections::BTreeMap;

use sqlx::PgConnection;

use super::Hotline;
use crate::domain::agent::{Actor, Permission, allows};
use crate::error::{Error, Result};
use crate::store::audit::{self, Entry, NewEntry};

/// Builds an entry.
pub fn entry(actor: &Actor, action: &'static str, target: impl Into<String>, outcome: &'static str) -> NewEntry {
    NewEntry {
        actor: actor.name.clone(),
        role: actor.role.as_str(),
        action,
        target: target.into(),
        outcome,
        details: BTreeMap::new(),
    }
}

impl Hotline {
    /// Writes an entry on its own.
    pub async fn audit(&self, e: NewEntry) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        audit::insert(&mut conn, &e, self.clock.now()).await?;
        Ok(())
    }

    /// Writes an entry inside the caller's transaction.
    pub async fn audit_in(&self, conn: &mut PgConnection, e: &NewEntry) -> Result<()> {
        audit::insert(conn, e, self.clock.now()).await?;
        Ok(())
    }

    /// Refuses (and audits) what `actor`'s role does not allow (HL-01).
    pub async fn require(&self, actor: &Actor, permission: Permission) -> Result<()> {
        if allows(actor.role, permission) {
            return Ok(());
        }
        tracing::warn!(actor = %actor.name, role = actor.role.as_str(), action = permission.as_str(), "refused by role");
        self.audit(entry(actor, "refused", permission.as_str(), "refused")).await?;
        Err(Error::Forbidden { role: actor.role.as_str(), action: permission.as_str() })
    }

    /// Audit entries newest first (admins only). Reading the log is itself recorded (HL-43):
    /// it holds who looked at whose personal data.
    pub async fn audit_entries(
        &self,
        actor: &Actor,
        before: Option<i64>,
        filter_actor: Option<&str>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Entry>> {
        self.require(actor, Permission::ReadAudit).await?;
        let entries = audit::list(&self.pool, before, filter_actor, action, limit.clamp(1, 500)).await?;
        let mut a = entry(actor, "audit_read", "audit_log", "ok");
        a.details.insert("entries".into(), entries.len().to_string());
        for (k, v) in [("actor", filter_actor), ("action", action)] {
            if let Some(v) = v {
                a.details.insert(k.into(), v.into());
            }
        }
        if let Some(b) = before {
            a.details.insert("before".into(), b.to_string());
        }
        self.audit(a).await?;
        Ok(entries)
    }
}
