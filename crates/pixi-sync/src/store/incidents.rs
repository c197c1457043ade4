//! The `incidents` table (PX-32): one row per incident, one mail per error (hints are shown,
//! never mailed). The mail state is claimed (`sending`) before the mail goes out and settled
//! after; a claim older than the SMTP timeout is taken over (at worst one duplicate mail after a
//! crash, never none). An error raised while the tenant has no SMTP configuration waits
//! (`no_config`) until one is saved ([`arm_waiting_mails`]).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// An incident.
#[derive(Debug, Clone, FromRow)]
pub struct IncidentRow {
    /// Stable id.
    pub id: String,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Order.
    pub order_nr: i64,
    /// `error` or `hint`.
    pub severity: String,
    /// Code.
    pub code: String,
    /// Document.
    pub document: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// Occurrences.
    pub occurrences: i32,
    /// Mail state.
    pub mail_state: String,
    /// Mail attempts so far (the retry backoff grows with them).
    pub mail_attempts: i32,
    /// Mailed.
    pub mailed_at: Option<DateTime<Utc>>,
    /// Solved.
    pub solved_at: Option<DateTime<Utc>>,
    /// Solved by.
    pub solved_by: Option<String>,
}

const COLS: &str = "id, tenant_id, pixi_api_id, order_nr, severity, code, document, title, description, first_seen, \
     last_seen, occurrences, mail_state, mail_attempts, mailed_at, solved_at, solved_by";

/// A new incident to record.
#[derive(Debug, Clone)]
pub struct NewIncident<'a> {
    /// Stable id.
    pub id: &'a str,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Order.
    pub order_nr: i64,
    /// `error` or `hint`.
    pub severity: &'a str,
    /// Code.
    pub code: &'a str,
    /// Document.
    pub document: Option<&'a str>,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
}

/// Records an occurrence; true when the incident is new, or was solved and occurs again (after
/// an operator's retry): publish and mail it then.
pub async fn record(tx: &mut PgConnection, i: &NewIncident<'_>, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let new: bool = sqlx::query_scalar(
        "WITH prev AS (SELECT solved_at FROM incidents WHERE id = $1) \
         INSERT INTO incidents (id, tenant_id, pixi_api_id, order_nr, severity, code, document, title, description, \
         first_seen, last_seen, mail_state, mail_next_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, \
         CASE WHEN $5 = 'error' THEN 'pending' ELSE 'not_mailed' END, CASE WHEN $5 = 'error' THEN $10 END) \
         ON CONFLICT (id) DO UPDATE SET occurrences = incidents.occurrences + 1, last_seen = $10, \
         solved_at = NULL, solved_by = NULL, \
         mail_state = CASE WHEN incidents.solved_at IS NULL OR incidents.severity <> 'error' THEN incidents.mail_state \
           ELSE 'pending' END, \
         mail_attempts = CASE WHEN incidents.solved_at IS NULL OR incidents.severity <> 'error' THEN incidents.mail_attempts \
           ELSE 0 END, \
         mail_next_at = CASE WHEN incidents.solved_at IS NULL OR incidents.severity <> 'error' THEN incidents.mail_next_at \
           ELSE $10 END \
         RETURNING (xmax = 0 OR (SELECT solved_at FROM prev) IS NOT NULL)",
    )
    .bind(i.id)
    .bind(i.tenant_id)
    .bind(i.pixi_api_id)
    .bind(i.order_nr)
    .bind(i.severity)
    .bind(i.code)
    .bind(i.document)
    .bind(i.title)
    .bind(i.description)
    .bind(now)
    .fetch_one(tx)
    .await?;
    Ok(new)
}

/// Incidents of an order, oldest first.
pub async fn of_order(pool: &PgPool, pixi_api_id: Uuid, order_nr: i64) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM incidents WHERE pixi_api_id = $1 AND order_nr = $2 ORDER BY first_seen, id"
    ))
    .bind(pixi_api_id)
    .bind(order_nr)
    .fetch_all(pool)
    .await
}

/// Open incident ids per order of `orders` (dashboard rows).
pub async fn open_ids(pool: &PgPool, keys: &[(Uuid, i64)]) -> Result<Vec<(Uuid, i64, String)>, sqlx::Error> {
    let apis: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
    let nrs: Vec<i64> = keys.iter().map(|k| k.1).collect();
    sqlx::query_as(
        "SELECT i.pixi_api_id, i.order_nr, i.id FROM incidents i JOIN unnest($1::uuid[], $2::bigint[]) AS k(a, n) \
         ON i.pixi_api_id = k.a AND i.order_nr = k.n WHERE i.solved_at IS NULL ORDER BY i.first_seen, i.id",
    )
    .bind(&apis)
    .bind(&nrs)
    .fetch_all(pool)
    .await
}

/// Open incidents of a tenant (error page), newest first.
pub async fn open_of_tenant(pool: &PgPool, tenant_id: Uuid, limit: i64) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM incidents WHERE tenant_id = $1 AND solved_at IS NULL ORDER BY last_seen DESC, id LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Marks an order's open incidents solved; returns their ids.
pub async fn solve(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE incidents SET solved_at = $3, solved_by = $4 WHERE pixi_api_id = $1 AND order_nr = $2 \
         AND solved_at IS NULL RETURNING id",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(now)
    .bind(by)
    .fetch_all(tx)
    .await
}

/// Claims incidents whose mail is due (pending, or a stale claim).
pub async fn claim_mail(
    pool: &PgPool,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE incidents SET mail_state = 'sending', mail_attempts = mail_attempts + 1, mail_next_at = $1 \
         WHERE id IN (SELECT id FROM incidents WHERE (mail_state = 'pending' AND mail_next_at <= $1) \
         OR (mail_state = 'sending' AND mail_next_at < $2) ORDER BY mail_next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING {COLS}"
    ))
    .bind(now)
    .bind(stale_before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Makes the mails of the tenant's open errors that waited for an SMTP configuration due now.
pub async fn arm_waiting_mails(tx: &mut PgConnection, tenant_id: Uuid, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE incidents SET mail_state = 'pending', mail_next_at = $2, mail_attempts = 0 \
         WHERE tenant_id = $1 AND mail_state = 'no_config' AND solved_at IS NULL",
    )
    .bind(tenant_id)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected())
}

/// Settles a mail: sent, no SMTP configuration, or retry at `retry_at`. "No configuration"
/// turns into a retry at once when a configuration was saved meanwhile (no mail waits for a save
/// that already happened).
pub async fn mail_done(
    pool: &PgPool,
    id: &str,
    state: &str,
    now: DateTime<Utc>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE incidents SET \
         mail_state = CASE WHEN $2 = 'no_config' AND EXISTS (SELECT 1 FROM smtp_configs s WHERE s.tenant_id = incidents.tenant_id) \
           THEN 'pending' ELSE $2 END, \
         mailed_at = CASE WHEN $2 = 'sent' THEN $3 ELSE mailed_at END, \
         mail_next_at = CASE WHEN $2 = 'no_config' AND EXISTS (SELECT 1 FROM smtp_configs s WHERE s.tenant_id = incidents.tenant_id) \
           THEN $3 ELSE $4 END WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(now)
    .bind(retry_at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Error mails of a tenant still waiting to be sent (pending or being sent).
pub async fn pending_error_mails(pool: &PgPool, tenant_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE mail_state IN ('pending', 'sending') AND severity = 'error') \
         FROM incidents WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_one(pool)
    .await
}
