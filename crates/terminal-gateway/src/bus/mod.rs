//! Events of the terminal gateway (TG-33), all keyed by the payment's order id and written
//! through the outbox in the transaction that changes the payment: one per visible state
//! change (payload `payops.terminal_gateway.v1.TerminalPaymentChanged`, the payment as
//! committed), plus `attention` (`payops.events.v1.Attention`) for repeated failures on one
//! terminal and for late approvals. Each replica also listens to these subjects on core NATS
//! to feed its watchers (see `tracking::hub`).

use kit::OrderId;
use kit::bus::{EventError, NewEvent};
use proto::payops::events::v1::{Attention, AttentionSeverity};
use proto::payops::terminal_gateway::v1::{PaymentState, TerminalPaymentChanged};

use crate::domain::payment::{Event, State};
use crate::grpc::convert;
use crate::store::payments::PaymentRecord;

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
/// A manual card payment was recorded.
pub const MANUAL_RECORDED: &str = "manual_card_payment_recorded";
/// Needs a person.
pub const ATTENTION: &str = "attention";
/// The service name events are emitted as (second subject token).
pub const SOURCE: &str = "terminal-gateway";

/// The event type of a visible domain event.
pub fn event_type(e: &Event) -> &'static str {
    match e {
        Event::CancelRequested(_) => CANCEL_REQUESTED,
        Event::Ended { state: State::Approved, .. } => APPROVED,
        Event::Ended { state: State::Declined, .. } => DECLINED,
        Event::Ended { state: State::Cancelled, .. } => CANCELLED,
        Event::Ended { state: State::TimedOut, .. } => TIMED_OUT,
        Event::Ended { .. } => FAILED,
        Event::ApprovedAfterTimeout(_) => APPROVED_AFTER_TIMEOUT,
        Event::Detached(_) => "",
    }
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
