//! The `tickets` table: every ticket the bridge opened, with its order, its external reference,
//! the incident (and generation) or request it was opened for, and its notes count.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};

/// A recorded ticket.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TicketRow {
    /// Freshdesk id.
    pub ticket_id: i64,
    /// The order.
    pub order_id: String,
    /// External reference stored on the ticket.
    pub external_ref: String,
    /// Agent link.
    pub url: String,
    /// Subject.
    pub subject: String,
    /// Status as last seen.
    pub status: i16,
    /// Priority.
    pub priority: i16,
    /// Type.
    pub ticket_type: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Incident, for tickets from attention events.
    pub incident_id: Option<String>,
    /// Generation within the incident.
    pub generation: i32,
    /// Request id, for tickets from CreateTicket.
    pub request_id: Option<String>,
    /// Notes added.
    pub note_count: i32,
    /// Freshdesk's creation time.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "ticket_id, order_id, external_ref, url, subject, status, priority, ticket_type, tags, \
                       incident_id, generation, request_id, note_count, created_at";

/// Records a ticket inside the caller's transaction; false when it was already recorded.
pub async fn insert(tx: &mut PgConnection, t: &TicketRow, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO tickets (ticket_id, order_id, external_ref, url, subject, status, priority, ticket_type, tags, \
         incident_id, generation, request_id, note_count, created_at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, $14) ON CONFLICT DO NOTHING",
    )
    .bind(t.ticket_id)
    .bind(&t.order_id)
    .bind(&t.external_ref)
    .bind(&t.url)
    .bind(&t.subject)
    .bind(t.status)
    .bind(t.priority)
    .bind(&t.ticket_type)
    .bind(&t.tags)
    .bind(&t.incident_id)
    .bind(t.generation)
    .bind(&t.request_id)
    .bind(t.created_at)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One ticket.
pub async fn get(pool: &PgPool, ticket_id: i64) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE ticket_id = $1"))
        .bind(ticket_id)
        .fetch_optional(pool)
        .await
}

/// The ticket with external reference `reference`.
pub async fn by_reference(conn: &mut PgConnection, reference: &str) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE external_ref = $1"))
        .bind(reference)
        .fetch_optional(conn)
        .await
}

/// Every ticket of an order, oldest first.
pub async fn of_order(pool: &PgPool, order_id: &str) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE order_id = $1 ORDER BY created_at, ticket_id"))
        .bind(order_id)
        .fetch_all(pool)
        .await
}

/// The latest ticket of an incident.
pub async fn current_for_incident(
    pool: &PgPool,
    order_id: &str,
    incident_id: &str,
) -> Result<Option<TicketRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tickets WHERE order_id = $1 AND incident_id = $2 ORDER BY generation DESC LIMIT 1"
    ))
    .bind(order_id)
    .bind(incident_id)
    .fetch_optional(pool)
    .await
}

/// Stores the status Freshdesk reported.
pub async fn set_status(pool: &PgPool, ticket_id: i64, status: i16) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET status = $2 WHERE ticket_id = $1")
        .bind(ticket_id)
        .bind(status)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Counts one more note inside the caller's transaction.
pub async fn add_note(tx: &mut PgConnection, ticket_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET note_count = note_count + 1 WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(tx)
        .await
        .map(|_| ())
}
