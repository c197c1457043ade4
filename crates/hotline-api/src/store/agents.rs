//! The `agents` table.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use crate::domain::agent::Role;

/// An agent row.
#[derive(Debug, Clone, FromRow)]
pub struct AgentRow {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `standard` or `admin`.
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the agent may log in.
    pub active: bool,
}

impl AgentRow {
    /// The role (unknown stored values count as standard).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Standard)
    }
}

/// The agent named `username`.
pub async fn by_username(pool: &PgPool, username: &str) -> Result<Option<AgentRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, display_name, role, password_hash, active FROM agents WHERE username = $1")
        .bind(username)
        .fetch_optional(pool)
        .await
}

/// The agent with `id`.
pub async fn by_id(pool: &PgPool, id: i64) -> Result<Option<AgentRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, display_name, role, password_hash, active FROM agents WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Inserts an agent; `Ok(None)` when the name is taken.
pub async fn insert(
    pool: &PgPool,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO agents (username, display_name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

/// Number of agents.
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM agents").fetch_one(pool).await
}

/// Every agent, by user name.
pub async fn list(pool: &PgPool) -> Result<Vec<AgentRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, username, display_name, role, password_hash, active FROM agents ORDER BY username")
        .fetch_all(pool)
        .await
}

/// Sets whether an agent may log in; the agent's id, `None` when there is no such agent.
pub async fn set_active(pool: &PgPool, username: &str, active: bool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("UPDATE agents SET active = $2 WHERE username = $1 RETURNING id")
        .bind(username)
        .bind(active)
        .fetch_optional(pool)
        .await
}

/// Sets an agent's role; the agent's id, `None` when there is no such agent.
pub async fn set_role(pool: &PgPool, username: &str, role: Role) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("UPDATE agents SET role = $2 WHERE username = $1 RETURNING id")
        .bind(username)
        .bind(role.as_str())
        .fetch_optional(pool)
        .await
}

/// Replaces an agent's password hash; the agent's id, `None` when there is no such agent.
pub async fn set_password_hash(pool: &PgPool, username: &str, hash: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("UPDATE agents SET password_hash = $2 WHERE username = $1 RETURNING id")
        .bind(username)
        .bind(hash)
        .fetch_optional(pool)
        .await
}
