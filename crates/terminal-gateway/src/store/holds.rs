//! The columns of `payments` that keep a terminal single-flight after a payment was given up
//! on: the probe claim (one replica asks Nets at a time), the pacing of revisits, when an
//! answer was lost, and the running totals the money ceilings read (acquirer references
//! booked, refunds given back).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::TenantId;

/// True when another payment of the tenant carries this acquirer reference.
pub async fn reference_booked_elsewhere(
    pool: &PgPool,
    tenant: &TenantId,
    id: Uuid,
    reference: &str,
) -> Result<bool, sqlx::Error> {
    if reference.is_empty() {
        return Ok(false);
    }
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE tenant_id = $1 AND id <> $2 AND card ->> 'acquirer_reference' = $3)",
    )
    .bind(tenant.as_str())
    .bind(id)
    .bind(reference)
    .fetch_one(pool)
    .await
}

/// Takes the probe claim of a payment that holds its terminal: only one replica asks Nets
/// about it (lookup, void) at a time. False when another one does, or it holds nothing.
pub async fn claim_probe(
    pool: &PgPool,
    id: Uuid,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE payments SET probe_until = $3 WHERE id = $1 AND holds_terminal \
         AND (probe_until IS NULL OR probe_until < $2)",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives the probe claim back; `next` paces the next revisit, `learned` resets the count of
/// revisits that learned nothing.
pub async fn end_probe(pool: &PgPool, id: Uuid, next: Option<DateTime<Utc>>, learned: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payments SET probe_until = NULL, next_probe_at = $2, \
         probes = CASE WHEN $3 THEN 0 ELSE probes + 1 END WHERE id = $1",
    )
    .bind(id)
    .bind(next)
    .bind(learned)
    .execute(pool)
    .await
    .map(|_| ())
}

/// Notes that the purchase answer of `id` was lost (lookups wait a little after it).
pub async fn answer_lost(pool: &PgPool, id: Uuid, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE payments SET answer_lost_at = $2 WHERE id = $1 AND answer_lost_at IS NULL")
        .bind(id)
        .bind(at)
        .execute(pool)
        .await
        .map(|_| ())
}

/// The refunds of purchase `purchase` that may have given money back (running, approved, or
/// ended unconfirmed and not voided), in minor units, read under the purchase's row lock.
pub async fn refunded(conn: &mut PgConnection, purchase: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(sum(amount_minor), 0)::bigint FROM payments WHERE refund_of = $1 \
         AND (state IN ('waiting', 'approved') OR (state = 'timed_out' AND (holds_terminal \
              OR (late_approval IS NOT NULL AND COALESCE(void_state, '') <> 'voided'))))",
    )
    .bind(purchase)
    .fetch_one(conn)
    .await
}
