//! The `create_attempts` table: when each ticket creation (journal key) was last sent, in the
//! service's clock. Written just before the call, so a missing row means it was never sent;
//! read by the creation probe, which trusts Freshdesk's search only once the attempt is older
//! than the indexing delay (TK-03).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Records that the creation under `key` is sent at `at`.
pub async fn record(pool: &PgPool, key: &str, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO create_attempts (journal_key, sent_at) VALUES ($1, $2) \
         ON CONFLICT (journal_key) DO UPDATE SET sent_at = GREATEST(create_attempts.sent_at, $2)",
    )
    .bind(key)
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// When the creation under `key` was last sent, if ever.
pub async fn sent_at(pool: &PgPool, key: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT sent_at FROM create_attempts WHERE journal_key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}
