//! Events of pixi-sync on the bus (PX-33), keyed by the pixi order number: subject
//! `<prefix>.pixi-sync.<order_nr>.<type>`. Built from committed state changes and written
//! through the outbox in the same transaction.
//!
//! | type | payload |
//! |---|---|
//! | `order_released` | `payops.pixi_sync.v1.OrderReleased` |
//! | `money_moved` | `payops.pixi_sync.v1.MoneyMoved` |
//! | `shipment_reported` | `payops.pixi_sync.v1.ShipmentReported` |
//! | `document_balanced` | `payops.pixi_sync.v1.DocumentBalanced` |
//! | `shipping_lock_changed` | `payops.pixi_sync.v1.ShippingLockChanged` |
//! | `order_completed` | `payops.pixi_sync.v1.OrderCompleted` |
//! | `problem_solved` | `payops.pixi_sync.v1.ProblemSolved` |
//! | `attention` | `payops.events.v1.Attention` (errors: severity MEDIUM/HIGH; hints: LOW) |

use kit::OrderId;
use kit::bus::{EventError, NewEvent};
use proto::payops::common::v1::Money;
use proto::payops::events::v1::{Attention, AttentionSeverity};
use proto::payops::pixi_sync::v1 as pb;

use crate::domain::progress::{Event, LockPurpose, MoveKind, ProblemNote, Purpose, Severity};

/// Event type names.
pub mod types {
    /// The order was released.
    pub const ORDER_RELEASED: &str = "order_released";
    /// Money moved at unzer.
    pub const MONEY_MOVED: &str = "money_moved";
    /// A shipment was reported.
    pub const SHIPMENT_REPORTED: &str = "shipment_reported";
    /// A document was booked in pixi.
    pub const DOCUMENT_BALANCED: &str = "document_balanced";
    /// The shipping lock changed.
    pub const SHIPPING_LOCK_CHANGED: &str = "shipping_lock_changed";
    /// The order is completed.
    pub const ORDER_COMPLETED: &str = "order_completed";
    /// Someone cleared the problem marks.
    pub const PROBLEM_SOLVED: &str = "problem_solved";
    /// A person must look.
    pub const ATTENTION: &str = "attention";
}

/// Which order an event is about.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The order id in the subject (the pixi order number).
    pub order_id: OrderId,
    /// The payload reference.
    pub order: pb::OrderRef,
    /// Currency of amounts.
    pub currency: String,
}

fn money(minor: i64, currency: &str) -> Option<Money> {
    Some(Money { amount_minor: minor, currency: currency.to_owned() })
}

/// The bus events of a domain event (most internal events have none).
pub fn of(s: &Subject, event: &Event, payment_type: &str) -> Result<Vec<NewEvent>, EventError> {
    let order = Some(s.order.clone());
    match event {
        Event::Released { locked } => one({
            NewEvent::new(
                s.order_id.clone(),
                types::ORDER_RELEASED,
                &pb::OrderReleased {
                    order: order.clone(),
                    payment_type: payment_type.to_owned(),
                    shipping_locked: *locked,
                    lock_reason: if *locked { "payment refused or awaiting prepayment".into() } else { String::new() },
                },
                if *locked { "order released with a shipping lock" } else { "order released" },
            )
        }),
        Event::LockChanged { locked, purpose, .. } => one({
            let reason = match purpose {
                LockPurpose::Refused => "payment refused",
                LockPurpose::Prepayment => "awaiting prepayment",
                LockPurpose::Lift => "prepayment received",
            };
            NewEvent::new(
                s.order_id.clone(),
                types::SHIPPING_LOCK_CHANGED,
                &pb::ShippingLockChanged { order: order.clone(), locked: *locked, reason: reason.into() },
                format!("shipping lock {}: {reason}", if *locked { "set" } else { "lifted" }),
            )
        }),
        Event::Moved { purpose, kind: MoveKind::Ship, moved } => one({
            let nr = purpose.document();
            NewEvent::new(
                s.order_id.clone(),
                types::SHIPMENT_REPORTED,
                &pb::ShipmentReported {
                    order: order.clone(),
                    invoice_nr: nr.clone(),
                    transaction_id: moved.txn_id.clone(),
                },
                format!("shipment of {nr} reported to unzer"),
            )
        }),
        Event::Moved { purpose, kind, moved } => one({
            let k = match kind {
                MoveKind::Charge => pb::MovementKind::Charge,
                MoveKind::Refund => pb::MovementKind::Refund,
                MoveKind::Reverse | MoveKind::Ship => pb::MovementKind::Reversal,
            };
            NewEvent::new(
                s.order_id.clone(),
                types::MONEY_MOVED,
                &pb::MoneyMoved {
                    order: order.clone(),
                    kind: k as i32,
                    document: purpose.document(),
                    amount: money(moved.amount_minor, &s.currency),
                    transaction_id: moved.txn_id.clone(),
                    idempotency_key: moved.key.clone(),
                },
                format!(
                    "{} {} {} ({})",
                    kind.as_str(),
                    crate::domain::progress::format_minor(moved.amount_minor),
                    s.currency,
                    purpose.document()
                ),
            )
        }),
        Event::InvoiceBalanced { invoice, amount_minor } | Event::CreditBooked { credit: invoice, amount_minor } => {
            let credit = matches!(event, Event::CreditBooked { .. });
            one({
                NewEvent::new(
                    s.order_id.clone(),
                    types::DOCUMENT_BALANCED,
                    &pb::DocumentBalanced {
                        order: order.clone(),
                        document_nr: invoice.clone(),
                        credit_note: credit,
                        amount: money(*amount_minor, &s.currency),
                        booking_event: String::new(),
                    },
                    format!("{} {invoice} booked in pixi", if credit { "credit note" } else { "invoice" }),
                )
            })
        }
        Event::Completed => one({
            NewEvent::new(
                s.order_id.clone(),
                types::ORDER_COMPLETED,
                &pb::OrderCompleted { order: order.clone() },
                "order completed",
            )
        }),
        _ => Ok(Vec::new()),
    }
}

fn one(r: Result<NewEvent, EventError>) -> Result<Vec<NewEvent>, EventError> {
    r.map(|e| vec![e])
}

/// The attention event of an incident (PX-33).
pub fn attention(s: &Subject, incident_id: &str, p: &ProblemNote, dashboard_url: &str) -> Result<NewEvent, EventError> {
    let severity = match (p.severity, p.code.as_str()) {
        (Severity::Hint, _) => AttentionSeverity::Low,
        (Severity::Error, "CAPTURE_FAILED" | "REFUND_FAILED" | "AUTHORIZATION_EXPIRED") => AttentionSeverity::High,
        (Severity::Error, _) => AttentionSeverity::Medium,
    };
    let msg = Attention {
        incident_id: incident_id.to_owned(),
        severity: severity as i32,
        title: p.title.clone(),
        description: format!("{} (incident {incident_id}, order {})", p.description, s.order.order_nr),
        dashboard_url: dashboard_url.to_owned(),
    };
    NewEvent::new(s.order_id.clone(), types::ATTENTION, &msg, format!("{incident_id}: {}", p.title))
}

/// The `problem_solved` event.
pub fn solved(s: &Subject, incident_ids: Vec<String>, by: &str) -> Result<NewEvent, EventError> {
    NewEvent::new(
        s.order_id.clone(),
        types::PROBLEM_SOLVED,
        &pb::ProblemSolved { order: Some(s.order.clone()), incident_ids, solved_by: by.to_owned() },
        "problem marked solved",
    )
}

/// Purpose names in summaries.
pub fn purpose_name(p: &Purpose) -> String {
    p.document()
}
