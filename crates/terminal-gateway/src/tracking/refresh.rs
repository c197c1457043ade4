//! Refresh (TG-13) and cancel (TG-12). Refresh reads the terminal state first and looks up the
//! last transaction only when the terminal is idle, because a lookup aborts a transaction in
//! progress; the result is matched to the payment before it is believed
//! (`domain::correlate`), and an unknown outcome (Result 99) changes nothing.

use uuid::Uuid;

use super::Engine;
use crate::domain::TenantId;
use crate::domain::correlate::{self, Expected};
use crate::domain::payment::{CancelBy, Command, Reason, State, TerminalOutcome};
use crate::error::Error;
use crate::nets::NetsError;
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
    /// RefreshPayment for a tenant's payment.
    pub async fn refresh(&self, tenant: &TenantId, id: Uuid) -> Result<(PaymentRecord, RefreshResult), Error> {
        payments::get(self.pool(), tenant, id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        self.refresh_record(id).await
    }

    /// Asks Nets for the truth about payment `id` and records it.
    pub(crate) async fn refresh_record(&self, id: Uuid) -> Result<(PaymentRecord, RefreshResult), Error> {
        let p = self.load(id).await?;
        if !needs_truth(&p) {
            return Ok((p, RefreshResult::AlreadyFinal));
        }
        let Some(terminal) = p.terminal_id.clone() else { return Ok((p, RefreshResult::AlreadyFinal)) };
        let login = self.login(&p.tenant_id).await?;
        match self.nets().terminal_state(&login, &terminal).await {
            Ok(s) if s == "idle" => {}
            Ok(_) => return Ok((p, RefreshResult::InProgress)),
            Err(e) => return Ok((p, unavailable(&e))),
        }
        let found = match self.nets().last_result(&login, &terminal).await {
            Ok(found) => found,
            Err(e) => return Ok((p, unavailable(&e))),
        };
        let Some((facts, outcome)) = found else { return Ok((p, RefreshResult::NotFound)) };
        let booked =
            payments::reference_booked_elsewhere(self.pool(), &p.tenant_id, p.id, &facts.acquirer_reference).await?;
        let nets_ref = p.nets_ref();
        let expected = Expected {
            order_ref: &nets_ref,
            amount_minor: p.amount.minor(),
            started_at: p.created_at,
            reference_booked_elsewhere: booked,
        };
        if !correlate::is_ours(&facts, &expected) {
            tracing::info!(payment = %p.id, "the terminal's last result is not this payment's");
            return Ok((p, RefreshResult::NotFound));
        }
        if matches!(outcome, TerminalOutcome::Unknown(_)) {
            return Ok((p, RefreshResult::InProgress));
        }
        let applied = self.apply(p.id, Command::Observe(outcome)).await?;
        let result = if applied.events.iter().any(|e| e.is_visible()) {
            RefreshResult::Updated
        } else {
            RefreshResult::AlreadyFinal
        };
        Ok((applied.record, result))
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
            let _ = self.refresh_record(id).await;
        }
        let _ = settled.await;
        self.load(id).await
    }

    /// Sends `cancelAction` for a waiting payment.
    pub(crate) async fn send_cancel(&self, p: &PaymentRecord) -> Result<(), Error> {
        let Some(terminal) = p.terminal_id.as_deref() else { return Ok(()) };
        let login = self.login(&p.tenant_id).await?;
        self.nets().cancel(&login, terminal).await.map_err(|e| match e {
            NetsError::LoginRefused(t) => Error::NetsLoginFailed(t),
            other => Error::NetsUnavailable(other.to_string()),
        })
    }

    /// True when this replica holds the payment's purchase call.
    fn is_tracked_here(&self, p: &PaymentRecord) -> bool {
        p.owner.as_deref() == Some(self.config().instance_id.as_str()) && !p.machine.detached
    }

    pub(crate) async fn load(&self, id: Uuid) -> Result<PaymentRecord, Error> {
        payments::by_id(self.pool(), id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))
    }
}

/// A waiting payment, or one closed without a confirmed outcome that may still turn out
/// approved (a late approval must not go unnoticed).
fn needs_truth(p: &PaymentRecord) -> bool {
    match p.machine.state {
        State::Waiting => true,
        State::TimedOut => {
            p.machine.late_approval.is_none()
                && p.machine.outcome.as_ref().is_some_and(|o| o.reason == Reason::OutcomeUnconfirmed)
        }
        _ => false,
    }
}

fn unavailable(e: &NetsError) -> RefreshResult {
    tracing::info!(error = %e, "refresh could not ask Nets");
    RefreshResult::NetsUnavailable
}
