//! The Freshdesk rate budget every replica shares (`rate_budget`): per schedule (`calls`,
//! `creates`) the theoretical arrival time of the next call (GCRA) and a pause after a 429.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// One atomic reservation: unless paused, the schedule's theoretical arrival time moves one
/// `interval` past `max(tat, now)`. Returns the new tat and the pause.
pub async fn reserve(
    pool: &PgPool,
    schedule: &str,
    now: DateTime<Utc>,
    interval: chrono::Duration,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>), sqlx::Error> {
    let step = interval.num_microseconds().unwrap_or(i64::MAX);
    sqlx::query_as(
        "INSERT INTO rate_budget AS b (schedule, tat) VALUES ($1, $2 + $3 * interval '1 microsecond') \
         ON CONFLICT (schedule) DO UPDATE SET tat = CASE WHEN b.paused_until > $2 THEN b.tat \
             ELSE GREATEST(COALESCE(b.tat, $2), $2) + $3 * interval '1 microsecond' END \
         RETURNING tat, paused_until",
    )
    .bind(schedule)
    .bind(now)
    .bind(step)
    .fetch_one(pool)
    .await
}

/// Records a pause until `until` on both schedules (and moves them past it).
pub async fn pause(pool: &PgPool, until: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO rate_budget AS b (schedule, tat, paused_until) \
         SELECT s, $1, $1 FROM unnest(ARRAY['calls', 'creates']) AS s \
         ON CONFLICT (schedule) DO UPDATE SET paused_until = GREATEST(COALESCE(b.paused_until, $1), $1), \
             tat = GREATEST(COALESCE(b.tat, $1), $1)",
    )
    .bind(until)
    .execute(pool)
    .await
    .map(|_| ())
}
