//! `sb_orders`: orders whose payment page was prepared (tenant, amount, a digest of the form —
//! no personal data).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

/// A prepared order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedOrder {
    /// Order id.
    pub order_id: String,
    /// Tenant.
    pub tenant: String,
    /// Environment (`test` / `prod`).
    pub env: String,
    /// Amount (minor units).
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Number of items.
    pub item_count: i32,
    /// SHA-256 of the unsigned form.
    pub digest: String,
}

/// Inserts `order` unless its id exists; returns the stored row (the new or the existing one).
pub async fn insert_or_get(
    conn: &mut PgConnection,
    order: &PreparedOrder,
    now: DateTime<Utc>,
) -> Result<(PreparedOrder, bool), sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO sb_orders (order_id, tenant, env, amount_minor, currency, item_count, digest, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(&order.order_id)
    .bind(&order.tenant)
    .bind(&order.env)
    .bind(order.amount)
    .bind(&order.currency)
    .bind(order.item_count)
    .bind(&order.digest)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let stored = get(conn, &order.order_id).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok((stored, inserted))
}

/// The prepared order `order_id`.
pub async fn get(conn: &mut PgConnection, order_id: &str) -> Result<Option<PreparedOrder>, sqlx::Error> {
    sqlx::query(
        "SELECT order_id, tenant, env, amount_minor, currency, item_count, digest FROM sb_orders WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await?
    .map(|r| {
        Ok(PreparedOrder {
            order_id: r.try_get("order_id")?,
            tenant: r.try_get("tenant")?,
            env: r.try_get("env")?,
            amount: r.try_get("amount_minor")?,
            currency: r.try_get("currency")?,
            item_count: r.try_get("item_count")?,
            digest: r.try_get("digest")?,
        })
    })
    .transpose()
}
