//! The gRPC adapters of `payops.pixi_sync.v1`: parse requests into domain values, call the
//! store and the partners, map errors with `status.rs`. One file per service.

mod console_users;
mod convert;
mod dashboard;
mod payment_configs;
pub mod permissions;
mod retry;
mod status;
mod tenants;

use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::grpc::Principal;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::quiet::QuietWindow;
use crate::error::Error;
use crate::mail::Mailer;
use crate::secrets::SecretBox;
use crate::service::Worker;
use crate::unzer::UnzerClient;

pub use console_users::ConsoleUsers;
pub use dashboard::Dashboard;
pub use payment_configs::PaymentConfigs;
pub use tenants::Tenants;

/// What the services share.
#[derive(Clone)]
pub struct Api {
    /// Pool.
    pub pool: PgPool,
    /// Outbox.
    pub outbox: Outbox,
    /// Clock.
    pub clock: SharedClock,
    /// Secrets at rest.
    pub secrets: SecretBox,
    /// unzer client.
    pub unzer: UnzerClient,
    /// HTTP client for pixi.
    pub pixi_http: kit::outbound::Outbound,
    /// Mail.
    pub mailer: Mailer,
    /// Quiet window.
    pub quiet: QuietWindow,
    /// Public base URL.
    pub public_base_url: Option<String>,
    /// The worker (reconciliation on demand).
    pub worker: Worker,
    /// Console logins (password hashing for console users).
    pub console: crate::console::auth::Auth,
}

impl Api {
    /// The error-page URL of a token.
    pub fn error_page_url(&self, token: &str) -> String {
        format!("{}/errors/{token}", self.public_base_url.as_deref().unwrap_or(""))
    }

    /// The webhook URL of a tenant (only with a public base URL).
    pub fn webhook_url(&self, tenant_id: Uuid, secret: &str) -> Option<String> {
        webhook_url(self.public_base_url.as_deref(), tenant_id, secret)
    }

    /// What the preflight needs of the service.
    pub fn preflight(&self) -> crate::preflight::Preflight {
        crate::preflight::Preflight {
            pool: self.pool.clone(),
            secrets: self.secrets.clone(),
            pixi_http: self.pixi_http.clone(),
            unzer: self.unzer.clone(),
            clock: self.clock.clone(),
            quiet: self.quiet,
            public_base_url: self.public_base_url.clone(),
        }
    }
}

/// The webhook URL of a tenant under `base` (`None` without a public base URL).
pub fn webhook_url(base: Option<&str>, tenant_id: Uuid, secret: &str) -> Option<String> {
    base.map(|b| format!("{b}/unzer/webhooks/{tenant_id}/{secret}"))
}

/// AAD of a pixi API password.
pub fn pixi_password_aad(id: Uuid) -> String {
    format!("pixi_api:{id}:password")
}

/// AAD of an SMTP password.
pub fn smtp_password_aad(tenant_id: Uuid) -> String {
    format!("smtp:{tenant_id}:password")
}

/// AAD of a tenant's webhook secret.
pub fn webhook_secret_aad(tenant_id: Uuid) -> String {
    format!("tenant:{tenant_id}:webhook_secret")
}

/// The caller's name for the audit log.
pub fn actor<T>(req: &tonic::Request<T>, fallback: &str) -> String {
    req.extensions()
        .get::<Principal>()
        .map(|p| p.subject.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| if fallback.trim().is_empty() { "anonymous".to_owned() } else { fallback.trim().to_owned() })
}

/// Parses a UUID field.
pub fn uuid(field: &str, value: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(value.trim()).map_err(|_| Error::invalid(field, "must be a UUID"))
}
