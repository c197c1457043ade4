//! `sb_maintenance`: one row per maintenance request (order, caller request id). A row in phase
//! `reserved` or `unknown` holds its amount in the transaction's committed columns until the
//! outcome is known; the resolver worker picks such rows up.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Row};

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Order.
    pub order_id: String,
    /// The caller's request id.
    pub request_id: String,
    /// Operation code.
    pub operation: String,
    /// Amount (minor units).
    pub amount: i64,
    /// reserved, unknown, accepted, already_applied or refused.
    pub phase: String,
    /// Highest PAYIDSUB known when it was made.
    pub baseline: u32,
    /// Its level, once known.
    pub payidsub: Option<u32>,
    /// NCERROR of a refusal.
    pub ncerror: String,
    /// NCERRORPLUS of a refusal.
    pub ncerror_plus: String,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "order_id, request_id, operation, amount_minor, phase, baseline, payidsub, ncerror, ncerror_plus, requested_at";

fn read(r: &sqlx::postgres::PgRow) -> Result<Attempt, sqlx::Error> {
    Ok(Attempt {
        order_id: r.try_get("order_id")?,
        request_id: r.try_get("request_id")?,
        operation: r.try_get("operation")?,
        amount: r.try_get("amount_minor")?,
        phase: r.try_get("phase")?,
        baseline: u32::try_from(r.try_get::<i32, _>("baseline")?).unwrap_or_default(),
        payidsub: r.try_get::<Option<i32>, _>("payidsub")?.and_then(|p| u32::try_from(p).ok()),
        ncerror: r.try_get("ncerror")?,
        ncerror_plus: r.try_get("ncerror_plus")?,
        requested_at: r.try_get("requested_at")?,
    })
}

/// The request `request_id` of `order_id`.
pub async fn get(conn: &mut PgConnection, order_id: &str, request_id: &str) -> Result<Option<Attempt>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sb_maintenance WHERE order_id = $1 AND request_id = $2");
    sqlx::query(&sql).bind(order_id).bind(request_id).fetch_optional(conn).await?.as_ref().map(read).transpose()
}

/// Every request of `order_id`, oldest first.
pub async fn of_order(conn: &mut PgConnection, order_id: &str) -> Result<Vec<Attempt>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM sb_maintenance WHERE order_id = $1 ORDER BY requested_at, request_id");
    sqlx::query(&sql).bind(order_id).fetch_all(conn).await?.iter().map(read).collect()
}

/// Records a reservation (phase `reserved`) in the caller's transaction.
pub async fn reserve(
    conn: &mut PgConnection,
    a: &Attempt,
    journal_key: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sb_maintenance (order_id, request_id, operation, amount_minor, phase, journal_key, baseline, \
         requested_at, updated_at) VALUES ($1, $2, $3, $4, 'reserved', $5, $6, $7, $7)",
    )
    .bind(&a.order_id)
    .bind(&a.request_id)
    .bind(&a.operation)
    .bind(a.amount)
    .bind(journal_key)
    .bind(i32::try_from(a.baseline).unwrap_or(i32::MAX))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a request to `phase` with its level or refusal details.
pub async fn finish(
    conn: &mut PgConnection,
    order_id: &str,
    request_id: &str,
    phase: &str,
    payidsub: Option<u32>,
    refusal: (&str, &str),
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sb_maintenance SET phase = $3, payidsub = $4, ncerror = $5, ncerror_plus = $6, updated_at = $7 \
         WHERE order_id = $1 AND request_id = $2",
    )
    .bind(order_id)
    .bind(request_id)
    .bind(phase)
    .bind(payidsub.and_then(|p| i32::try_from(p).ok()))
    .bind(refusal.0)
    .bind(refusal.1)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Requests whose outcome is not recorded and that were last touched before `before`.
pub async fn in_flight(pool: &PgPool, before: DateTime<Utc>, limit: i64) -> Result<Vec<Attempt>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sb_maintenance WHERE phase IN ('reserved', 'unknown') AND updated_at <= $1 \
         ORDER BY updated_at LIMIT $2"
    );
    sqlx::query(&sql).bind(before).bind(limit).fetch_all(pool).await?.iter().map(read).collect()
}

/// Marks the unknown request as handed to a person; false when it already was (or is settled).
pub async fn escalate(
    conn: &mut PgConnection,
    order_id: &str,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE sb_maintenance SET escalated_at = $3 WHERE order_id = $1 AND request_id = $2 \
         AND phase IN ('reserved', 'unknown') AND escalated_at IS NULL",
    )
    .bind(order_id)
    .bind(request_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
