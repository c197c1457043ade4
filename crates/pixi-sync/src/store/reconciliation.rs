//! Reconciliation runs and their mismatches (PX-44).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// A run.
#[derive(Debug, Clone, FromRow)]
pub struct RunRow {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// `scheduled` or `on_demand`.
    pub trigger: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Orders checked.
    pub orders_checked: i32,
    /// Mismatches.
    pub mismatches: i32,
}

/// A mismatch.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct MismatchRow {
    /// Order.
    pub order_nr: i64,
    /// Document (empty for the order).
    pub document: String,
    /// Code.
    pub code: String,
    /// Currency.
    pub currency: String,
    /// pixi amount.
    pub pixi_minor: i64,
    /// unzer amount.
    pub unzer_minor: i64,
    /// Booked amount.
    pub booked_minor: i64,
    /// Description.
    pub description: String,
    /// Incident id.
    pub incident_id: String,
}

/// Stores a finished run with its mismatches in one transaction.
pub async fn store(pool: &PgPool, run: &RunRow, mismatches: &[MismatchRow]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO reconciliation_runs (id, tenant_id, pixi_api_id, trigger, started_at, finished_at, orders_checked, mismatches) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(run.id)
    .bind(run.tenant_id)
    .bind(run.pixi_api_id)
    .bind(&run.trigger)
    .bind(run.started_at)
    .bind(run.finished_at)
    .bind(run.orders_checked)
    .bind(run.mismatches)
    .execute(&mut *tx)
    .await?;
    for m in mismatches {
        sqlx::query(
            "INSERT INTO mismatches (run_id, order_nr, document, code, currency, pixi_minor, unzer_minor, booked_minor, \
             description, incident_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(run.id)
        .bind(m.order_nr)
        .bind(&m.document)
        .bind(&m.code)
        .bind(&m.currency)
        .bind(m.pixi_minor)
        .bind(m.unzer_minor)
        .bind(m.booked_minor)
        .bind(&m.description)
        .bind(&m.incident_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

const RUN_COLS: &str = "id, tenant_id, pixi_api_id, trigger, started_at, finished_at, orders_checked, mismatches";

/// A run by id.
pub async fn run(pool: &PgPool, id: Uuid) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {RUN_COLS} FROM reconciliation_runs WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The latest run of a configuration.
pub async fn latest(pool: &PgPool, pixi_api_id: Uuid) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {RUN_COLS} FROM reconciliation_runs WHERE pixi_api_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1"
    ))
    .bind(pixi_api_id)
    .fetch_optional(pool)
    .await
}

/// The mismatches of a run.
pub async fn mismatches(pool: &PgPool, run_id: Uuid) -> Result<Vec<MismatchRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_nr, document, code, currency, pixi_minor, unzer_minor, booked_minor, description, incident_id \
         FROM mismatches WHERE run_id = $1 ORDER BY order_nr, document, code",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await
}
