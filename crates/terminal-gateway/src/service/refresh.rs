//! Refresh (TG-13) and cancel (TG-12). Refresh asks Nets only when nothing of the payment can
//! still run on the terminal (`probe`: a lookup aborts a transaction in progress), matches the
//! result to the payment before it is believed (`domain::correlate`, in the terminal's local
//! time), and an unknown outcome (Result 99) changes nothing.

use uuid::Uuid;

use super::Engine;
use crate::domain::TenantId;
use crate::domain::payment::{CancelBy, Command};
use crate::error::Error;
use crate::store::payments::{self, Method, PaymentRecord};

/// What a refresh found (the proto's `RefreshResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshResult {
    /// The payment had ended; Nets was not asked.
    AlreadyFinal,
    /// The terminal still works on it.
    InProgress,
    /// The outcome was found and recorded.
    Updated,
    /// Nets' last result is not this payment's.
    NotFound,
    /// Nets could not be asked.
    NetsUnavailable,
}

impl Engine {
    /// RefreshPayment for a tenant's payment: asks Nets when it may (see `probe`).
    pub async fn refresh(&self, tenant: &TenantId, id: Uuid) -> Result<(PaymentRecord, RefreshResult), Error> {
        payments::get(self.pool(), tenant, id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        self.probe(id, false).await
    }

    /// CancelPayment: records the request, tells the terminal, and waits briefly for the
    /// terminal's answer (delivered by the purchase call, or found by a refresh).
    pub async fn cancel(&self, tenant: &TenantId, id: Uuid) -> Result<PaymentRecord, Error> {
        let p = payments::get(self.pool(), tenant, id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        if p.method == Method::Manual || p.machine.state.is_final() {
            return Err(Error::PaymentFinished(p.machine.state));
        }
        let mut watch = self.hub().subscribe(id);
        let applied = self.apply(id, Command::RequestCancel(CancelBy::Operator)).await?;
        self.send_cancel(&applied.record).await?;
        let wait = self.config().cancel_wait;
        let settled = tokio::time::timeout(wait, async {
            loop {
                match watch.recv().await {
                    Ok(p) if p.state != proto::payops::terminal_gateway::v1::PaymentState::Waiting as i32 => return,
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        if !self.is_tracked_here(&applied.record) {
            // Nobody here holds the purchase call: find the answer ourselves.
            let _ = self.probe(id, false).await;
        }
        let _ = settled.await;
        self.load(id).await
    }

    /// Sends `cancelAction` for a waiting payment: only while it is waiting and holds its
    /// terminal, so a cancel never reaches another transaction of ours.
    pub(crate) async fn send_cancel(&self, p: &PaymentRecord) -> Result<(), Error> {
        let Some(terminal) = p.terminal_id.as_deref() else { return Ok(()) };
        if !p.machine.holds_terminal || p.machine.state.is_final() {
            return Ok(());
        }
        let login = self.login(&p.tenant_id).await?;
        self.nets().cancel(&login, terminal).await.map_err(super::start::nets_error)
    }

    /// True when this replica holds the payment's purchase call.
    fn is_tracked_here(&self, p: &PaymentRecord) -> bool {
        p.owner.as_deref() == Some(self.config().instance_id.as_str()) && !p.machine.detached
    }

    pub(crate) async fn load(&self, id: Uuid) -> Result<PaymentRecord, Error> {
        payments::by_id(self.pool(), id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))
    }
}
