//! The `audit_log` table (HL-02, HL-43).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};

/// One entry to write.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Who.
    pub actor: String,
    /// Their role.
    pub role: &'static str,
    /// What.
    pub action: &'static str,
    /// About what.
    pub target: String,
    /// ok, refused or failed.
    pub outcome: &'static str,
    /// Details (personal data masked).
    pub details: BTreeMap<String, String>,
}

/// A stored entry.
#[derive(Debug, Clone, FromRow)]
pub struct Entry {
    /// Id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Role.
    pub role: String,
    /// What.
    pub action: String,
    /// About what.
    pub target: String,
    /// Outcome.
    pub outcome: String,
    /// Details.
    pub details: sqlx::types::Json<BTreeMap<String, String>>,
}

/// Writes an entry inside the caller's transaction (or on a pooled connection).
pub async fn insert(conn: &mut PgConnection, e: &NewEntry, at: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor, role, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(at)
    .bind(&e.actor)
    .bind(e.role)
    .bind(e.action)
    .bind(&e.target)
    .bind(e.outcome)
    .bind(sqlx::types::Json(&e.details))
    .fetch_one(conn)
    .await
}

/// Entries newest first, before id `before` (exclusive), optionally filtered.
pub async fn list(
    pool: &PgPool,
    before: Option<i64>,
    actor: Option<&str>,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, at, actor, role, action, target, outcome, details FROM audit_log \
         WHERE ($1::bigint IS NULL OR id < $1) AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR action = $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(before)
    .bind(actor)
    .bind(action)
    .bind(limit)
    .fetch_all(pool)
    .await
}
