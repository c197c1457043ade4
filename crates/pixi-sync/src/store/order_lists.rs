//! Lists of orders: the dashboard's filtered pages (PX-30) and the orders a reconciliation
//! checks (PX-44).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::orders::{COLS, OrderRow};

/// Dashboard filters (PX-30).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Option<Uuid>,
    /// States.
    pub states: Vec<String>,
    /// Problem marks to include (empty = all).
    pub problems: Vec<String>,
    /// pixi payment method.
    pub payment_method: Option<String>,
    /// Updated at or after.
    pub from: Option<DateTime<Utc>>,
    /// Updated before.
    pub to: Option<DateTime<Utc>>,
    /// Only this order number.
    pub order_nr: Option<i64>,
    /// Page after this (updated_at, api, order) position.
    pub after: Option<(DateTime<Utc>, Uuid, i64)>,
    /// Page size.
    pub limit: i64,
}

/// One dashboard page, newest change first.
pub async fn list(pool: &PgPool, f: &Filter) -> Result<Vec<OrderRow>, sqlx::Error> {
    let (at, api, nr) = f.after.map_or((None, None, None), |(a, b, c)| (Some(a), Some(b), Some(c)));
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM orders WHERE tenant_id = $1 AND ($2::uuid IS NULL OR pixi_api_id = $2) \
         AND (cardinality($3::text[]) = 0 OR state = ANY($3)) AND (cardinality($4::text[]) = 0 OR problem = ANY($4)) \
         AND ($5::text IS NULL OR payment_method = $5) AND ($6::timestamptz IS NULL OR updated_at >= $6) \
         AND ($7::timestamptz IS NULL OR updated_at < $7) AND progress <> '{{}}'::jsonb \
         AND ($8::timestamptz IS NULL OR (updated_at, pixi_api_id, order_nr) < ($8, $9, $10)) \
         AND ($12::bigint IS NULL OR order_nr = $12) \
         ORDER BY updated_at DESC, pixi_api_id DESC, order_nr DESC LIMIT $11"
    ))
    .bind(f.tenant_id)
    .bind(f.pixi_api_id)
    .bind(&f.states)
    .bind(&f.problems)
    .bind(&f.payment_method)
    .bind(f.from)
    .bind(f.to)
    .bind(at)
    .bind(api)
    .bind(nr)
    .bind(f.limit)
    .bind(f.order_nr)
    .fetch_all(pool)
    .await
}

/// Orders of a configuration changed since `since` that pixi-sync processed (reconciliation).
pub async fn processed_since(
    pool: &PgPool,
    pixi_api_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM orders WHERE pixi_api_id = $1 AND updated_at >= $2 AND progress <> '{{}}'::jsonb \
         AND payment_id <> '' ORDER BY order_nr"
    ))
    .bind(pixi_api_id)
    .bind(since)
    .fetch_all(pool)
    .await
}

/// Up to `limit` orders of a configuration changed since `since` that pixi-sync processed, with
/// an order number above `after`, in order (a scheduled reconciliation's next step).
pub async fn processed_since_after(
    pool: &PgPool,
    pixi_api_id: Uuid,
    since: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM orders WHERE pixi_api_id = $1 AND updated_at >= $2 AND progress <> '{{}}'::jsonb \
         AND payment_id <> '' AND order_nr > $3 ORDER BY order_nr LIMIT $4"
    ))
    .bind(pixi_api_id)
    .bind(since)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}
