//! The `tickets` table: tickets the hotline opened.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// A ticket the hotline opened.
#[derive(Debug, Clone)]
pub struct TicketRow<'a> {
    /// Caller's idempotency key.
    pub request_id: &'a str,
    /// `b2c` or `b2b`.
    pub kind: &'a str,
    /// The order it belongs to.
    pub order_id: &'a str,
    /// Freshdesk id.
    pub ticket_id: i64,
    /// Link.
    pub url: &'a str,
    /// Who opened it.
    pub actor: &'a str,
}

/// Records a ticket (idempotent on the request id); true when it is new.
pub async fn insert(conn: &mut PgConnection, t: &TicketRow<'_>, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let TicketRow { request_id, kind, order_id, ticket_id, url, actor } = *t;
    let r = sqlx::query(
        "INSERT INTO tickets (request_id, kind, order_id, ticket_id, url, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(kind)
    .bind(order_id)
    .bind(ticket_id)
    .bind(url)
    .bind(actor)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
