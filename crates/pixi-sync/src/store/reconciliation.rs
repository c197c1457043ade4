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

/// The state of a scheduled run (a resumable job).
#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    /// Run id.
    pub id: Uuid,
    /// Orders changed since this time are checked.
    pub since: Option<DateTime<Utc>>,
    /// The last order checked.
    pub cursor_order_nr: i64,
    /// Failed steps in a row.
    pub failures: i32,
    /// No step before this time (after a failure).
    pub next_try_at: Option<DateTime<Utc>>,
}

/// The open scheduled run of a configuration.
pub async fn open_scheduled(pool: &PgPool, pixi_api_id: Uuid) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, since, cursor_order_nr, failures, next_try_at FROM reconciliation_runs \
         WHERE pixi_api_id = $1 AND trigger = 'scheduled' AND finished_at IS NULL",
    )
    .bind(pixi_api_id)
    .fetch_optional(pool)
    .await
}

/// Opens a scheduled run; `false` when one is open already (another replica was first).
pub async fn start_scheduled(
    pool: &PgPool,
    tenant_id: Uuid,
    pixi_api_id: Uuid,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO reconciliation_runs (id, tenant_id, pixi_api_id, trigger, started_at, since) \
         VALUES ($1, $2, $3, 'scheduled', $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(pixi_api_id)
    .bind(now)
    .bind(since)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Takes or renews the run's lease for `holder`; false while another holder's lease is valid.
pub async fn claim(
    pool: &PgPool,
    id: Uuid,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE reconciliation_runs SET holder = $2, lease_until = $4 WHERE id = $1 AND finished_at IS NULL \
         AND (holder IS NULL OR holder = $2 OR lease_until <= $3)",
    )
    .bind(id)
    .bind(holder)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a step: the mismatches found, the orders checked up to `cursor`; false when the lease
/// was lost meanwhile (nothing recorded: the new holder checks those orders).
pub async fn progress(
    pool: &PgPool,
    id: Uuid,
    holder: &str,
    cursor: i64,
    checked: i32,
    found: &[MismatchRow],
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let held: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM reconciliation_runs WHERE id = $1 AND holder = $2 FOR UPDATE")
            .bind(id)
            .bind(holder)
            .fetch_optional(&mut *tx)
            .await?;
    if held.is_none() {
        return Ok(false);
    }
    let mut added = 0;
    for m in found {
        let r = sqlx::query(
            "INSERT INTO mismatches (run_id, order_nr, document, code, currency, pixi_minor, unzer_minor, booked_minor, \
             description, incident_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(id)
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
        added += i32::try_from(r.rows_affected()).unwrap_or(0);
    }
    sqlx::query(
        "UPDATE reconciliation_runs SET cursor_order_nr = $2, orders_checked = orders_checked + $3, \
         mismatches = mismatches + $4, lease_until = $5, failures = 0, next_try_at = NULL, last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(cursor)
    .bind(checked)
    .bind(added)
    .bind(until)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A step failed: the run waits until `next_try_at` (its lease is given up so any replica may
/// resume it then).
pub async fn step_failed(
    pool: &PgPool,
    id: Uuid,
    holder: &str,
    next_try_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reconciliation_runs SET failures = failures + 1, next_try_at = $3, last_error = $4, holder = NULL, \
         lease_until = NULL WHERE id = $1 AND holder = $2",
    )
    .bind(id)
    .bind(holder)
    .bind(next_try_at)
    .bind(error)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Finishes the run.
pub async fn finish(pool: &PgPool, id: Uuid, holder: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE reconciliation_runs SET finished_at = $3, holder = NULL, lease_until = NULL WHERE id = $1 AND holder = $2 \
         AND finished_at IS NULL",
    )
    .bind(id)
    .bind(holder)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Mismatches of the latest finished run of every configuration (the gauge).
pub async fn current_total(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT sum(mismatches)::bigint FROM (SELECT DISTINCT ON (pixi_api_id) mismatches FROM reconciliation_runs \
         WHERE finished_at IS NOT NULL ORDER BY pixi_api_id, started_at DESC, id DESC) latest",
    )
    .fetch_one(pool)
    .await?;
    Ok(total.unwrap_or(0))
}
