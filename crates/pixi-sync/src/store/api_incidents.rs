//! The `api_incidents` table: incidents of a tenant's pixi API configuration rather than of an
//! order (a discovery call failing for good, refused credentials, a Mandant that never matches).
//! Open while the cause lasts; one mail per opening (a cause that comes back within an hour of
//! being resolved is not mailed again, so a flapping call cannot flood the tenant's inbox).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// An incident of a pixi API configuration.
#[derive(Debug, Clone, FromRow)]
pub struct ApiIncidentRow {
    /// Stable id (`PXT-…`).
    pub id: String,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Code, e.g. `DISCOVERY_CALL_FAILED`.
    pub code: String,
    /// What it is about (a call name, a payment method), empty when nothing more.
    pub subject: String,
    /// Title (German; no personal data).
    pub title: String,
    /// Description with what to do.
    pub description: String,
    /// First seen.
    pub first_seen: DateTime<Utc>,
    /// Last seen.
    pub last_seen: DateTime<Utc>,
    /// Occurrences.
    pub occurrences: i32,
    /// Mail attempts so far.
    pub mail_attempts: i32,
    /// When mailed.
    pub mailed_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, tenant_id, pixi_api_id, code, subject, title, description, first_seen, last_seen, occurrences, \
     mail_attempts, mailed_at";

/// A cause to record.
#[derive(Debug, Clone)]
pub struct Raise<'a> {
    /// Stable id.
    pub id: &'a str,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Code.
    pub code: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
}

/// Records an occurrence; true when the incident is new or opens again (log it then).
pub async fn raise(pool: &PgPool, r: &Raise<'_>, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "WITH prev AS (SELECT resolved_at FROM api_incidents WHERE id = $1) \
         INSERT INTO api_incidents (id, tenant_id, pixi_api_id, code, subject, title, description, first_seen, last_seen, \
         mail_next_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) \
         ON CONFLICT (id) DO UPDATE SET occurrences = api_incidents.occurrences + 1, last_seen = $8, title = $6, \
         description = $7, resolved_at = NULL, \
         first_seen = CASE WHEN api_incidents.resolved_at IS NULL THEN api_incidents.first_seen ELSE $8 END, \
         mail_state = CASE WHEN api_incidents.resolved_at < $8 - interval '1 hour' THEN 'pending' ELSE api_incidents.mail_state END, \
         mail_attempts = CASE WHEN api_incidents.resolved_at < $8 - interval '1 hour' THEN 0 ELSE api_incidents.mail_attempts END, \
         mail_next_at = CASE WHEN api_incidents.resolved_at < $8 - interval '1 hour' THEN $8 ELSE api_incidents.mail_next_at END \
         RETURNING ((SELECT count(*) FROM prev) = 0 OR (SELECT resolved_at FROM prev) IS NOT NULL)",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.pixi_api_id)
    .bind(r.code)
    .bind(r.subject)
    .bind(r.title)
    .bind(r.description)
    .bind(now)
    .fetch_one(pool)
    .await
}

/// Resolves the open incidents of `pixi_api_id` with `code` (and `subject` when given); returns
/// their ids.
pub async fn resolve(
    pool: &PgPool,
    pixi_api_id: Uuid,
    code: &str,
    subject: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE api_incidents SET resolved_at = $4 WHERE pixi_api_id = $1 AND code = $2 \
         AND ($3::text IS NULL OR subject = $3) AND resolved_at IS NULL RETURNING id",
    )
    .bind(pixi_api_id)
    .bind(code)
    .bind(subject)
    .bind(now)
    .fetch_all(pool)
    .await
}

/// Open incidents of a tenant, newest first.
pub async fn open_of_tenant(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<ApiIncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM api_incidents WHERE tenant_id = $1 AND resolved_at IS NULL ORDER BY last_seen DESC, id"
    ))
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}

/// Open incidents per code, every tenant (the gauge).
pub async fn open_counts(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT code, count(*) FROM api_incidents WHERE resolved_at IS NULL GROUP BY code")
        .fetch_all(pool)
        .await
}

/// Claims incidents whose mail is due (pending, or a stale claim), open ones only.
pub async fn claim_mail(
    pool: &PgPool,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ApiIncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE api_incidents SET mail_state = 'sending', mail_attempts = mail_attempts + 1, mail_next_at = $1 \
         WHERE id IN (SELECT id FROM api_incidents WHERE resolved_at IS NULL AND ((mail_state = 'pending' AND mail_next_at <= $1) \
         OR (mail_state = 'sending' AND mail_next_at < $2)) ORDER BY mail_next_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING {COLS}"
    ))
    .bind(now)
    .bind(stale_before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Settles a mail like [`super::incidents::mail_done`].
pub async fn mail_done(
    pool: &PgPool,
    id: &str,
    state: &str,
    now: DateTime<Utc>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_incidents SET \
         mail_state = CASE WHEN $2 = 'no_config' AND EXISTS (SELECT 1 FROM smtp_configs s WHERE s.tenant_id = api_incidents.tenant_id) \
           THEN 'pending' ELSE $2 END, \
         mailed_at = CASE WHEN $2 = 'sent' THEN $3 ELSE mailed_at END, \
         mail_next_at = CASE WHEN $2 = 'no_config' AND EXISTS (SELECT 1 FROM smtp_configs s WHERE s.tenant_id = api_incidents.tenant_id) \
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

/// Makes the mails that waited for an SMTP configuration due now (inside the save's transaction).
pub async fn arm_waiting_mails(tx: &mut PgConnection, tenant_id: Uuid, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE api_incidents SET mail_state = 'pending', mail_next_at = $2, mail_attempts = 0 \
         WHERE tenant_id = $1 AND mail_state = 'no_config' AND resolved_at IS NULL",
    )
    .bind(tenant_id)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected())
}
