//! The `sessions` and `login_failures` tables. Tokens are stored only as their SHA-256.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

/// A live session with its agent.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// Agent id.
    pub agent_id: i64,
    /// `web` or `api`.
    pub kind: String,
    /// CSRF token of a web session.
    pub csrf_token: String,
    /// Agent login name.
    pub username: String,
    /// Agent display name.
    pub display_name: String,
    /// Agent role.
    pub role: String,
}

/// Stores a session.
pub async fn insert(
    pool: &PgPool,
    token_hash: &[u8],
    agent_id: i64,
    kind: &str,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, agent_id, kind, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(agent_id)
    .bind(kind)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// The live session of `token_hash` at `now` (its agent must be active).
pub async fn find(pool: &PgPool, token_hash: &[u8], now: DateTime<Utc>) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.agent_id, s.kind, s.csrf_token, a.username, a.display_name, a.role \
         FROM sessions s JOIN agents a ON a.id = s.agent_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Ends a session.
pub async fn delete(pool: &PgPool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())
}

/// Records a failed login for each key.
pub async fn add_failures(pool: &PgPool, keys: &[String], at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k")
        .bind(keys)
        .bind(at)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Failure times of `key` since `since`.
pub async fn failures(pool: &PgPool, key: &str, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT 100")
        .bind(key)
        .bind(since)
        .fetch_all(pool)
        .await
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear_failures(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(pool).await.map(|_| ())
}

/// Deletes expired sessions and failures older than `failures_before`.
pub async fn prune(pool: &PgPool, now: DateTime<Utc>, failures_before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
    let b = sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(failures_before).execute(pool).await?;
    Ok(a.rows_affected() + b.rows_affected())
}
