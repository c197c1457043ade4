//! The `timeline_events` read model (HL-40).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};

/// One event of an order.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TimelineRow {
    /// Event id.
    pub event_id: String,
    /// Emitting service.
    pub source: String,
    /// Event type.
    pub event_type: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// One line for people.
    pub summary: String,
}

/// Adds an event (a redelivery changes nothing).
pub async fn insert(
    conn: &mut PgConnection,
    order_id: &str,
    row: &TimelineRow,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO timeline_events (event_id, order_id, source, event_type, occurred_at, summary, subject) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&row.event_id)
    .bind(order_id)
    .bind(&row.source)
    .bind(&row.event_type)
    .bind(row.occurred_at)
    .bind(&row.summary)
    .bind(subject)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Every event of `order_id`, oldest first (at most `limit`).
pub async fn of_order(pool: &PgPool, order_id: &str, limit: i64) -> Result<Vec<TimelineRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT event_id, source, event_type, occurred_at, summary FROM timeline_events \
         WHERE order_id = $1 ORDER BY occurred_at, event_id LIMIT $2",
    )
    .bind(order_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
