//! pixi calls per tenant, minute and replica (`pixi_call_minutes`): each replica adds its
//! counts, the console sums every replica's.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Adds `(tenant, minute, calls)` counts of replica `holder`; counts of tenants that no longer
/// exist are dropped.
pub async fn add(pool: &PgPool, holder: &str, buckets: &[(Uuid, DateTime<Utc>, i64)]) -> Result<(), sqlx::Error> {
    let tenants: Vec<Uuid> = buckets.iter().map(|b| b.0).collect();
    let minutes: Vec<DateTime<Utc>> = buckets.iter().map(|b| b.1).collect();
    let calls: Vec<i64> = buckets.iter().map(|b| b.2).collect();
    sqlx::query(
        "INSERT INTO pixi_call_minutes (tenant_id, minute, holder, calls) \
         SELECT t, m, $4, c FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[]) AS u(t, m, c) \
         WHERE EXISTS (SELECT 1 FROM tenants WHERE id = t) \
         ON CONFLICT (tenant_id, minute, holder) DO UPDATE SET calls = pixi_call_minutes.calls + EXCLUDED.calls",
    )
    .bind(&tenants)
    .bind(&minutes)
    .bind(&calls)
    .bind(holder)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets counts of minutes before `before`.
pub async fn forget_before(pool: &PgPool, before: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pixi_call_minutes WHERE minute < $1").bind(before).execute(pool).await?;
    Ok(())
}

/// A tenant's calls in the minute before `minute`, the 15 minutes and the hour before it (every
/// replica's).
pub async fn sums(pool: &PgPool, tenant_id: Uuid, minute: DateTime<Utc>) -> Result<(i64, i64, i64), sqlx::Error> {
    let (last_minute, last_15, last_hour): (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT sum(calls) FILTER (WHERE minute >= $2 - interval '1 minute')::bigint, \
         sum(calls) FILTER (WHERE minute >= $2 - interval '15 minutes')::bigint, sum(calls)::bigint \
         FROM pixi_call_minutes WHERE tenant_id = $1 AND minute >= $2 - interval '60 minutes'",
    )
    .bind(tenant_id)
    .bind(minute)
    .fetch_one(pool)
    .await?;
    Ok((last_minute.unwrap_or(0), last_15.unwrap_or(0), last_hour.unwrap_or(0)))
}
