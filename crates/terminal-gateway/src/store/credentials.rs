//! The `nets_credentials` table. Passwords are sealed with XChaCha20-Poly1305 under the
//! service's `CREDENTIALS_KEY`, bound to the tenant id (associated data), so a row copied to
//! another tenant does not open. Nothing here ever logs or returns the password to a caller.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, Row};

use crate::domain::TenantId;
use crate::nets::NetsLogin;

/// Seals and opens passwords ([`kit::seal::Sealer`], the tenant id as associated data). `Debug`
/// shows nothing of the key.
#[derive(Clone, Debug)]
pub struct Sealer {
    inner: kit::seal::Sealer,
}

/// Sealing failures.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The key is not 32 bytes of hex or base64.
    #[error("expected 32 bytes as 64 hex digits or base64")]
    BadKey,
    /// The stored value does not open with this key (wrong key, or tampered).
    #[error("stored credentials cannot be opened with CREDENTIALS_KEY")]
    Open,
}

impl Sealer {
    /// A sealer from a 32-byte key given as 64 hex digits or base64.
    pub fn from_key(key: &SecretString) -> Result<Sealer, SealError> {
        Ok(Sealer { inner: kit::seal::Sealer::from_key(key).map_err(|_| SealError::BadKey)? })
    }

    /// Nonce followed by ciphertext.
    pub fn seal(&self, tenant: &TenantId, secret: &SecretString) -> Result<Vec<u8>, SealError> {
        self.inner.seal(secret.expose_secret().as_bytes(), tenant.as_bytes()).map_err(|_| SealError::Open)
    }

    /// Opens what [`Sealer::seal`] produced for the same tenant.
    pub fn open(&self, tenant: &TenantId, sealed: &[u8]) -> Result<SecretString, SealError> {
        self.inner.open(sealed, tenant.as_bytes()).map_err(|_| SealError::Open)
    }
}

/// Stores (or replaces) a tenant's login.
pub async fn upsert(
    pool: &PgPool,
    tenant: &TenantId,
    username: &str,
    sealed: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO nets_credentials (tenant_id, username, password_sealed, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id) DO UPDATE SET username = $2, password_sealed = $3, updated_at = $4",
    )
    .bind(tenant.as_str())
    .bind(username)
    .bind(sealed)
    .bind(at)
    .execute(pool)
    .await
    .map(|_| ())
}

/// When the tenant's credentials were stored, if they are.
pub async fn updated_at(pool: &PgPool, tenant: &TenantId) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT updated_at FROM nets_credentials WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .fetch_optional(pool)
        .await
}

/// The tenant's login, opened; `None` when none is stored.
pub async fn load(pool: &PgPool, sealer: &Sealer, tenant: &TenantId) -> Result<Option<NetsLogin>, crate::error::Error> {
    let row = sqlx::query("SELECT username, password_sealed FROM nets_credentials WHERE tenant_id = $1")
        .bind(tenant.as_str())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let username: String = row.try_get("username")?;
    let sealed: Vec<u8> = row.try_get("password_sealed")?;
    let password = sealer.open(tenant, &sealed)?;
    Ok(Some(NetsLogin { tenant: tenant.clone(), username, password }))
}

/// Every tenant with stored credentials (the preflight command checks them all).
pub async fn tenants(pool: &PgPool) -> Result<Vec<TenantId>, sqlx::Error> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT tenant_id FROM nets_credentials ORDER BY tenant_id").fetch_all(pool).await?;
    rows.into_iter().map(|t| TenantId::parse(t).map_err(|e| sqlx::Error::Decode(Box::new(e)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg_01_sealed_passwords_open_only_for_their_tenant_and_key() {
        let key = SecretString::from("00".repeat(32));
        let s = Sealer::from_key(&key).unwrap();
        let a = TenantId::parse("hotel-a").unwrap();
        let b = TenantId::parse("hotel-b").unwrap();
        let sealed = s.seal(&a, &SecretString::from("hunter2")).unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"), "not stored in clear");
        assert_eq!(s.open(&a, &sealed).unwrap().expose_secret(), "hunter2");
        assert!(s.open(&b, &sealed).is_err(), "bound to the tenant");
        let other = Sealer::from_key(&SecretString::from("11".repeat(32))).unwrap();
        assert!(other.open(&a, &sealed).is_err(), "bound to the key");
        assert!(Sealer::from_key(&SecretString::from("abc")).is_err());
        assert!(!format!("{s:?}").contains("00"));
    }
}
