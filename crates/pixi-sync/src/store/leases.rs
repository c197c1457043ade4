//! Leases per pixi API configuration (PX-41): a replica works on a tenant's configuration only
//! while it holds the lease; it renews it every pass; a dead replica's lease expires after
//! `LEASE_TTL` and another takes over. Times come from the service clock, so tests can let a
//! lease expire by moving it.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Takes or renews the lease of `pixi_api_id` for `holder` until `until`; false while another
/// holder's lease is still valid at `now`.
pub async fn acquire(
    pool: &PgPool,
    pixi_api_id: Uuid,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let got: Option<String> = sqlx::query_scalar(
        "INSERT INTO leases (pixi_api_id, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (pixi_api_id) DO UPDATE SET holder = $2, expires_at = $4, \
         acquired_at = CASE WHEN leases.holder = $2 THEN leases.acquired_at ELSE $3 END \
         WHERE leases.holder = $2 OR leases.expires_at <= $3 RETURNING holder",
    )
    .bind(pixi_api_id)
    .bind(holder)
    .bind(now)
    .bind(until)
    .fetch_optional(pool)
    .await?;
    Ok(got.is_some())
}

/// Gives the lease up (graceful shutdown).
pub async fn release(pool: &PgPool, pixi_api_id: Uuid, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM leases WHERE pixi_api_id = $1 AND holder = $2")
        .bind(pixi_api_id)
        .bind(holder)
        .execute(pool)
        .await
        .map(|_| ())
}

/// The current holder (tests and diagnostics).
pub async fn holder(pool: &PgPool, pixi_api_id: Uuid) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as("SELECT holder, expires_at FROM leases WHERE pixi_api_id = $1")
        .bind(pixi_api_id)
        .fetch_optional(pool)
        .await
}
