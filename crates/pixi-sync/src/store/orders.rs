//! The `orders` table (the persisted state machine and its money ceilings), `movements` and
//! `order_history`.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::progress::Progress;

pub use super::order_lists::{Filter, list, processed_since, processed_since_after};

/// One order row.
#[derive(Debug, Clone, FromRow)]
pub struct OrderRow {
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// pixi order number.
    pub order_nr: i64,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Payment configuration used.
    pub payment_config_id: Option<Uuid>,
    /// pixi payment method.
    pub payment_method: String,
    /// Shop order number.
    pub order_nr_external: String,
    /// unzer payment id.
    pub payment_id: String,
    /// unzer payment type.
    pub payment_type: String,
    /// Effective mode.
    pub mode: String,
    /// Currency.
    pub currency: String,
    /// Order total.
    pub order_total_minor: i64,
    /// pixi status as last seen.
    pub pixi_status: String,
    /// Dashboard state.
    pub state: String,
    /// `none`, `hint`, `error`.
    pub problem: String,
    /// The domain progress.
    pub progress: Json<Progress>,
    /// Authorised (or charged) total at unzer.
    pub limit_minor: i64,
    /// Charged (shop and pixi-sync; reservations included).
    pub charged_minor: i64,
    /// Refunded by pixi-sync (reservations included).
    pub refunded_minor: i64,
    /// Reversed by pixi-sync (reservations included).
    pub reversed_minor: i64,
    /// Next look.
    pub next_check_at: Option<DateTime<Utc>>,
    /// Consecutive failed attempts.
    pub attempts: i32,
    /// Quiet looks (no change) since the last change.
    pub quiet_follows: i32,
    /// Last error.
    pub last_error: Option<String>,
    /// Last action.
    pub last_action: String,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

pub(super) const COLS: &str = "pixi_api_id, order_nr, tenant_id, payment_config_id, payment_method, order_nr_external, payment_id, \
     payment_type, mode, currency, order_total_minor, pixi_status, state, problem, progress, limit_minor, charged_minor, \
     refunded_minor, reversed_minor, next_check_at, attempts, quiet_follows, last_error, last_action, created_at, updated_at";

/// Makes orders due now, creating rows for new ones.
pub async fn touch(
    pool: &PgPool,
    pixi_api_id: Uuid,
    tenant_id: Uuid,
    orders: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if orders.is_empty() {
        return Ok(0);
    }
    let nrs: Vec<i64> = orders.iter().map(|(n, _)| *n).collect();
    let methods: Vec<String> = orders.iter().map(|(_, m)| m.clone()).collect();
    let r = sqlx::query(
        "INSERT INTO orders (pixi_api_id, order_nr, tenant_id, payment_method, next_check_at, created_at, updated_at) \
         SELECT $1, n, $2, m, $3, $3, $3 FROM unnest($4::bigint[], $5::text[]) AS u(n, m) \
         ON CONFLICT (pixi_api_id, order_nr) DO UPDATE SET next_check_at = $3 \
         WHERE orders.next_check_at IS NULL OR orders.next_check_at > $3",
    )
    .bind(pixi_api_id)
    .bind(tenant_id)
    .bind(now)
    .bind(&nrs)
    .bind(&methods)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Orders of the payments of webhook triggers, made due now in one statement; the triggers
/// are kept for diagnostics.
pub async fn touch_payments(
    pool: &PgPool,
    triggers: &[crate::service::triggers::Trigger],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let tenants: Vec<Uuid> = triggers.iter().map(|t| t.tenant_id).collect();
    let payments: Vec<String> = triggers.iter().map(|t| t.payment_id.clone()).collect();
    let events: Vec<String> = triggers.iter().map(|t| t.event.clone()).collect();
    let at: Vec<DateTime<Utc>> = triggers.iter().map(|t| t.at).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO triggers (tenant_id, payment_id, event, received_at)          SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])",
    )
    .bind(&tenants)
    .bind(&payments)
    .bind(&events)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    let r = sqlx::query(
        "UPDATE orders o SET next_check_at = $3 FROM unnest($1::uuid[], $2::text[]) AS t(tenant_id, payment_id)          WHERE o.tenant_id = t.tenant_id AND o.payment_id = t.payment_id",
    )
    .bind(&tenants)
    .bind(&payments)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(r.rows_affected())
}

/// Orders of an unzer payment (webhook triggers): made due now.
pub async fn touch_payment(
    pool: &PgPool,
    tenant_id: Uuid,
    payment_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("UPDATE orders SET next_check_at = $3 WHERE tenant_id = $1 AND payment_id = $2")
        .bind(tenant_id)
        .bind(payment_id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

/// Order numbers due at `now`, oldest due first, leaving out `skip` (already synced in this
/// pass).
pub async fn due(
    pool: &PgPool,
    pixi_api_id: Uuid,
    now: DateTime<Utc>,
    limit: usize,
    skip: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT order_nr FROM orders WHERE pixi_api_id = $1 AND next_check_at <= $2 AND order_nr <> ALL($4) \
         ORDER BY next_check_at, order_nr LIMIT $3",
    )
    .bind(pixi_api_id)
    .bind(now)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .bind(skip)
    .fetch_all(pool)
    .await
}

/// One order.
pub async fn get(pool: &PgPool, pixi_api_id: Uuid, order_nr: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM orders WHERE pixi_api_id = $1 AND order_nr = $2"))
        .bind(pixi_api_id)
        .bind(order_nr)
        .fetch_optional(pool)
        .await
}

/// Locks one order row inside the caller's transaction.
pub async fn lock(tx: &mut PgConnection, pixi_api_id: Uuid, order_nr: i64) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM orders WHERE pixi_api_id = $1 AND order_nr = $2 FOR UPDATE"))
        .bind(pixi_api_id)
        .bind(order_nr)
        .fetch_optional(tx)
        .await
}

/// Forgets an order pixi-sync never acted on (its method or mandant is not configured, PX-27).
pub async fn forget_untouched(pool: &PgPool, pixi_api_id: Uuid, order_nr: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM orders o WHERE pixi_api_id = $1 AND order_nr = $2 AND progress = '{}'::jsonb \
         AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.pixi_api_id = o.pixi_api_id AND m.order_nr = o.order_nr)",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .execute(pool)
    .await
    .map(|_| ())
}

/// The order facts the dashboard shows besides the progress.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// Payment configuration.
    pub payment_config_id: Option<Uuid>,
    /// pixi payment method.
    pub payment_method: String,
    /// Shop order number.
    pub order_nr_external: String,
    /// unzer payment id.
    pub payment_id: String,
    /// unzer payment type.
    pub payment_type: String,
    /// Effective mode.
    pub mode: String,
    /// Currency.
    pub currency: String,
    /// Order total.
    pub order_total_minor: i64,
    /// pixi status.
    pub pixi_status: String,
}

/// Saves the progress after an event, inside the caller's transaction; `changed` (something
/// happened to the order) starts its count of quiet looks again. Returns the order's problem
/// (`none`, `hint`, `error`) as saved.
#[allow(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn save(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    id: &Identity,
    progress: &Progress,
    state: &str,
    problem: &str,
    changed: bool,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE orders SET payment_config_id = $3, payment_method = $4, order_nr_external = $5, payment_id = $6, \
         payment_type = $7, mode = $8, currency = $9, order_total_minor = $10, pixi_status = $11, progress = $12, \
         state = $13, problem = CASE WHEN $14 = 'error' OR problem = 'error' THEN 'error' \
         WHEN $14 = 'hint' OR problem = 'hint' THEN 'hint' ELSE 'none' END, last_action = $15, updated_at = $16, \
         quiet_follows = CASE WHEN $17 THEN 0 ELSE quiet_follows END \
         WHERE pixi_api_id = $1 AND order_nr = $2 RETURNING problem",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(id.payment_config_id)
    .bind(&id.payment_method)
    .bind(&id.order_nr_external)
    .bind(&id.payment_id)
    .bind(&id.payment_type)
    .bind(&id.mode)
    .bind(&id.currency)
    .bind(id.order_total_minor)
    .bind(&id.pixi_status)
    .bind(Json(progress))
    .bind(state)
    .bind(problem)
    .bind(&progress.last_action)
    .bind(now)
    .bind(changed)
    .fetch_one(tx)
    .await
}

/// When to look again, and the consecutive failures so far.
pub async fn schedule(
    pool: &PgPool,
    pixi_api_id: Uuid,
    order_nr: i64,
    next: Option<DateTime<Utc>>,
    attempts: i32,
    last_error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET next_check_at = $3, attempts = $4, last_error = $5 WHERE pixi_api_id = $1 AND order_nr = $2",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(next)
    .bind(attempts)
    .bind(last_error)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Updates the ceilings from what unzer shows: the authorised (or charged) total and what is
/// charged (reservations are kept when higher).
pub async fn sync_money(
    pool: &PgPool,
    pixi_api_id: Uuid,
    order_nr: i64,
    limit: i64,
    charged: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET limit_minor = GREATEST($3, charged_minor + reversed_minor), \
         charged_minor = GREATEST(charged_minor, $4, refunded_minor) WHERE pixi_api_id = $1 AND order_nr = $2",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(limit)
    .bind(charged)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Appends to the order's history inside the caller's transaction.
pub async fn history(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    at: DateTime<Utc>,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO order_history (pixi_api_id, order_nr, at, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(pixi_api_id)
        .bind(order_nr)
        .bind(at)
        .bind(action)
        .bind(detail)
        .execute(tx)
        .await
        .map(|_| ())
}

/// The history of an order, oldest first.
pub async fn history_of(
    pool: &PgPool,
    pixi_api_id: Uuid,
    order_nr: i64,
) -> Result<Vec<(DateTime<Utc>, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT at, action, detail FROM order_history WHERE pixi_api_id = $1 AND order_nr = $2 ORDER BY id")
        .bind(pixi_api_id)
        .bind(order_nr)
        .fetch_all(pool)
        .await
}

/// Clears the problem mark (PX-30) inside the caller's transaction.
pub async fn clear_problem(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET problem = 'none', updated_at = $3 WHERE pixi_api_id = $1 AND order_nr = $2")
        .bind(pixi_api_id)
        .bind(order_nr)
        .bind(now)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Replaces an order's progress (an operator's retry), in the caller's transaction.
pub async fn set_progress(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    progress: &Progress,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET progress = $3, updated_at = $4 WHERE pixi_api_id = $1 AND order_nr = $2")
        .bind(pixi_api_id)
        .bind(order_nr)
        .bind(Json(progress))
        .bind(now)
        .execute(tx)
        .await
        .map(|_| ())
}

/// After a quiet look: when to look again and how many quiet looks there were.
pub async fn follow(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    next: Option<DateTime<Utc>>,
    quiet_follows: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET next_check_at = $3, attempts = 0, last_error = NULL, quiet_follows = $4 \
         WHERE pixi_api_id = $1 AND order_nr = $2",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(next)
    .bind(quiet_follows)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Moves a due order's next check to `next` (another worker holds it now); an order not due at
/// `now` keeps its schedule.
pub async fn postpone_due(
    pool: &PgPool,
    pixi_api_id: Uuid,
    order_nr: i64,
    next: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET next_check_at = $3 WHERE pixi_api_id = $1 AND order_nr = $2 AND next_check_at <= $4",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(next)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks the order as having an error (a reconciliation mismatch was raised for it).
pub async fn mark_error(
    tx: &mut PgConnection,
    pixi_api_id: Uuid,
    order_nr: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET problem = 'error', updated_at = $3 WHERE pixi_api_id = $1 AND order_nr = $2")
        .bind(pixi_api_id)
        .bind(order_nr)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
