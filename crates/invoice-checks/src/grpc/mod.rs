//! gRPC adapters: `payops.invoice_checks.v1.SwissBillingService` and `ManualPaymentService`.
//! They parse requests into domain input, name the authenticated caller (the kit's layer has
//! checked its permission against `permissions::TABLE`), call the use cases and map errors with
//! `status.rs`.

pub mod convert;
pub mod manual;
pub mod permissions;
mod status;
pub mod swissbilling;

use kit::clock::SharedClock;
use kit::grpc::Principal;
use sqlx::PgPool;

use crate::error::Error;
use crate::store::security::{self, SecurityEvent};

pub use status::DOMAIN;

impl kit::grpc::auth::DenialSink for Access {
    fn record<'a>(&'a self, d: &'a kit::grpc::auth::Denial) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let detail = format!("{} needs the permission {}", d.method, d.permission);
            let e = SecurityEvent {
                kind: "role_refused",
                tenant: "",
                order_id: "",
                actor: &d.principal.subject,
                detail: &detail,
            };
            security::record(&self.pool, &e, self.clock.now()).await;
        })
    }
}

/// The permission that shows customer contacts on reads: managers'.
pub const SEES_CONTACTS: &str = "manual.payments.approve";

/// Permission checks with an audit trail of refusals.
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

    /// Whether the caller is a manager (for what a read shows; nothing is refused).
    pub fn is_manager(principal: Option<&Principal>) -> bool {
        principal.is_some_and(|p| p.has(SEES_CONTACTS))
    }

    /// The authenticated manager's name (SE-04: what the journal and history record, never a
    /// name from the request), or PERMISSION_DENIED recorded as a security event. `action` is
    /// the ManualPaymentService method; its permission comes from the permission table.
    pub async fn manager(&self, principal: Option<&Principal>, action: &str, order_id: &str) -> Result<String, Error> {
        let method = format!("payops.invoice_checks.v1.ManualPaymentService/{action}");
        let need = match kit::grpc::auth::access(permissions::TABLE, &method) {
            Some(kit::grpc::Access::Needs(p)) => p,
            _ => "manual.payments.approve",
        };
        match principal {
            Some(p) if p.has(need) => Ok(p.subject.clone()),
            other => {
                let actor = other.map_or("anonymous", |p| p.subject.as_str());
                let detail = format!("{action} needs the permission {need}");
                let e = SecurityEvent { kind: "role_refused", tenant: "", order_id, actor, detail: &detail };
                security::record(&self.pool, &e, self.clock.now()).await;
                Err(Error::Forbidden(detail))
            }
        }
    }
}
