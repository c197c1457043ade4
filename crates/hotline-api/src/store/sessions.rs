//! The `sessions` and `login_failures` tables. Tokens are stored only as their SHA-256; a
//! session is found only before its absolute end and while used within the idle time (SE-06);
//! a login attempt is counted under an advisory lock before its password is checked (SE-05).

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
        "INSERT INTO sessions (token_hash, agent_id, kind, csrf_token, created_at, expires_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $5)",
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

/// The live session of `token_hash` at `now` (its agent must be active, it must not have
/// expired and must have been used after `idle_since`); marks it used at `now`.
pub async fn find(
    pool: &PgPool,
    token_hash: &[u8],
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE sessions s SET last_seen_at = greatest(s.last_seen_at, $2) FROM agents a \
         WHERE a.id = s.agent_id AND s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND a.active \
         RETURNING s.agent_id, s.kind, s.csrf_token, a.username, a.display_name, a.role",
    )
    .bind(token_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(pool)
    .await
}

/// Ends every session of an agent (deactivation, password change; SE-06); how many ended.
pub async fn delete_of_agent(pool: &PgPool, agent_id: i64) -> Result<u64, sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE agent_id = $1")
        .bind(agent_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
}

/// Ends a session.
pub async fn delete(pool: &PgPool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())
}

/// Counts one attempt against each `(key, limit)` before the password is checked (SE-05):
/// under a transaction-scoped advisory lock per key, so parallel attempts are counted one
/// after the other. When a key already holds `limit` failures since `since`, nothing is
/// recorded and `Err` carries the failure times of that key; otherwise the new rows' ids
/// (to be forgotten again when the password was right).
pub async fn count_attempt(
    pool: &PgPool,
    keys: &[(String, u32)],
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<Result<Vec<i64>, (u32, Vec<DateTime<Utc>>)>, sqlx::Error> {
    let mut sorted: Vec<&(String, u32)> = keys.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tx = pool.begin().await?;
    for (key, limit) in &sorted {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7305))").bind(key).execute(&mut *tx).await?;
        let times: Vec<DateTime<Utc>> =
            sqlx::query_scalar("SELECT at FROM login_failures WHERE key = $1 AND at > $2 AND at <= $3")
                .bind(key)
                .bind(since)
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        if times.len() >= *limit as usize {
            tx.rollback().await?;
            return Ok(Err((*limit, times)));
        }
    }
    let names: Vec<String> = keys.iter().map(|(k, _)| k.clone()).collect();
    let ids = sqlx::query_scalar(
        "INSERT INTO login_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k RETURNING id",
    )
    .bind(&names)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(ids))
}

/// Forgets the attempts `ids` (the password was right).
pub async fn forget_attempts(pool: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE id = ANY($1)").bind(ids).execute(pool).await.map(|_| ())
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear_failures(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(pool).await.map(|_| ())
}

/// Forgets every failure for the user name `name` from any address (an admin's unlock);
/// how many were forgotten.
pub async fn clear_failures_of_name(pool: &PgPool, name: &str) -> Result<u64, sqlx::Error> {
    let prefix = format!("pair:{name}|");
    sqlx::query("DELETE FROM login_failures WHERE key = $1 OR starts_with(key, $2)")
        .bind(format!("user:{name}"))
        .bind(prefix)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
}

/// Deletes expired and idle sessions and failures older than `failures_before`.
pub async fn prune(
    pool: &PgPool,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
    failures_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let a = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
        .bind(now)
        .bind(idle_since)
        .execute(pool)
        .await?;
    let b = sqlx::query("DELETE FROM login_failures WHERE at < $1").bind(failures_before).execute(pool).await?;
    Ok(a.rows_affected() + b.rows_affected())
}
