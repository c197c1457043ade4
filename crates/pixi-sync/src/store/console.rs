//! The console's users, sessions and login failures (CN-01). Session tokens are stored only as
//! their SHA-256; a session is found only while its user is active and it has neither idled out
//! nor passed its absolute end.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// A console user (without the password hash).
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    /// Id.
    pub id: i64,
    /// The tenant it is bound to; `None` for a payops operator (every tenant).
    pub tenant_id: Option<Uuid>,
    /// Login name (lower case).
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    /// Can log in.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const USER: &str = "id, tenant_id, username, display_name, role, active, created_at, updated_at";

/// A new user; `None` when the login name is taken.
pub async fn insert_user(
    pool: &PgPool,
    tenant_id: Option<Uuid>,
    username: &str,
    display_name: &str,
    role: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "INSERT INTO console_users (tenant_id, username, display_name, role, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (username) DO NOTHING RETURNING {USER}"
    ))
    .bind(tenant_id)
    .bind(username)
    .bind(display_name)
    .bind(role)
    .bind(password_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// A user by login name with its password hash.
pub async fn by_username(pool: &PgPool, username: &str) -> Result<Option<(UserRow, String)>, sqlx::Error> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT id, password_hash FROM console_users WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await?;
    let Some((id, hash)) = row else { return Ok(None) };
    Ok(user(pool, id).await?.map(|u| (u, hash)))
}

/// One user.
pub async fn user(pool: &PgPool, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER} FROM console_users WHERE id = $1")).bind(id).fetch_optional(pool).await
}

/// The users of a tenant (`None`: the operators for every tenant), by login name.
pub async fn users_of(pool: &PgPool, tenant_id: Option<Uuid>) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER} FROM console_users WHERE tenant_id IS NOT DISTINCT FROM $1 ORDER BY username"
    ))
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}

/// Number of users (the bootstrap operator is created only when there is none).
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM console_users").fetch_one(pool).await
}

/// Changes role, active flag and (when given) the password hash; a deactivation or a new
/// password ends the user's sessions in the same transaction (SE-06).
pub async fn update_user(
    pool: &PgPool,
    id: i64,
    role: &str,
    active: bool,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<UserRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "UPDATE console_users SET role = $2, active = $3, password_hash = COALESCE($4, password_hash), updated_at = $5 \
         WHERE id = $1 RETURNING {USER}"
    ))
    .bind(id)
    .bind(role)
    .bind(active)
    .bind(password_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if row.is_some() && (!active || password_hash.is_some()) {
        sqlx::query("DELETE FROM console_sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Stores a session.
pub async fn insert_session(
    pool: &PgPool,
    token_hash: &[u8],
    user_id: i64,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// A session with its user, as stored.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    /// The user.
    pub user_id: i64,
    /// The CSRF token.
    pub csrf_token: String,
    /// Last use.
    pub last_seen_at: DateTime<Utc>,
    /// Absolute end.
    pub expires_at: DateTime<Utc>,
}

/// The session of `token_hash` whose user is active (its timeouts are the caller's to judge).
pub async fn session(pool: &PgPool, token_hash: &[u8]) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.user_id, s.csrf_token, s.last_seen_at, s.expires_at FROM console_sessions s \
         JOIN console_users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.active",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
}

/// Marks a session used now.
pub async fn touch_session(pool: &PgPool, token_hash: &[u8], now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Ends a session.
pub async fn delete_session(pool: &PgPool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|_| ())
}

/// Records an attempt as a failure for each key (before the password is checked); returns
/// the rows, which a successful login deletes again.
pub async fn add_failures(pool: &PgPool, keys: &[String], at: DateTime<Utc>) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO console_login_failures (key, at) SELECT k, $2 FROM unnest($1::text[]) AS k RETURNING id",
    )
    .bind(keys)
    .bind(at)
    .fetch_all(pool)
    .await
}

/// Takes back the attempt rows of a successful login.
pub async fn delete_failures(pool: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_login_failures WHERE id = ANY($1)").bind(ids).execute(pool).await.map(|_| ())
}

/// Failed logins of `key` since `since`.
pub async fn failures(pool: &PgPool, key: &str, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM console_login_failures WHERE key = $1 AND at > $2")
        .bind(key)
        .bind(since)
        .fetch_one(pool)
        .await
}

/// Forgets the failures of `key` (after a successful login).
pub async fn clear_failures(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM console_login_failures WHERE key = $1").bind(key).execute(pool).await.map(|_| ())
}

/// Deletes ended sessions and failures older than `failures_before`.
pub async fn prune(
    pool: &PgPool,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
    failures_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let a = sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(now)
        .bind(idle_before)
        .execute(pool)
        .await?;
    let b = sqlx::query("DELETE FROM console_login_failures WHERE at < $1").bind(failures_before).execute(pool).await?;
    Ok(a.rows_affected() + b.rows_affected())
}
