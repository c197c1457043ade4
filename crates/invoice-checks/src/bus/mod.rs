//! Events of invoice-checks, written through the outbox in the transaction of the change they
//! report and keyed by the order id (subject `<prefix>.invoice-checks.<order_id>.<type>`).
//! Payloads are `payops.invoice_checks.v1` messages; attention events use
//! `payops.events.v1.Attention`. Summaries and payloads carry no personal data.
//!
//! | type | payload |
//! |---|---|
//! | `swissbilling_page_prepared` | `SwissBillingPagePrepared` |
//! | `swissbilling_authorised`, `swissbilling_refused`, `swissbilling_cancelled` | `SwissBillingTransactionChanged` |
//! | `swissbilling_capture_requested`, `swissbilling_captured`, `swissbilling_capture_refused` | same |
//! | `swissbilling_refund_requested`, `swissbilling_refunded`, `swissbilling_refund_refused` | same |
//! | `swissbilling_deletion_requested`, `swissbilling_authorisation_deleted`, `swissbilling_deletion_refused` | same |
//! | `swissbilling_maintenance_refused`, `swissbilling_status_changed` | same |
//! | `manual_payment_opened`, `…_approved`, `…_completed`, `…_rejected`, `…_refunded` | `ManualPaymentChanged` |
//! | `attention` | `payops.events.v1.Attention` (refused capture or refund, IC-16) |
//!
//! The service consumes no events.

use kit::bus::{EventError, NewEvent};
use kit::money::Money;
use proto::payops::events::v1::{Attention, AttentionSeverity};
use proto::payops::invoice_checks::v1 as pb;

use crate::domain::swissbilling::{Kind, Level, Phase, Status, Transaction};
use crate::grpc::convert;

/// Event type of a prepared payment page.
pub const PAGE_PREPARED: &str = "swissbilling_page_prepared";
/// Event type of a maintenance request PostFinance refused.
pub const MAINTENANCE_REFUSED: &str = "swissbilling_maintenance_refused";
/// Event type of a manual payment that was opened.
pub const MANUAL_OPENED: &str = "manual_payment_opened";
/// Event type of attention events.
pub const ATTENTION: &str = "attention";

/// The event type for a level now in `status`.
pub fn level_event_type(kind: Kind, status: Status) -> &'static str {
    match (kind, status.phase) {
        (Kind::Order, Phase::Final) if matches!(status.code, 5 | 9) => "swissbilling_authorised",
        (Kind::Order, Phase::Refused) => "swissbilling_refused",
        (Kind::Order, Phase::Cancelled) => "swissbilling_cancelled",
        (Kind::Capture, Phase::Pending) => "swissbilling_capture_requested",
        (Kind::Capture, Phase::Final) => "swissbilling_captured",
        (Kind::Capture, Phase::Refused) => "swissbilling_capture_refused",
        (Kind::Refund, Phase::Pending) => "swissbilling_refund_requested",
        (Kind::Refund, Phase::Final) => "swissbilling_refunded",
        (Kind::Refund, Phase::Refused) => "swissbilling_refund_refused",
        (Kind::Deletion, Phase::Pending) => "swissbilling_deletion_requested",
        (Kind::Deletion, Phase::Final) => "swissbilling_authorisation_deleted",
        (Kind::Deletion, Phase::Refused) => "swissbilling_deletion_refused",
        _ => "swissbilling_status_changed",
    }
}

/// A level of `tx` was recorded or changed, because of `cause`.
pub fn level_changed(tx: &Transaction, level: &Level, cause: &str) -> Result<NewEvent, EventError> {
    let event_type = level_event_type(level.kind, level.status);
    let msg = pb::SwissBillingTransactionChanged {
        tenant: tx.tenant.clone(),
        environment: convert::environment(tx.env) as i32,
        payid: i64::try_from(tx.payid).unwrap_or(i64::MAX),
        payidsub: i32::try_from(level.payidsub).unwrap_or(i32::MAX),
        operation: level.operation.clone(),
        amount: Some(convert::money(Money::new(level.amount, tx.currency))),
        status_code: i32::from(level.status.code),
        status_name: level.status.name.to_owned(),
        status_flagged: !level.status.known,
        ncerror: String::new(),
        cause: cause.to_owned(),
    };
    let summary = format!(
        "SwissBilling {} level {}: STATUS {} {} ({})",
        level.kind.as_str(),
        level.payidsub,
        level.status.code,
        level.status.name,
        cause
    );
    NewEvent::new(tx.order_id.clone(), event_type, &msg, summary)
}

/// PostFinance refused a maintenance request.
pub fn maintenance_refused(
    tx: &Transaction,
    operation: &str,
    amount: i64,
    ncerror: &str,
    plus: &str,
) -> Result<NewEvent, EventError> {
    let msg = pb::SwissBillingTransactionChanged {
        tenant: tx.tenant.clone(),
        environment: convert::environment(tx.env) as i32,
        payid: i64::try_from(tx.payid).unwrap_or(i64::MAX),
        payidsub: 0,
        operation: operation.to_owned(),
        amount: Some(convert::money(Money::new(amount, tx.currency))),
        status_code: 0,
        status_name: "refused_by_postfinance".into(),
        status_flagged: false,
        ncerror: ncerror.to_owned(),
        cause: "maintenance".into(),
    };
    let summary = format!("PostFinance refused {operation}: NCERROR {ncerror} {plus}");
    NewEvent::new(tx.order_id.clone(), MAINTENANCE_REFUSED, &msg, summary)
}

/// An attention event for a refused capture or refund (IC-16), one incident per `incident`.
pub fn attention(tx: &Transaction, incident: &str, title: String, description: String) -> Result<NewEvent, EventError> {
    let msg = Attention {
        incident_id: incident.to_owned(),
        severity: AttentionSeverity::High as i32,
        title: title.clone(),
        description,
        dashboard_url: String::new(),
    };
    NewEvent::new(tx.order_id.clone(), ATTENTION, &msg, title)
}

/// The attention event for a capture or refund refused at `level_or_request` (a PAYIDSUB or a
/// request id), or `None` for other kinds.
pub fn refused_money_attention(
    tx: &Transaction,
    kind: Kind,
    level_or_request: &str,
    operation: &str,
    amount: i64,
    why: &str,
) -> Result<Option<NewEvent>, EventError> {
    let what = match kind {
        Kind::Capture => "capture",
        Kind::Refund => "refund",
        _ => return Ok(None),
    };
    let amount = Money::new(amount, tx.currency);
    let title = format!("SwissBilling {what} refused for order {}", tx.order_id);
    let description = format!(
        "{operation} of {} {} on PAYID {} ({} environment) was refused: {why}. The money did not move; \
         check the order and repeat the {what} by hand or with a new request.",
        amount.currency(),
        amount.amount_str(),
        tx.payid,
        tx.env.as_str()
    );
    attention(tx, &format!("swissbilling-{what}-refused-{level_or_request}"), title, description).map(Some)
}
