//! Domain types as `payops.hotline.v1` messages.

use kit::bus::event::timestamp;
use proto::payops::hotline::v1 as pb;

use crate::domain::agent::{Actor, Role};
use crate::domain::b2c::{NOT_FOUND_CHECKLIST, Outcome, refund_hint};
use crate::domain::payment::{Code, CodeState, Generation, Payment, PaymentStatus};
use crate::service::b2c::Lookup;
use crate::smallinvoice::{Contact, Invoice};
use crate::store::audit::Entry;
use crate::store::timeline::TimelineRow;
use crate::ticketing::OpenedTicket;

/// The proto role.
pub fn role(r: Role) -> pb::AgentRole {
    match r {
        Role::Standard => pb::AgentRole::Standard,
        Role::Admin => pb::AgentRole::Admin,
        Role::Service => pb::AgentRole::Service,
    }
}

/// The proto agent.
pub fn agent(a: &Actor) -> pb::Agent {
    pb::Agent { username: a.name.clone(), display_name: a.display_name.clone(), role: role(a.role) as i32 }
}

fn code(c: &Code) -> pb::Code {
    pb::Code {
        code: c.code.clone(),
        valid_until: Some(timestamp(c.valid_until)),
        state: match c.state {
            CodeState::Valid => pb::CodeState::Valid,
            CodeState::Expired => pb::CodeState::Expired,
        } as i32,
        expired_on: c.expired_on.map(timestamp),
        origin: c.origin.clone(),
    }
}

/// The proto payment.
pub fn payment(p: &Payment) -> pb::Payment {
    pb::Payment {
        transaction_id: p.transaction_id,
        twint_ref: p.twint_ref.clone(),
        paid_at: Some(timestamp(p.paid_at)),
        local_date: p.local_date.format("%Y-%m-%d").to_string(),
        local_time: p.local_time.format("%H:%M:%S").to_string(),
        amount: Some(p.amount.into()),
        device_b_code: p.device_b_code.clone(),
        device_internal_id: p.device_internal_id.clone(),
        mobile: p.mobile.clone(),
        sub_merchant: p.sub_merchant.clone(),
        payment_method: p.payment_method.clone(),
        status: match p.status {
            PaymentStatus::Completed => pb::PaymentStatus::Completed,
            PaymentStatus::Failed => pb::PaymentStatus::Failed,
            PaymentStatus::Cancelled => pb::PaymentStatus::Cancelled,
            PaymentStatus::Unknown => pb::PaymentStatus::Unknown,
        } as i32,
        code: p.code.as_ref().map(code),
        pgw_status: p.pgw_status.clone(),
    }
}

fn refund(p: &Payment) -> pb::RefundHint {
    let h = refund_hint(&p.payment_method);
    pb::RefundHint { possible: h.possible, instructions: h.instructions.to_owned() }
}

/// The proto lookup answer.
pub fn lookup(l: &Lookup) -> pb::LookupCodeResponse {
    use pb::lookup_code_response::Outcome as O;
    let outcome = match &l.outcome {
        Outcome::Found { payment: p } => O::Found(pb::CodeFound { payment: Some(payment(p)), refund: Some(refund(p)) }),
        Outcome::Expired { payment: p } => {
            O::Expired(pb::CodeExpired { payment: Some(payment(p)), refund: Some(refund(p)) })
        }
        Outcome::NotFound { failed_payments, unknown_status } => O::NotFound(pb::CodeNotFound {
            checklist: NOT_FOUND_CHECKLIST.iter().map(|s| (*s).to_owned()).collect(),
            failed_payments: i32::try_from(*failed_payments).unwrap_or(i32::MAX),
            unknown_status_payments: unknown_status.iter().map(payment).collect(),
        }),
    };
    pb::LookupCodeResponse {
        lookup_id: l.id.to_string(),
        outcome: Some(outcome),
        matches: i32::try_from(l.matches).unwrap_or(i32::MAX),
    }
}

/// The proto generation.
pub fn generation(g: &Generation, by: &str) -> pb::Generation {
    pb::Generation {
        generation_id: g.generation_id.unwrap_or_default(),
        transaction_id: g.transaction_id,
        device_b_code: g.device_b_code.clone(),
        device_internal_id: g.device_internal_id.clone(),
        amount: Some(g.amount.into()),
        code: g.code.clone(),
        valid_until: Some(timestamp(g.valid_until)),
        generated_at: Some(timestamp(g.generated_at)),
        generated_by: by.to_owned(),
    }
}

/// The proto ticket reference.
pub fn ticket(t: &OpenedTicket) -> pb::TicketRef {
    pb::TicketRef { ticket_id: t.ticket_id, url: t.url.clone(), created: t.created }
}

/// The proto customer.
pub fn customer(c: &Contact) -> pb::Customer {
    pb::Customer {
        id: c.id,
        number: c.number.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        address: c.address.clone(),
    }
}

/// The proto invoice.
pub fn invoice(i: &Invoice) -> pb::Invoice {
    pb::Invoice {
        id: i.id,
        number: i.number.clone(),
        date: i.date.clone(),
        due: i.due.clone(),
        total: Some(i.total.into()),
        paid: Some(i.paid.into()),
        status: i.status.clone(),
        status_label: i.status_label.clone(),
    }
}

/// The proto timeline event.
pub fn event(e: &TimelineRow) -> pb::TimelineEvent {
    pb::TimelineEvent {
        event_id: e.event_id.clone(),
        source: e.source.clone(),
        r#type: e.event_type.clone(),
        occurred_at: Some(timestamp(e.occurred_at)),
        summary: e.summary.clone(),
    }
}

/// The proto audit entry.
pub fn audit(e: &Entry) -> pb::AuditEntry {
    pb::AuditEntry {
        id: e.id,
        at: Some(timestamp(e.at)),
        actor: e.actor.clone(),
        role: role(Role::parse(&e.role).unwrap_or(Role::Standard)) as i32,
        action: e.action.clone(),
        target: e.target.clone(),
        outcome: e.outcome.clone(),
        details: e.details.0.clone().into_iter().collect(),
    }
}
