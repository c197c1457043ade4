//! `caller_journal` (SE-04): who asked for each money-moving call, written before the gateway
//! acts on it, so no payment, cancellation or refund happens without the caller on record.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// One request as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Entry {
    /// The authenticated caller.
    pub caller: String,
    /// `StartPayment`, `CancelPayment`, `StartRefund`, `RecordManualPayment`.
    pub method: String,
    /// Tenant.
    pub tenant_id: String,
    /// The request's idempotency key, when it has one.
    pub request_id: String,
    /// The payment it names, when it names one.
    pub payment_id: String,
}

/// Records `e` at `at`.
pub async fn record(pool: &PgPool, e: &Entry, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO caller_journal (at, caller, method, tenant_id, request_id, payment_id) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(&e.caller)
    .bind(&e.method)
    .bind(&e.tenant_id)
    .bind(&e.request_id)
    .bind(&e.payment_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A tenant's entries, oldest first.
pub async fn of_tenant(pool: &PgPool, tenant_id: &str) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT caller, method, tenant_id, request_id, payment_id FROM caller_journal WHERE tenant_id = $1 ORDER BY id",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}
