//! `sb_transactions` and `sb_levels`: a SwissBilling transaction with its history levels, loaded
//! (optionally under a row lock) into the domain [`Transaction`] together with its in-flight
//! maintenance, and saved back. Saving writes the committed amounts whose CHECK constraints are
//! the money ceilings: an update that would break one fails the whole database transaction.

use chrono::{DateTime, Utc};
use kit::money::Currency;
use sqlx::{PgConnection, Row};

use crate::domain::swissbilling::{InFlight, Kind, Level, OpCode, PfEnv, Phase, Status, Transaction};

/// Name of the constraint that keeps captures and deletions within the authorised amount.
pub const CAPTURE_CEILING: &str = "sb_capture_ceiling";
/// Name of the constraint that keeps refunds within the final captures.
pub const REFUND_CEILING: &str = "sb_refund_ceiling";

/// A level with its times, for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRow {
    /// The level.
    pub level: Level,
    /// First recorded.
    pub recorded_at: DateTime<Utc>,
    /// Became final.
    pub settled_at: Option<DateTime<Utc>>,
}

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("sb_transactions: {what}").into())
}

/// Loads a transaction with its levels and in-flight requests; `lock` takes the row lock.
pub async fn load(conn: &mut PgConnection, order_id: &str, lock: bool) -> Result<Option<Transaction>, sqlx::Error> {
    let sql = if lock {
        "SELECT tenant, env, payid, payment_method, currency FROM sb_transactions WHERE order_id = $1 FOR UPDATE"
    } else {
        "SELECT tenant, env, payid, payment_method, currency FROM sb_transactions WHERE order_id = $1"
    };
    let Some(row) = sqlx::query(sql).bind(order_id).fetch_optional(&mut *conn).await? else { return Ok(None) };
    let env: String = row.try_get("env")?;
    let currency: String = row.try_get("currency")?;
    let levels = levels(conn, order_id).await?.into_iter().map(|l| l.level).collect();
    let in_flight = sqlx::query(
        "SELECT request_id, operation, amount_minor FROM sb_maintenance \
         WHERE order_id = $1 AND phase IN ('reserved', 'unknown') ORDER BY requested_at, request_id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| {
        let op: String = r.try_get("operation")?;
        Ok(InFlight {
            request_id: r.try_get("request_id")?,
            op: OpCode::parse(&op).ok_or_else(|| corrupt("operation"))?,
            amount: r.try_get("amount_minor")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Transaction {
        order_id: kit::OrderId::parse(order_id).map_err(|_| corrupt("order id"))?,
        tenant: row.try_get("tenant")?,
        env: PfEnv::parse(&env).ok_or_else(|| corrupt("env"))?,
        payid: u64::try_from(row.try_get::<i64, _>("payid")?).map_err(|_| corrupt("payid"))?,
        payment_method: row.try_get("payment_method")?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        levels,
        in_flight,
    }))
}

/// The levels of a transaction with their times, in order.
pub async fn levels(conn: &mut PgConnection, order_id: &str) -> Result<Vec<LevelRow>, sqlx::Error> {
    sqlx::query(
        "SELECT payidsub, kind, operation, amount_minor, status_code, recorded_at, settled_at FROM sb_levels \
         WHERE order_id = $1 ORDER BY payidsub",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        let kind: String = r.try_get("kind")?;
        let code: i32 = r.try_get("status_code")?;
        Ok(LevelRow {
            level: Level {
                payidsub: u32::try_from(r.try_get::<i32, _>("payidsub")?).map_err(|_| corrupt("payidsub"))?,
                kind: Kind::parse(&kind),
                operation: r.try_get("operation")?,
                amount: r.try_get("amount_minor")?,
                status: Status::of(u16::try_from(code).map_err(|_| corrupt("status"))?),
            },
            recorded_at: r.try_get("recorded_at")?,
            settled_at: r.try_get("settled_at")?,
        })
    })
    .collect()
}

/// Inserts a new transaction row (its levels are written with [`upsert_level`]).
pub async fn insert(conn: &mut PgConnection, tx: &Transaction, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let status = tx.latest_status();
    sqlx::query(
        "INSERT INTO sb_transactions (order_id, tenant, env, payid, payment_method, currency, authorised_minor, \
         status_code, status_name, flagged, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(tx.order_id.as_str())
    .bind(&tx.tenant)
    .bind(tx.env.as_str())
    .bind(i64::try_from(tx.payid).unwrap_or(i64::MAX))
    .bind(&tx.payment_method)
    .bind(tx.currency.as_str())
    .bind(tx.authorised())
    .bind(i32::from(status.code))
    .bind(status.name)
    .bind(tx.flagged())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the derived columns of `tx` (committed amounts, latest status). Fails on a broken
/// money ceiling (constraint [`CAPTURE_CEILING`] or [`REFUND_CEILING`]).
pub async fn save(conn: &mut PgConnection, tx: &Transaction, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let a = tx.amounts();
    let status = tx.latest_status();
    sqlx::query(
        "UPDATE sb_transactions SET payid = $2, payment_method = $3, authorised_minor = $4, \
         capture_committed_minor = $5, delete_committed_minor = $6, captured_final_minor = $7, \
         refund_committed_minor = $8, status_code = $9, status_name = $10, flagged = $11, updated_at = $12 \
         WHERE order_id = $1",
    )
    .bind(tx.order_id.as_str())
    .bind(i64::try_from(tx.payid).unwrap_or(i64::MAX))
    .bind(&tx.payment_method)
    .bind(a.authorised)
    .bind(a.capture_committed)
    .bind(a.delete_committed)
    .bind(a.captured_final)
    .bind(a.refund_committed)
    .bind(i32::from(status.code))
    .bind(status.name)
    .bind(tx.flagged())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a level (insert, or update its status and amount).
pub async fn upsert_level(
    conn: &mut PgConnection,
    order_id: &str,
    level: &Level,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let open = matches!(level.status.phase, Phase::Pending | Phase::Uncertain);
    let settled = (!open).then_some(now);
    sqlx::query(
        "INSERT INTO sb_levels (order_id, payidsub, kind, operation, amount_minor, status_code, status_name, flagged, \
         open, recorded_at, settled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (order_id, payidsub) DO UPDATE SET \
           kind = CASE WHEN sb_levels.kind = 'unknown' THEN excluded.kind ELSE sb_levels.kind END, \
           operation = CASE WHEN sb_levels.operation = '' THEN excluded.operation ELSE sb_levels.operation END, \
           amount_minor = excluded.amount_minor, status_code = excluded.status_code, \
           status_name = excluded.status_name, flagged = excluded.flagged, open = excluded.open, \
           settled_at = CASE WHEN excluded.open THEN NULL ELSE COALESCE(sb_levels.settled_at, excluded.settled_at) END",
    )
    .bind(order_id)
    .bind(i32::try_from(level.payidsub).unwrap_or(i32::MAX))
    .bind(level.kind.as_str())
    .bind(&level.operation)
    .bind(level.amount)
    .bind(i32::from(level.status.code))
    .bind(level.status.name)
    .bind(!level.status.known)
    .bind(open)
    .bind(now)
    .bind(settled)
    .execute(conn)
    .await?;
    Ok(())
}

/// Order ids of transactions with open (pending or uncertain) levels, oldest change first.
pub async fn with_open_levels(pool: &sqlx::PgPool, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT t.order_id FROM sb_transactions t WHERE EXISTS \
         (SELECT 1 FROM sb_levels l WHERE l.order_id = t.order_id AND l.open) ORDER BY t.updated_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
