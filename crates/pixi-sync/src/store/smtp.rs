//! The `smtp_configs` table (PX-02).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgPool};
use uuid::Uuid;

/// A stored SMTP configuration.
#[derive(Debug, Clone, FromRow)]
pub struct SmtpRow {
    /// Tenant.
    pub tenant_id: Uuid,
    /// Host.
    pub host: String,
    /// Port.
    pub port: i32,
    /// `none`, `starttls`, `implicit`.
    pub tls_mode: String,
    /// User.
    pub username: String,
    /// Encrypted password.
    pub password_enc: Option<String>,
    /// Sender.
    pub sender: String,
    /// Recipient.
    pub recipient: String,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// Inserts or replaces.
pub async fn upsert(tx: &mut PgConnection, r: &SmtpRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO smtp_configs (tenant_id, host, port, tls_mode, username, password_enc, sender, recipient, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id) DO UPDATE SET host = $2, port = $3, \
         tls_mode = $4, username = $5, password_enc = $6, sender = $7, recipient = $8, updated_at = $9",
    )
    .bind(r.tenant_id)
    .bind(&r.host)
    .bind(r.port)
    .bind(&r.tls_mode)
    .bind(&r.username)
    .bind(&r.password_enc)
    .bind(&r.sender)
    .bind(&r.recipient)
    .bind(r.updated_at)
    .execute(tx)
    .await
    .map(|_| ())
}

/// A tenant's configuration.
pub async fn get(pool: &PgPool, tenant_id: Uuid) -> Result<Option<SmtpRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT tenant_id, host, port, tls_mode, username, password_enc, sender, recipient, updated_at \
         FROM smtp_configs WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
}
