//! Events of the terminal gateway (TG-33), all keyed by the payment's order id and written
//! through the outbox in the transaction that changes the payment: one per visible state
//! change (payload `payops.terminal_gateway.v1.TerminalPaymentChanged`, the payment as
//! committed; refunds use `terminal_refund_*`), plus `attention` (`payops.events.v1.Attention`)
//! for late approvals and their voids and for outcomes that could not be confirmed (keyed by the
//! order), and for repeated failures on one terminal — keyed by the **terminal**
//! ([`terminal_key`]), so a terminal that stays offline is one incident (one ticket), not one
//! per order that crossed the threshold. Each replica also listens to these subjects on core
//! NATS to feed its watchers (see `service::hub`).

use kit::OrderId;
use kit::bus::{EventError, NewEvent};
use proto::payops::events::v1::{Attention, AttentionSeverity};
use proto::payops::terminal_gateway::v1::{PaymentState, TerminalPaymentChanged};

use crate::domain::payment::{Event, State, VoidState};
use crate::grpc::convert;
use crate::store::payments::{Kind, PaymentRecord};

/// A terminal payment entered WAITING.
pub const STARTED: &str = "terminal_payment_started";
/// The gateway told the terminal to cancel.
pub const CANCEL_REQUESTED: &str = "terminal_payment_cancel_requested";
/// Approved.
pub const APPROVED: &str = "terminal_payment_approved";
/// Declined.
pub const DECLINED: &str = "terminal_payment_declined";
/// Cancelled.
pub const CANCELLED: &str = "terminal_payment_cancelled";
/// Timed out.
pub const TIMED_OUT: &str = "terminal_payment_timed_out";
/// Failed.
pub const FAILED: &str = "terminal_payment_failed";
/// Approved after the gateway gave up.
pub const APPROVED_AFTER_TIMEOUT: &str = "terminal_payment_approved_after_timeout";
/// A late approval was voided on the terminal.
pub const VOIDED: &str = "terminal_payment_voided";
/// A late approval could not be voided (refused or answer lost).
pub const VOID_FAILED: &str = "terminal_payment_void_failed";
/// A manual card payment was recorded.
pub const MANUAL_RECORDED: &str = "manual_card_payment_recorded";
/// A terminal refund entered WAITING.
pub const REFUND_STARTED: &str = "terminal_refund_started";
/// Needs a person.
pub const ATTENTION: &str = "attention";
/// The service name events are emitted as (second subject token).
pub const SOURCE: &str = "terminal-gateway";

/// The event type of a visible domain event of a purchase or (`terminal_refund_*`) a refund.
pub fn event_type(e: &Event, kind: Kind) -> &'static str {
    let purchase = match e {
        Event::CancelRequested(_) => CANCEL_REQUESTED,
        Event::Ended { state: State::Approved, .. } => APPROVED,
        Event::Ended { state: State::Declined, .. } => DECLINED,
        Event::Ended { state: State::Cancelled, .. } => CANCELLED,
        Event::Ended { state: State::TimedOut, .. } => TIMED_OUT,
        Event::Ended { .. } => FAILED,
        Event::ApprovedAfterTimeout(_) => APPROVED_AFTER_TIMEOUT,
        Event::VoidEnded(VoidState::Voided) => VOIDED,
        Event::VoidEnded(_) => VOID_FAILED,
        Event::Detached(_) | Event::Released(_) | Event::VoidRequested | Event::VoidNotSent => "",
    };
    match kind {
        Kind::Purchase => purchase,
        Kind::Refund => refund_type(purchase),
    }
}

/// `terminal_payment_x` → `terminal_refund_x`.
fn refund_type(purchase: &'static str) -> &'static str {
    match purchase {
        STARTED => REFUND_STARTED,
        CANCEL_REQUESTED => "terminal_refund_cancel_requested",
        APPROVED => "terminal_refund_approved",
        DECLINED => "terminal_refund_declined",
        CANCELLED => "terminal_refund_cancelled",
        TIMED_OUT => "terminal_refund_timed_out",
        FAILED => "terminal_refund_failed",
        APPROVED_AFTER_TIMEOUT => "terminal_refund_approved_after_timeout",
        VOIDED => "terminal_refund_voided",
        VOID_FAILED => "terminal_refund_void_failed",
        other => other,
    }
}

/// The start event type of a payment of `kind`.
pub fn started(kind: Kind) -> &'static str {
    refund_or(kind, STARTED)
}

fn refund_or(kind: Kind, purchase: &'static str) -> &'static str {
    if kind == Kind::Refund { refund_type(purchase) } else { purchase }
}

/// The order key of a terminal's own incidents (repeated failures): one per terminal, whatever
/// order crossed the threshold. `terminal-<id>`, shortened with a digest when the id is long
/// (subject ids are at most 64 characters).
pub fn terminal_key(terminal: &str) -> Result<OrderId, kit::IdError> {
    let plain = format!("terminal-{terminal}");
    if plain.len() <= 64 {
        return OrderId::parse(plain);
    }
    let digest =
        terminal.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    OrderId::parse(format!("terminal-{}-{digest:016x}", &terminal[..30]))
}

/// The bus event for a change of `after` (the committed payment) of type `kind`.
pub fn payment_event(after: &PaymentRecord, previous: Option<State>, kind: &str) -> Result<NewEvent, EventError> {
    let payment = convert::payment(after);
    let summary = format!(
        "terminal payment {} {} on {} ({})",
        after.amount,
        after.machine.state.as_str(),
        after.terminal_id.as_deref().unwrap_or("manual"),
        after.machine.outcome.as_ref().map_or("waiting", |o| o.reason.as_str()),
    );
    let msg = TerminalPaymentChanged {
        payment: Some(payment),
        previous_state: previous.map_or(PaymentState::Unspecified, convert::state) as i32,
    };
    NewEvent::new(after.order_id.clone(), kind, &msg, summary)
}

/// An attention event for `order_id` (no personal data in title or description).
pub fn attention(
    order_id: &OrderId,
    incident_id: &str,
    severity: AttentionSeverity,
    title: &str,
    description: &str,
) -> Result<NewEvent, EventError> {
    let msg = Attention {
        incident_id: incident_id.to_owned(),
        severity: severity as i32,
        title: title.to_owned(),
        description: description.to_owned(),
        dashboard_url: String::new(),
    };
    NewEvent::new(order_id.clone(), ATTENTION, &msg, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tg_24_a_terminal_has_one_incident_key_whatever_its_id() {
        assert_eq!(terminal_key("T-1001").unwrap().as_str(), "terminal-T-1001");
        let long = "x".repeat(64);
        let key = terminal_key(&long).unwrap();
        assert!(key.as_str().len() <= 64 && key.as_str().starts_with("terminal-xxx"), "{key}");
        assert_eq!(key, terminal_key(&long).unwrap());
        assert_ne!(key, terminal_key(&format!("{}y", &long[..63])).unwrap());
    }
}
