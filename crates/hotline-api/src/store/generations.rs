//! The `code_generations` table: one row per journal key of a generation, with the new code
//! (for the B2C ticket written after it).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::payment::Generation;

/// The newest code generated for a transaction after `after`: (code, valid until).
pub async fn newest_after(
    pool: &PgPool,
    transaction_id: i64,
    after: DateTime<Utc>,
) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT code, valid_until FROM code_generations WHERE transaction_id = $1 AND generated_at > $2 \
         AND code IS NOT NULL ORDER BY generated_at DESC LIMIT 1",
    )
    .bind(transaction_id)
    .bind(after)
    .fetch_optional(pool)
    .await
}

/// Records a generation; true when the row is new (so its event and audit entry are due).
pub async fn insert(
    conn: &mut PgConnection,
    key: &str,
    g: &Generation,
    generated_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO code_generations (key, transaction_id, generation_id, device_b_code, device_internal_id, \
         amount_minor, currency, valid_until, generated_at, generated_by, recorded_at, code) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(g.transaction_id)
    .bind(g.generation_id)
    .bind(&g.device_b_code)
    .bind(&g.device_internal_id)
    .bind(g.amount.minor())
    .bind(g.amount.currency().as_str())
    .bind(g.valid_until)
    .bind(g.generated_at)
    .bind(generated_by)
    .bind(now)
    .bind(&g.code)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Who recorded the generation of `key`, if it is recorded.
pub async fn generated_by(conn: &mut PgConnection, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT generated_by FROM code_generations WHERE key = $1").bind(key).fetch_optional(conn).await
}

/// Journal entries of `operation` that succeeded but have no generation row yet (the resolver
/// settled them after their caller gave up): (key, request, outcome), at most 100.
pub async fn settled_unrecorded(
    pool: &PgPool,
    operation: &str,
) -> Result<Vec<(String, serde_json::Value, Option<serde_json::Value>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT j.key, j.request, j.outcome FROM journal j WHERE j.operation = $1 AND j.status = 'succeeded' \
         AND NOT EXISTS (SELECT 1 FROM code_generations c WHERE c.key = j.key) LIMIT 100",
    )
    .bind(operation)
    .fetch_all(pool)
    .await
}
