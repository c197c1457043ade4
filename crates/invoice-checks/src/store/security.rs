//! `security_events`: the audit of refused signatures, tampered returns and refused role checks
//! (IC-08; RELIABILITY "hostile input … each refused and audited"). Details never hold
//! personal data or secrets.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Metric counting security events, by `kind`.
pub const SECURITY_EVENTS: &str = "payops_invoice_checks_security_events_total";

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent<'a> {
    /// e.g. `sha_out_mismatch`, `return_mismatch`, `role_refused`.
    pub kind: &'static str,
    /// Tenant, when known.
    pub tenant: &'a str,
    /// Order, when known.
    pub order_id: &'a str,
    /// Caller, when known.
    pub actor: &'a str,
    /// What happened.
    pub detail: &'a str,
}

/// Logs, counts and stores a security event. A failure to store is logged, never hidden.
pub async fn record(pool: &PgPool, e: &SecurityEvent<'_>, at: DateTime<Utc>) {
    metrics::counter!(SECURITY_EVENTS, "kind" => e.kind).increment(1);
    tracing::warn!(target: "security", kind = e.kind, tenant = e.tenant, order_id = e.order_id, actor = e.actor,
        detail = e.detail, "security event");
    let stored = sqlx::query(
        "INSERT INTO security_events (kind, tenant, order_id, actor, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.kind)
    .bind(e.tenant)
    .bind(e.order_id)
    .bind(e.actor)
    .bind(e.detail)
    .bind(at)
    .execute(pool)
    .await;
    if let Err(err) = stored {
        tracing::error!(target: "security", kind = e.kind, error = %err, "security event could not be stored");
    }
}

/// Number of stored events of `kind` (tests, tools).
pub async fn count(pool: &PgPool, kind: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM security_events WHERE kind = $1").bind(kind).fetch_one(pool).await
}
