//! Terminal refunds: Nets "return of goods" (`transactionType` `returnOfGoods`, the amount
//! positive, answered like a purchase — contract cases `nets/refund/*`). A refund is a payment
//! of kind `refund` for an approved terminal purchase: it runs through the same start path
//! (row committed before the terminal is asked, idempotent request id, one payment per
//! terminal across replicas, lookups and voids only by the holder) and its events are keyed by
//! the purchase's order. The money ceiling — refunds never exceed the purchase — is checked
//! under the purchase's row lock, so two refunds racing on one purchase cannot both pass.

use kit::Money;
use uuid::Uuid;

use super::Engine;
use super::start::{Begin, StartPayment};
use crate::domain::payment::State;
use crate::domain::{TenantId, TerminalId, WorkstationId};
use crate::error::Error;
use crate::store::payments::{self, Kind, Method, PaymentRecord};

/// A validated StartRefund request.
#[derive(Debug, Clone)]
pub struct StartRefund {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Idempotency key.
    pub request_id: String,
    /// The approved terminal purchase paid back.
    pub payment_id: Uuid,
    /// Amount (positive).
    pub amount: Money,
    /// Terminal; `None` for the purchase's.
    pub terminal_id: Option<TerminalId>,
    /// Workstation.
    pub workstation_id: Option<WorkstationId>,
}

impl Engine {
    /// Starts a refund; returns it and whether this call created it.
    pub async fn start_refund(&self, r: StartRefund) -> Result<(PaymentRecord, bool), Error> {
        let purchase = payments::get(self.pool(), &r.tenant_id, r.payment_id)
            .await?
            .ok_or_else(|| Error::PaymentUnknown(r.payment_id.to_string()))?;
        refundable(&purchase)?;
        let terminal_id = match (r.terminal_id, purchase.terminal_id.clone()) {
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => return Err(Error::PaymentNotRefundable("it ran on no terminal".into())),
        };
        let req = StartPayment {
            tenant_id: r.tenant_id.clone(),
            request_id: r.request_id.clone(),
            order_id: purchase.order_id.clone(),
            amount: r.amount,
            terminal_id: Some(terminal_id),
            workstation_id: r.workstation_id,
        };
        if r.amount.currency() != purchase.amount.currency() {
            return Err(Error::CurrencyMismatch {
                terminal: purchase.terminal_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                expected: purchase.amount.currency().to_string(),
                got: r.amount.currency().to_string(),
            });
        }
        self.begin(Begin {
            kind: Kind::Refund,
            refund_of: Some(purchase.id),
            ceiling: Some(purchase.amount),
            req: &req,
        })
        .await
    }

    /// Inside the transaction that inserts the refund: the purchase's row is locked (two
    /// refunds of one purchase queue here), and what its refunds may have given back plus this
    /// one must not exceed it.
    pub(crate) async fn check_ceiling(
        &self,
        tx: &mut sqlx::PgConnection,
        tenant: &TenantId,
        purchase: Uuid,
        total: Money,
        asked: Money,
    ) -> Result<(), Error> {
        payments::lock_purchase(tx, tenant, purchase).await?;
        let left = total.minor() - crate::store::holds::refunded(tx, purchase).await?;
        if asked.minor() > left {
            return Err(Error::RefundExceedsPayment { asked, left: Money::new(left, total.currency()) });
        }
        Ok(())
    }
}

/// Only an approved terminal purchase can be refunded on a terminal.
fn refundable(p: &PaymentRecord) -> Result<(), Error> {
    if p.kind != Kind::Purchase || p.method != Method::Terminal {
        return Err(Error::PaymentNotRefundable("only terminal purchases are refunded on a terminal".into()));
    }
    if p.machine.state != State::Approved {
        return Err(Error::PaymentNotRefundable(format!("the purchase is {}, not approved", p.machine.state.as_str())));
    }
    Ok(())
}
