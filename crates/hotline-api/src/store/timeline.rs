//! The `timeline_events` read model (HL-40). Every write notifies
//! `hotline_timeline_changed` with `<schema> <order id>` of each order it added rows to, in its
//! own transaction, so that replicas serving timelines from memory drop them
//! (`service::timeline_view`); a redelivery adds no row and notifies nothing.

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

/// Adds an event (a redelivery changes nothing) and notifies its order's change.
pub async fn insert(
    conn: &mut PgConnection,
    order_id: &str,
    row: &TimelineRow,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH added AS (INSERT INTO timeline_events (event_id, order_id, source, event_type, occurred_at, summary, subject) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING RETURNING order_id) \
         SELECT pg_notify('hotline_timeline_changed', current_schema() || ' ' || order_id) FROM added",
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

/// Adds events `(order_id, row, subject)` in one statement (redeliveries change nothing) and
/// notifies each order that gained rows once.
pub async fn insert_many(conn: &mut PgConnection, rows: &[(String, TimelineRow, String)]) -> Result<(), sqlx::Error> {
    let column = |f: fn(&(String, TimelineRow, String)) -> String| rows.iter().map(f).collect::<Vec<String>>();
    let occurred: Vec<DateTime<Utc>> = rows.iter().map(|r| r.1.occurred_at).collect();
    sqlx::query(
        "WITH added AS (INSERT INTO timeline_events (event_id, order_id, source, event_type, occurred_at, summary, subject) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[]) \
         ON CONFLICT (event_id) DO NOTHING RETURNING order_id) \
         SELECT pg_notify('hotline_timeline_changed', current_schema() || ' ' || order_id) FROM (SELECT DISTINCT order_id FROM added) changed",
    )
    .bind(column(|r| r.1.event_id.clone()))
    .bind(column(|r| r.0.clone()))
    .bind(column(|r| r.1.source.clone()))
    .bind(column(|r| r.1.event_type.clone()))
    .bind(occurred)
    .bind(column(|r| r.1.summary.clone()))
    .bind(column(|r| r.2.clone()))
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
