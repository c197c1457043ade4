//! The `lookups` table: a B2C form and PGW's answer, for the ticket that may follow.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::b2c::{LookupForm, Outcome};

/// Stores a lookup.
pub async fn insert(
    pool: &PgPool,
    id: Uuid,
    actor: &str,
    form: &LookupForm,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO lookups (id, actor, created_at, form, outcome) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(actor)
        .bind(now)
        .bind(sqlx::types::Json(form))
        .bind(sqlx::types::Json(outcome))
        .execute(pool)
        .await
        .map(|_| ())
}

/// A stored lookup, or `None` (unknown, pruned, or unreadable after a format change).
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<(LookupForm, Outcome)>, sqlx::Error> {
    let row: Option<(sqlx::types::Json<serde_json::Value>, sqlx::types::Json<serde_json::Value>)> =
        sqlx::query_as("SELECT form, outcome FROM lookups WHERE id = $1").bind(id).fetch_optional(pool).await?;
    Ok(row.and_then(|(f, o)| Some((serde_json::from_value(f.0).ok()?, serde_json::from_value(o.0).ok()?))))
}

/// Deletes lookups older than `before`.
pub async fn prune(pool: &PgPool, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM lookups WHERE created_at < $1").bind(before).execute(pool).await?.rows_affected())
}
