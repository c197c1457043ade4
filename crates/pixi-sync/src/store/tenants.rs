//! The `tenants` table.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A tenant with counts for the API.
#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Encrypted webhook secret.
    pub webhook_secret_enc: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// pixi API configurations.
    pub pixi_apis: i64,
    /// SMTP configured.
    pub has_smtp: bool,
}

const SELECT: &str = "SELECT t.id, t.name, t.webhook_secret_enc, t.created_at, \
     (SELECT count(*) FROM pixi_apis a WHERE a.tenant_id = t.id) AS pixi_apis, \
     EXISTS (SELECT 1 FROM smtp_configs s WHERE s.tenant_id = t.id) AS has_smtp FROM tenants t";

/// Inserts a tenant.
pub async fn insert(
    tx: &mut PgConnection,
    id: Uuid,
    name: &str,
    webhook_secret_enc: &str,
    token_hash: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tenants (id, name, webhook_secret_enc, error_page_token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(name)
    .bind(webhook_secret_enc)
    .bind(token_hash)
    .bind(at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// One tenant.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE t.id = $1")).bind(id).fetch_optional(pool).await
}

/// Every tenant, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} ORDER BY t.created_at, t.id")).fetch_all(pool).await
}

/// The tenant whose error-page token hashes to `hash`.
pub async fn by_token_hash(pool: &PgPool, hash: &[u8]) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE t.error_page_token_hash = $1")).bind(hash).fetch_optional(pool).await
}

/// Replaces the error-page token; false when the tenant does not exist.
pub async fn set_token_hash(tx: &mut PgConnection, id: Uuid, hash: &[u8]) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE tenants SET error_page_token_hash = $2 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Locks the tenant row (serialises per-tenant limits) and tells whether it exists.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let found: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1 FOR UPDATE").bind(id).fetch_optional(tx).await?;
    Ok(found.is_some())
}
