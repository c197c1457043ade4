//! The `pixi_apis` table: at most two per tenant (PX-01), checked under the tenant row lock.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A stored pixi API configuration.
#[derive(Debug, Clone, FromRow)]
pub struct PixiApiRow {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Name.
    pub name: String,
    /// Endpoint.
    pub endpoint: String,
    /// User.
    pub username: String,
    /// Encrypted password.
    pub password_enc: String,
    /// Active.
    pub active: bool,
    /// IANA zone.
    pub timezone: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, tenant_id, name, endpoint, username, password_enc, active, timezone, created_at, updated_at";

/// Number of configurations of a tenant.
pub async fn count(tx: &mut PgConnection, tenant_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM pixi_apis WHERE tenant_id = $1").bind(tenant_id).fetch_one(tx).await
}

/// Inserts or updates (by id).
pub async fn upsert(tx: &mut PgConnection, r: &PixiApiRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO pixi_apis (id, tenant_id, name, endpoint, username, password_enc, active, timezone, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (id) DO UPDATE SET name = $3, endpoint = $4, username = $5, password_enc = $6, active = $7, \
         timezone = $8, updated_at = $10",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(&r.name)
    .bind(&r.endpoint)
    .bind(&r.username)
    .bind(&r.password_enc)
    .bind(r.active)
    .bind(&r.timezone)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// One configuration.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<PixiApiRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM pixi_apis WHERE id = $1")).bind(id).fetch_optional(pool).await
}

/// A tenant's configurations, oldest first.
pub async fn of_tenant(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<PixiApiRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM pixi_apis WHERE tenant_id = $1 ORDER BY created_at, id"))
        .bind(tenant_id)
        .fetch_all(pool)
        .await
}

/// Every active configuration (the worker's list).
pub async fn active(pool: &PgPool) -> Result<Vec<PixiApiRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLS} FROM pixi_apis WHERE active ORDER BY created_at, id")).fetch_all(pool).await
}
