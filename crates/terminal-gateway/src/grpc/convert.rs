//! Domain and store types → proto messages.

use chrono::{DateTime, Utc};
use proto::payops::terminal_gateway::v1 as pb;

use crate::domain::payment::{Card, State};
use crate::store::payments::{Kind, Method, PaymentRecord};
use crate::store::terminals::TerminalRecord;

/// A protobuf timestamp.
pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    kit::bus::event::timestamp(t)
}

/// The proto state.
pub fn state(s: State) -> pb::PaymentState {
    match s {
        State::Waiting => pb::PaymentState::Waiting,
        State::Approved => pb::PaymentState::Approved,
        State::Declined => pb::PaymentState::Declined,
        State::Cancelled => pb::PaymentState::Cancelled,
        State::TimedOut => pb::PaymentState::TimedOut,
        State::Failed => pb::PaymentState::Failed,
    }
}

fn card(c: &Card) -> pb::CardDetails {
    pb::CardDetails {
        brand: c.brand.clone(),
        masked_pan: c.masked_pan.clone(),
        acquirer_reference: c.acquirer_reference.clone(),
        verification: c.verification.clone(),
    }
}

/// A payment as callers and events see it.
pub fn payment(p: &PaymentRecord) -> pb::Payment {
    let m = &p.machine;
    pb::Payment {
        payment_id: p.id.to_string(),
        tenant_id: p.tenant_id.to_string(),
        order_id: p.order_id.to_string(),
        request_id: p.request_id.clone(),
        amount: Some(p.amount.into()),
        terminal_id: p.terminal_id.as_ref().map(ToString::to_string).unwrap_or_default(),
        workstation_id: p.workstation_id.clone().unwrap_or_default(),
        method: match p.method {
            Method::Terminal => pb::PaymentMethod::Terminal,
            Method::Manual => pb::PaymentMethod::Manual,
        } as i32,
        state: state(m.state) as i32,
        outcome: m
            .outcome
            .as_ref()
            .map(|o| pb::PaymentOutcome { reason: o.reason.as_str().to_owned(), detail: o.detail.clone() }),
        card: m.card.as_ref().map(card),
        version: m.version,
        created_at: Some(ts(p.created_at)),
        updated_at: Some(ts(p.updated_at)),
        deadline: if m.state.is_final() { None } else { p.deadline.map(ts) },
        cancel_requested: !m.state.is_final() && m.cancel_requested.is_some(),
        late_approval: m.late_approval.as_ref().map(card),
        kind: match p.kind {
            Kind::Purchase => pb::PaymentKind::Purchase,
            Kind::Refund => pb::PaymentKind::Refund,
        } as i32,
        refund_of: p.refund_of.map(|r| r.to_string()).unwrap_or_default(),
        nets_order_ref: p.nets_ref.clone(),
        void_state: m.void.map(|v| v.as_str().to_owned()).unwrap_or_default(),
        holds_terminal: m.holds_terminal,
    }
}

/// A terminal without live status.
pub fn terminal(t: &TerminalRecord, waiting: Option<uuid::Uuid>) -> pb::Terminal {
    pb::Terminal {
        tenant_id: t.tenant_id.clone(),
        terminal_id: t.terminal_id.clone(),
        display_name: t.display_name.clone(),
        pos: t.pos.clone().unwrap_or_default(),
        active: t.active,
        currency: t.currency.to_string(),
        time_zone: t.time_zone.name().to_owned(),
        status: None,
        troubleshooting: Some(pb::Troubleshooting {
            last_error: t.last_error.clone().unwrap_or_default(),
            last_error_at: t.last_error_at.map(ts),
            payment_in_progress: waiting.is_some(),
            payment_in_progress_id: waiting.map(|w| w.to_string()).unwrap_or_default(),
            id_known_to_nets: false,
            consecutive_failures: t.consecutive_failures,
        }),
        created_at: Some(ts(t.created_at)),
    }
}
