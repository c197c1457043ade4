//! The `work` table: the durable queue of ticket work. A CreateTicket request or an attention
//! event becomes one row (unique per request id / event id, so a repeat adds nothing); the
//! worker takes the oldest queued row of an order once it is due and ends it `done` or `dead`.
//! Scheduling is an upsert on a natural key, never a blind insert.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgPool};

use crate::domain::attention::AttentionWork;
use crate::domain::draft::NewRequest;

/// Kind of a request row.
pub const REQUEST: &str = "request";
/// Kind of an event row.
pub const EVENT: &str = "event";

/// One row.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct WorkRow {
    /// Row id (also the dead-letter id).
    pub id: i64,
    /// `req:<request id>` or `evt:<event id>`.
    pub work_key: String,
    /// `request` or `event`.
    pub kind: String,
    /// The order.
    pub order_id: String,
    /// Incident of an event.
    pub incident_id: Option<String>,
    /// Request id of a request.
    pub request_id: Option<String>,
    /// Event id of an event.
    pub event_id: Option<String>,
    /// The stored request or event (cleared once done).
    pub payload: Option<Value>,
    /// Content hash of a request.
    pub fingerprint: Option<String>,
    /// `queued`, `done` or `dead`.
    pub status: String,
    /// Failed attempts (429s not counted).
    pub attempts: i32,
    /// 429 answers met.
    pub rate_limited: i32,
    /// When the row is due.
    pub next_attempt_at: DateTime<Utc>,
    /// The last error, without personal data.
    pub last_error: Option<String>,
    /// Freshdesk's field errors of a refused ticket.
    pub error_fields: Option<Value>,
    /// Why it is dead.
    pub dead_reason: Option<String>,
    /// The ticket created or noted.
    pub ticket_id: Option<i64>,
    /// Times an operator replayed it.
    pub replays: i32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, work_key, kind, order_id, incident_id, request_id, event_id, payload, fingerprint, status, \
                       attempts, rate_limited, next_attempt_at, last_error, error_fields, dead_reason, ticket_id, \
                       replays, created_at, updated_at";

/// Queues a CreateTicket request; returns its row and whether this call queued it.
pub async fn enqueue_request(
    pool: &PgPool,
    request: &NewRequest,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<(WorkRow, bool), sqlx::Error> {
    let key = format!("req:{}", request.request_id);
    let payload = serde_json::to_value(request).unwrap_or(Value::Null);
    let inserted: Option<WorkRow> = sqlx::query_as(&format!(
        "INSERT INTO work (work_key, kind, order_id, request_id, payload, fingerprint, status, next_attempt_at, \
         created_at, updated_at) VALUES ($1, 'request', $2, $3, $4, $5, 'queued', $6, $6, $6) \
         ON CONFLICT (work_key) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(&key)
    .bind(request.order_id.as_str())
    .bind(request.request_id.as_str())
    .bind(payload)
    .bind(fingerprint)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    if let Some(row) = inserted {
        return Ok((row, true));
    }
    let existing =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM work WHERE work_key = $1")).bind(&key).fetch_one(pool).await?;
    Ok((existing, false))
}

/// Queues an attention event inside the consumer's transaction; false when already queued.
pub async fn enqueue_event(tx: &mut PgConnection, w: &AttentionWork, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let payload = serde_json::to_value(w).unwrap_or(Value::Null);
    let r = sqlx::query(
        "INSERT INTO work (work_key, kind, order_id, incident_id, event_id, payload, status, next_attempt_at, \
         created_at, updated_at) VALUES ($1, 'event', $2, $3, $4, $5, 'queued', $6, $6, $6) \
         ON CONFLICT (work_key) DO NOTHING",
    )
    .bind(format!("evt:{}", w.event_id))
    .bind(w.order_id.as_str())
    .bind(w.incident_id.as_str())
    .bind(&w.event_id)
    .bind(payload)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records an attention event that can never become a ticket as a dead letter; returns its id
/// (`None` when the event was recorded before).
pub async fn insert_malformed(
    tx: &mut PgConnection,
    event_id: &str,
    order_id: &str,
    incident_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO work (work_key, kind, order_id, incident_id, event_id, status, next_attempt_at, last_error, \
         dead_reason, created_at, updated_at, finished_at) \
         VALUES ($1, 'event', $2, NULLIF($3, ''), $4, 'dead', $5, $6, 'malformed', $5, $5, $5) \
         ON CONFLICT (work_key) DO NOTHING RETURNING id",
    )
    .bind(format!("evt:{event_id}"))
    .bind(order_id)
    .bind(incident_id)
    .bind(event_id)
    .bind(now)
    .bind(reason)
    .fetch_optional(tx)
    .await
}

/// One row.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<WorkRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM work WHERE id = $1")).bind(id).fetch_optional(pool).await
}

/// The oldest queued row of an order (rows of one order are worked on in order).
pub async fn head(pool: &PgPool, order_id: &str) -> Result<Option<WorkRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM work WHERE order_id = $1 AND status = 'queued' ORDER BY id LIMIT 1"))
        .bind(order_id)
        .fetch_optional(pool)
        .await
}

/// Orders whose oldest queued row is due at `now`, most overdue first.
pub async fn due_orders(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT w.order_id FROM work w WHERE w.status = 'queued' AND w.next_attempt_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM work p WHERE p.order_id = w.order_id AND p.status = 'queued' AND p.id < w.id) \
         ORDER BY w.next_attempt_at, w.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Schedules the next attempt; `failed` counts it as a failed attempt, otherwise as a 429.
pub async fn defer(
    pool: &PgPool,
    id: i64,
    failed: bool,
    next: DateTime<Utc>,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE work SET attempts = attempts + CASE WHEN $2 THEN 1 ELSE 0 END, \
         rate_limited = rate_limited + CASE WHEN $2 THEN 0 ELSE 1 END, next_attempt_at = $3, last_error = $4, \
         updated_at = $5 WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(failed)
    .bind(next)
    .bind(error)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Marks a queued row done with its ticket and clears its personal data, inside the caller's
/// transaction; false when it was no longer queued.
pub async fn finish(tx: &mut PgConnection, id: i64, ticket_id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE work SET status = 'done', ticket_id = $2, payload = NULL, last_error = NULL, error_fields = NULL, \
         updated_at = $3, finished_at = $3 WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(ticket_id)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Moves a queued row to the dead-letter list inside the caller's transaction; false when it
/// was no longer queued.
pub async fn kill(
    tx: &mut PgConnection,
    id: i64,
    reason: &str,
    error: &str,
    fields: Option<Value>,
    failed: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE work SET status = 'dead', dead_reason = $2, last_error = $3, error_fields = $4, \
         attempts = attempts + CASE WHEN $5 THEN 1 ELSE 0 END, updated_at = $6, finished_at = $6 \
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(reason)
    .bind(error)
    .bind(fields)
    .bind(failed)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Dead letters after id `after`, oldest first.
pub async fn dead_letters(pool: &PgPool, after: i64, limit: i64) -> Result<Vec<WorkRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM work WHERE status = 'dead' AND id > $1 ORDER BY id LIMIT $2"))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// Puts a dead letter back in the queue, due now, with a fresh attempt budget; `None` when
/// there is no such dead letter or it can never succeed.
pub async fn requeue(pool: &PgPool, id: i64, now: DateTime<Utc>) -> Result<Option<WorkRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE work SET status = 'queued', attempts = 0, rate_limited = 0, replays = replays + 1, \
         next_attempt_at = $2, dead_reason = NULL, updated_at = $2, finished_at = NULL \
         WHERE id = $1 AND status = 'dead' AND dead_reason <> 'malformed' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Queued rows and the creation time of the oldest.
pub async fn backlog(pool: &PgPool) -> Result<(i64, Option<DateTime<Utc>>), sqlx::Error> {
    sqlx::query_as("SELECT count(*), min(created_at) FROM work WHERE status = 'queued'").fetch_one(pool).await
}
