//! The `movements` table: every money movement pixi-sync asked unzer for, keyed like its
//! journal entry, and the ceilings on the order row it reserves against (authorised ≥ charged
//! + reversed, refunded ≤ charged), checked by constraints under the order row's lock.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

use super::orders::lock;
use crate::domain::progress::MoveKind;

fn column(kind: MoveKind) -> Option<&'static str> {
    match kind {
        MoveKind::Charge => Some("charged_minor"),
        MoveKind::Refund => Some("refunded_minor"),
        MoveKind::Reverse => Some("reversed_minor"),
        MoveKind::Ship => None,
    }
}

/// Why a reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserve {
    /// Recorded now (or already recorded earlier under the same key).
    Ok,
    /// The movement would break a ceiling (authorised ≥ charged + reversed ≥ …, refunded ≤
    /// charged).
    Ceiling(String),
}

/// Records the intent of a movement and reserves its amount under the order row lock; the
/// constraints refuse an amount beyond the ceilings. Idempotent per key.
#[allow(clippy::too_many_arguments, reason = "one movement's columns")]
pub async fn reserve(
    pool: &PgPool,
    key: &str,
    pixi_api_id: Uuid,
    order_nr: i64,
    kind: MoveKind,
    document: &str,
    amount_minor: i64,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Reserve, sqlx::Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, pixi_api_id, order_nr).await?;
    let inserted = sqlx::query(
        "INSERT INTO movements (key, pixi_api_id, order_nr, kind, document, amount_minor, currency, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(pixi_api_id)
    .bind(order_nr)
    .bind(kind.as_str())
    .bind(document)
    .bind(amount_minor)
    .bind(currency)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if inserted && let Some(col) = column(kind) {
        let r = sqlx::query(&format!("UPDATE orders SET {col} = {col} + $3 WHERE pixi_api_id = $1 AND order_nr = $2"))
            .bind(pixi_api_id)
            .bind(order_nr)
            .bind(amount_minor)
            .execute(&mut *tx)
            .await;
        if let Err(e) = r {
            let ceiling = ["orders_refund_ceiling", "orders_authorisation_ceiling", "orders_money_non_negative"]
                .into_iter()
                .find(|c| kit::db::is_constraint(&e, c));
            if let Some(c) = ceiling {
                tx.rollback().await?;
                return Ok(Reserve::Ceiling(c.to_owned()));
            }
            return Err(e);
        }
    }
    tx.commit().await?;
    Ok(Reserve::Ok)
}

/// Settles a movement: succeeded (with the transaction id and the amount actually moved) or
/// failed (its reservation is released).
pub async fn settle(
    tx: &mut PgConnection,
    key: &str,
    succeeded: bool,
    txn_id: Option<&str>,
    amount_minor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let row: Option<(Uuid, i64, String, i64, String)> = sqlx::query_as(
        "SELECT pixi_api_id, order_nr, kind, amount_minor, status FROM movements WHERE key = $1 FOR UPDATE",
    )
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((api, nr, kind, reserved, status)) = row else { return Ok(()) };
    if status != "pending" {
        return Ok(());
    }
    let col = match kind.as_str() {
        "charge" => Some("charged_minor"),
        "refund" => Some("refunded_minor"),
        "reversal" => Some("reversed_minor"),
        _ => None,
    };
    let moved = if succeeded { amount_minor.unwrap_or(reserved) } else { 0 };
    if let Some(col) = col {
        sqlx::query(&format!(
            "UPDATE orders SET {col} = GREATEST({col} - $3 + $4, 0) WHERE pixi_api_id = $1 AND order_nr = $2"
        ))
        .bind(api)
        .bind(nr)
        .bind(reserved)
        .bind(moved)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE movements SET status = $2, transaction_id = $3, amount_minor = $4, settled_at = $5 WHERE key = $1",
    )
    .bind(key)
    .bind(if succeeded { "succeeded" } else { "failed" })
    .bind(txn_id)
    .bind(if succeeded { moved } else { reserved })
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A movement as the dashboard shows it.
#[derive(Debug, Clone, FromRow)]
pub struct MovementRow {
    /// Key.
    pub key: String,
    /// Kind.
    pub kind: String,
    /// Document.
    pub document: String,
    /// Amount.
    pub amount_minor: i64,
    /// Currency.
    pub currency: String,
    /// Status.
    pub status: String,
    /// unzer transaction id.
    pub transaction_id: Option<String>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
}

/// Movements of an order, oldest first.
pub async fn list(pool: &PgPool, pixi_api_id: Uuid, order_nr: i64) -> Result<Vec<MovementRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key, kind, document, amount_minor, currency, status, transaction_id, created_at FROM movements \
         WHERE pixi_api_id = $1 AND order_nr = $2 ORDER BY created_at, key",
    )
    .bind(pixi_api_id)
    .bind(order_nr)
    .fetch_all(pool)
    .await
}
