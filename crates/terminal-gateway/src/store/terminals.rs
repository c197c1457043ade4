//! The `terminals` and `workstations` tables: the registry (TG-02), troubleshooting counters
//! (TG-24) and each workstation's last terminal (TG-06).

use chrono::{DateTime, Utc};
use kit::Currency;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::domain::terminal::TerminalSpec;
use crate::domain::{TenantId, TerminalId, WorkstationId};

/// Name of the primary key, violated by a second registration of one id.
pub const PKEY: &str = "terminals_pkey";

/// A stored terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalRecord {
    /// Tenant.
    pub tenant_id: String,
    /// Nets terminal id.
    pub terminal_id: String,
    /// Display name.
    pub display_name: String,
    /// Point of sale.
    pub pos: Option<String>,
    /// May take payments.
    pub active: bool,
    /// Currency.
    pub currency: Currency,
    /// Time zone of the terminal's clock.
    pub time_zone: chrono_tz::Tz,
    /// Last error seen.
    pub last_error: Option<String>,
    /// When.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failures since the last approval.
    pub consecutive_failures: i32,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, terminal_id, display_name, pos, active, currency, time_zone, last_error, \
                       last_error_at, consecutive_failures, created_at";

fn row(r: &PgRow) -> Result<TerminalRecord, sqlx::Error> {
    let currency: String = r.try_get("currency")?;
    let time_zone: String = r.try_get("time_zone")?;
    Ok(TerminalRecord {
        tenant_id: r.try_get("tenant_id")?,
        terminal_id: r.try_get("terminal_id")?,
        display_name: r.try_get("display_name")?,
        pos: r.try_get("pos")?,
        active: r.try_get("active")?,
        currency: Currency::parse(&currency).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        time_zone: time_zone.parse().map_err(|_| sqlx::Error::Decode("invalid stored time zone".into()))?,
        last_error: r.try_get("last_error")?,
        last_error_at: r.try_get("last_error_at")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Registers a terminal; a second registration violates [`PKEY`].
pub async fn insert(pool: &PgPool, spec: &TerminalSpec, at: DateTime<Utc>) -> Result<TerminalRecord, sqlx::Error> {
    let r = sqlx::query(&format!(
        "INSERT INTO terminals (tenant_id, terminal_id, display_name, pos, active, currency, time_zone, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $7) RETURNING {COLUMNS}"
    ))
    .bind(spec.tenant_id.as_str())
    .bind(spec.terminal_id.as_str())
    .bind(&spec.display_name)
    .bind(&spec.pos)
    .bind(spec.active)
    .bind(spec.currency.as_str())
    .bind(at)
    .bind(spec.time_zone.name())
    .fetch_one(pool)
    .await?;
    row(&r)
}

/// One terminal.
pub async fn get(pool: &PgPool, tenant: &TenantId, id: &TerminalId) -> Result<Option<TerminalRecord>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM terminals WHERE tenant_id = $1 AND terminal_id = $2"))
        .bind(tenant.as_str())
        .bind(id.as_str())
        .fetch_optional(pool)
        .await?;
    r.as_ref().map(row).transpose()
}

/// Every terminal of a tenant.
pub async fn list(pool: &PgPool, tenant: &TenantId) -> Result<Vec<TerminalRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM terminals WHERE tenant_id = $1 ORDER BY terminal_id"))
        .bind(tenant.as_str())
        .fetch_all(pool)
        .await?;
    rows.iter().map(row).collect()
}

/// Replaces name and point of sale.
pub async fn update(
    pool: &PgPool,
    tenant: &TenantId,
    id: &TerminalId,
    display_name: &str,
    pos: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<TerminalRecord>, sqlx::Error> {
    let r = sqlx::query(&format!(
        "UPDATE terminals SET display_name = $3, pos = $4, updated_at = $5 WHERE tenant_id = $1 AND terminal_id = $2 \
         RETURNING {COLUMNS}"
    ))
    .bind(tenant.as_str())
    .bind(id.as_str())
    .bind(display_name)
    .bind(pos)
    .bind(at)
    .fetch_optional(pool)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Activates or deactivates.
pub async fn set_active(
    pool: &PgPool,
    tenant: &TenantId,
    id: &TerminalId,
    active: bool,
    at: DateTime<Utc>,
) -> Result<Option<TerminalRecord>, sqlx::Error> {
    let r = sqlx::query(&format!(
        "UPDATE terminals SET active = $3, updated_at = $4 WHERE tenant_id = $1 AND terminal_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(tenant.as_str())
    .bind(id.as_str())
    .bind(active)
    .bind(at)
    .fetch_optional(pool)
    .await?;
    r.as_ref().map(row).transpose()
}

/// Removes a terminal registered with a wrong id (the seed's troubleshooting: the stored id
/// must match Nets'). Refused by the caller while a payment holds it; payments keep the id
/// they ran with. The workstations that pointed at it forget it.
pub async fn remove(conn: &mut PgConnection, tenant: &TenantId, id: &TerminalId) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM workstations WHERE tenant_id = $1 AND terminal_id = $2")
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    let r = sqlx::query("DELETE FROM terminals WHERE tenant_id = $1 AND terminal_id = $2")
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Corrects a terminal's id: name, point of sale, flag, currency and time zone stay; the
/// troubleshooting counters start over (they were about the wrong id); workstations follow.
/// A second terminal with the new id violates [`PKEY`].
pub async fn change_id(
    conn: &mut PgConnection,
    tenant: &TenantId,
    id: &TerminalId,
    new_id: &TerminalId,
    at: DateTime<Utc>,
) -> Result<Option<TerminalRecord>, sqlx::Error> {
    let r = sqlx::query(&format!(
        "UPDATE terminals SET terminal_id = $3, last_error = NULL, last_error_at = NULL, consecutive_failures = 0, \
         updated_at = $4 WHERE tenant_id = $1 AND terminal_id = $2 RETURNING {COLUMNS}"
    ))
    .bind(tenant.as_str())
    .bind(id.as_str())
    .bind(new_id.as_str())
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    if r.is_some() {
        sqlx::query("UPDATE workstations SET terminal_id = $3 WHERE tenant_id = $1 AND terminal_id = $2")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .bind(new_id.as_str())
            .execute(conn)
            .await?;
    }
    r.as_ref().map(row).transpose()
}

/// Records a failure on the terminal; returns the failures in a row now.
pub async fn record_failure(
    conn: &mut PgConnection,
    tenant: &str,
    id: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<i32, sqlx::Error> {
    let n: Option<i32> = sqlx::query_scalar(
        "UPDATE terminals SET last_error = $3, last_error_at = $4, consecutive_failures = consecutive_failures + 1 \
         WHERE tenant_id = $1 AND terminal_id = $2 RETURNING consecutive_failures",
    )
    .bind(tenant)
    .bind(id)
    .bind(error)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Records an approval: the failure streak ends.
pub async fn record_success(conn: &mut PgConnection, tenant: &str, id: &str) -> Result<(), sqlx::Error> {
    // Writes (and logs WAL) only when a streak is actually broken.
    sqlx::query(
        "UPDATE terminals SET consecutive_failures = 0 WHERE tenant_id = $1 AND terminal_id = $2 \
         AND consecutive_failures <> 0",
    )
    .bind(tenant)
    .bind(id)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Remembers the workstation's terminal.
pub async fn set_workstation(
    conn: &mut PgConnection,
    tenant: &TenantId,
    workstation: &WorkstationId,
    terminal: &TerminalId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workstations (tenant_id, workstation_id, terminal_id, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, workstation_id) DO UPDATE SET terminal_id = $3, updated_at = $4",
    )
    .bind(tenant.as_str())
    .bind(workstation.as_str())
    .bind(terminal.as_str())
    .bind(at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// The workstation's terminal and when it was set.
pub async fn workstation(
    pool: &PgPool,
    tenant: &TenantId,
    workstation: &WorkstationId,
) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    let r =
        sqlx::query("SELECT terminal_id, updated_at FROM workstations WHERE tenant_id = $1 AND workstation_id = $2")
            .bind(tenant.as_str())
            .bind(workstation.as_str())
            .fetch_optional(pool)
            .await?;
    r.map(|r| Ok((r.try_get("terminal_id")?, r.try_get("updated_at")?))).transpose()
}
