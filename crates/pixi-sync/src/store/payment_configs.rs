//! The `payment_configs` table (PX-03 … PX-05).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A stored payment configuration with what the API shows besides.
#[derive(Debug, Clone, FromRow)]
pub struct PaymentConfigRow {
    /// Id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// pixi API configuration.
    pub pixi_api_id: Uuid,
    /// Mandant.
    pub mandant: String,
    /// pixi payment method.
    pub payment_method: String,
    /// Active as configured.
    pub active: bool,
    /// Invoice booking event.
    pub invoice_event: String,
    /// Returns booking event.
    pub return_event: String,
    /// XML tag.
    pub xml_tag: String,
    /// Rounding tolerance.
    pub tolerance_minor: i64,
    /// unzer public key.
    pub public_key: String,
    /// Encrypted unzer private key.
    pub private_key_enc: String,
    /// `standard` or `expert`.
    pub mode: String,
    /// Copy source.
    pub copied_from: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
    /// The pixi API configuration is active (PX-04).
    pub api_active: bool,
    /// Orders processed with it.
    pub processed: i64,
}

const SELECT: &str = "SELECT c.id, c.tenant_id, c.pixi_api_id, c.mandant, c.payment_method, c.active, c.invoice_event, \
     c.return_event, c.xml_tag, c.tolerance_minor, c.public_key, c.private_key_enc, c.mode, c.copied_from, c.created_at, \
     c.updated_at, a.active AS api_active, \
     (SELECT count(*) FROM orders o WHERE o.payment_config_id = c.id) AS processed \
     FROM payment_configs c JOIN pixi_apis a ON a.id = c.pixi_api_id";

/// The AAD that binds a private key to its configuration.
pub fn key_aad(id: Uuid) -> String {
    format!("payment_config:{id}:private_key")
}

/// Inserts or updates (by id). The unique key violation is `payment_configs_key`.
pub async fn upsert(tx: &mut PgConnection, r: &PaymentConfigRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payment_configs (id, tenant_id, pixi_api_id, mandant, payment_method, active, invoice_event, \
         return_event, xml_tag, tolerance_minor, public_key, private_key_enc, mode, copied_from, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (id) DO UPDATE SET pixi_api_id = $3, mandant = $4, payment_method = $5, active = $6, \
         invoice_event = $7, return_event = $8, xml_tag = $9, tolerance_minor = $10, public_key = $11, \
         private_key_enc = $12, mode = $13, updated_at = $16",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.pixi_api_id)
    .bind(&r.mandant)
    .bind(&r.payment_method)
    .bind(r.active)
    .bind(&r.invoice_event)
    .bind(&r.return_event)
    .bind(&r.xml_tag)
    .bind(r.tolerance_minor)
    .bind(&r.public_key)
    .bind(&r.private_key_enc)
    .bind(&r.mode)
    .bind(r.copied_from)
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// One configuration.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<PaymentConfigRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.id = $1")).bind(id).fetch_optional(pool).await
}

/// A tenant's configurations, optionally of one pixi API configuration.
pub async fn list(
    pool: &PgPool,
    tenant_id: Uuid,
    pixi_api_id: Option<Uuid>,
) -> Result<Vec<PaymentConfigRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE c.tenant_id = $1 AND ($2::uuid IS NULL OR c.pixi_api_id = $2) \
         ORDER BY a.created_at, c.mandant, c.payment_method"
    ))
    .bind(tenant_id)
    .bind(pixi_api_id)
    .fetch_all(pool)
    .await
}

/// The effectively active configurations of a pixi API configuration (PX-04, PX-27).
pub async fn effective(pool: &PgPool, pixi_api_id: Uuid) -> Result<Vec<PaymentConfigRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} WHERE c.pixi_api_id = $1 AND c.active AND a.active ORDER BY c.mandant, c.payment_method"
    ))
    .bind(pixi_api_id)
    .fetch_all(pool)
    .await
}

/// Configurations with a public key (webhook routing).
pub async fn by_public_key(
    pool: &PgPool,
    tenant_id: Uuid,
    public_key: &str,
) -> Result<Vec<PaymentConfigRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} WHERE c.tenant_id = $1 AND c.public_key = $2"))
        .bind(tenant_id)
        .bind(public_key)
        .fetch_all(pool)
        .await
}
