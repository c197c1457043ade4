//! Per pixi API configuration: the change-feed cursor, the scan schedules and the backoff
//! after pixi outages (PX-42); the configuration problems found in pixi (PX-26); webhook
//! triggers.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// The worker's schedule of one configuration.
#[derive(Debug, Clone, Default, FromRow)]
pub struct SyncRow {
    /// Change-feed cursor as pixi returned it (`DateTimeTo`).
    pub changed_from: Option<String>,
    /// Next full scan.
    pub next_full_scan_at: Option<DateTime<Utc>>,
    /// Next payment-method check.
    pub next_method_check_at: Option<DateTime<Utc>>,
    /// Next scheduled reconciliation.
    pub next_reconcile_at: Option<DateTime<Utc>>,
    /// No pixi calls before this (outage backoff).
    pub backoff_until: Option<DateTime<Utc>>,
    /// Consecutive failed passes.
    pub failures: i32,
}

/// The row (created empty when missing).
pub async fn get(pool: &PgPool, pixi_api_id: Uuid) -> Result<SyncRow, sqlx::Error> {
    sqlx::query("INSERT INTO sync_state (pixi_api_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(pixi_api_id)
        .execute(pool)
        .await?;
    sqlx::query_as(
        "SELECT changed_from, next_full_scan_at, next_method_check_at, next_reconcile_at, backoff_until, failures \
         FROM sync_state WHERE pixi_api_id = $1",
    )
    .bind(pixi_api_id)
    .fetch_one(pool)
    .await
}

/// Stores the cursor.
pub async fn set_cursor(pool: &PgPool, pixi_api_id: Uuid, from: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_state SET changed_from = $2 WHERE pixi_api_id = $1")
        .bind(pixi_api_id)
        .bind(from)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Sets one schedule column (`next_full_scan_at`, `next_method_check_at`, `next_reconcile_at`).
pub async fn set_next(pool: &PgPool, pixi_api_id: Uuid, column: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let col = match column {
        "next_full_scan_at" | "next_method_check_at" | "next_reconcile_at" => column,
        _ => return Ok(()),
    };
    sqlx::query(&format!("UPDATE sync_state SET {col} = $2 WHERE pixi_api_id = $1"))
        .bind(pixi_api_id)
        .bind(at)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Records a pass: success resets the backoff; failure backs off.
pub async fn passed(
    pool: &PgPool,
    pixi_api_id: Uuid,
    now: DateTime<Utc>,
    error: Option<&str>,
    backoff_until: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sync_state SET last_run_at = $2, last_error = $3, backoff_until = $4, \
         failures = CASE WHEN $3::text IS NULL THEN 0 ELSE failures + 1 END WHERE pixi_api_id = $1",
    )
    .bind(pixi_api_id)
    .bind(now)
    .bind(error)
    .bind(backoff_until)
    .execute(pool)
    .await
    .map(|_| ())
}

/// A configuration problem (PX-26).
#[derive(Debug, Clone, FromRow)]
pub struct ConfigProblemRow {
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Payment method.
    pub payment_method: String,
    /// Code.
    pub code: String,
    /// Message.
    pub message: String,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
}

/// Records (or refreshes) a configuration problem; true when new or re-opened.
pub async fn config_problem(
    pool: &PgPool,
    tenant_id: Uuid,
    pixi_api_id: Uuid,
    method: &str,
    code: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO config_problems (pixi_api_id, payment_method, code, tenant_id, message, first_seen, last_seen) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (pixi_api_id, payment_method, code) DO UPDATE \
         SET last_seen = $6, message = $5, resolved_at = NULL RETURNING (xmax = 0 OR config_problems.resolved_at IS NOT NULL)",
    )
    .bind(pixi_api_id)
    .bind(method)
    .bind(code)
    .bind(tenant_id)
    .bind(message)
    .bind(now)
    .fetch_one(pool)
    .await
}

/// Marks the problems of `method` not in `codes` resolved.
pub async fn resolve_config_problems(
    pool: &PgPool,
    pixi_api_id: Uuid,
    method: &str,
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE config_problems SET resolved_at = $4 WHERE pixi_api_id = $1 AND payment_method = $2 \
         AND NOT (code = ANY($3)) AND resolved_at IS NULL",
    )
    .bind(pixi_api_id)
    .bind(method)
    .bind(codes)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Open configuration problems of a tenant, oldest first.
pub async fn config_problems(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<ConfigProblemRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT pixi_api_id, payment_method, code, message, first_seen, last_seen FROM config_problems \
         WHERE tenant_id = $1 AND resolved_at IS NULL ORDER BY first_seen, payment_method, code",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}
