//! The audit log: configuration changes and "problem solved" (PX-30), with who and when.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Appends one entry inside the caller's transaction.
pub async fn record(
    tx: &mut PgConnection,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    tenant_id: Option<Uuid>,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, tenant_id, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(tenant_id)
        .bind(target)
        .bind(detail)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Entries of a tenant, oldest first (tests and support).
pub async fn of_tenant(pool: &sqlx::PgPool, tenant_id: Uuid) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT actor, action, target FROM audit_log WHERE tenant_id = $1 ORDER BY id")
        .bind(tenant_id)
        .fetch_all(pool)
        .await
}
