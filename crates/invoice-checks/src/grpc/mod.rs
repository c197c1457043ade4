//! gRPC adapters: `payops.invoice_checks.v1.SwissBillingService` and `ManualPaymentService`.
//! They parse requests into domain input, check the caller's role, call the use cases and map
//! errors with `status.rs`.

pub mod convert;
pub mod manual;
mod status;
pub mod swissbilling;

use kit::clock::SharedClock;
use kit::grpc::Principal;
use sqlx::PgPool;

use crate::auth::MANAGER;
use crate::error::Error;
use crate::store::security::{self, SecurityEvent};

pub use status::DOMAIN;

/// Role checks with an audit trail of refusals.
#[derive(Clone)]
pub struct Access {
    pool: PgPool,
    clock: SharedClock,
}

impl Access {
    /// Checks on `pool` (where refusals are recorded).
    pub fn new(pool: PgPool, clock: SharedClock) -> Self {
        Access { pool, clock }
    }

    /// Whether the caller has the manager role (for what a read shows; nothing is refused).
    pub fn is_manager(principal: Option<&Principal>) -> bool {
        principal.is_some_and(|p| p.has_role(MANAGER))
    }

    /// The manager's name, or PERMISSION_DENIED (recorded as a security event).
    pub async fn manager(&self, principal: Option<&Principal>, action: &str, order_id: &str) -> Result<String, Error> {
        match principal {
            Some(p) if p.has_role(MANAGER) => Ok(p.subject.clone()),
            other => {
                let actor = other.map_or("anonymous", |p| p.subject.as_str());
                let detail = format!("{action} needs the manager role");
                let e = SecurityEvent { kind: "role_refused", tenant: "", order_id, actor, detail: &detail };
                security::record(&self.pool, &e, self.clock.now()).await;
                Err(Error::Forbidden(format!("{action} needs the manager role")))
            }
        }
    }
}
