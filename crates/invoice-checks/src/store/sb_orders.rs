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
    read(conn, order_id, "").await
}

/// The prepared order `order_id`, row-locked until the transaction ends: the browser return,
/// the post-sale request and a look-up by ORDERID may record one order at the same moment.
pub async fn get_for_update(conn: &mut PgConnection, order_id: &str) -> Result<Option<PreparedOrder>, sqlx::Error> {
    read(conn, order_id, " FOR UPDATE").await
}

async fn read(conn: &mut PgConnection, order_id: &str, lock: &str) -> Result<Option<PreparedOrder>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT order_id, tenant, env, amount_minor, currency, item_count, digest FROM sb_orders WHERE order_id = $1{lock}"
    ))
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

/// Prepared orders without a transaction here, prepared between `since` and `before`, whose
/// next look-up by ORDERID is due at `now` (oldest first).
pub async fn without_transaction(
    pool: &sqlx::PgPool,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i32)>, sqlx::Error> {
    sqlx::query(
        "SELECT o.order_id, o.lookups FROM sb_orders o LEFT JOIN sb_transactions t ON t.order_id = o.order_id \
         WHERE t.order_id IS NULL AND o.created_at > $1 AND o.created_at <= $2 \
           AND (o.next_lookup_at IS NULL OR o.next_lookup_at <= $3) \
         ORDER BY o.created_at LIMIT $4",
    )
    .bind(since)
    .bind(before)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("order_id")?, r.try_get("lookups")?)))
    .collect()
}

/// Records a look-up by ORDERID that found nothing (yet); the next one is due at `next`.
pub async fn looked_up(pool: &sqlx::PgPool, order_id: &str, next: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sb_orders SET lookups = lookups + 1, next_lookup_at = $2 WHERE order_id = $1")
        .bind(order_id)
        .bind(next)
        .execute(pool)
        .await?;
    Ok(())
}
