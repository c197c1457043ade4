//! Domain types as the page's JSON. Money is `{"amount_minor", "currency", "text"}` — integer
//! minor units plus the exact decimal text, never a float.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use kit::money::Money;
use serde_json::{Value, json};

use crate::domain::agent::Actor;
use crate::domain::b2c::{NOT_FOUND_CHECKLIST, Outcome, local_minute, refund_hint};
use crate::domain::payment::{CodeState, Generation, Payment, PaymentStatus};
use crate::service::b2c::Lookup;
use crate::smallinvoice::{Contact, Invoice};
use crate::store::audit::Entry;
use crate::store::timeline::TimelineRow;

/// Money.
pub fn money(m: Money) -> Value {
    json!({ "amount_minor": m.minor(), "currency": m.currency().as_str(), "text": m.amount_str() })
}

fn time(t: DateTime<Utc>, tz: Tz) -> Value {
    json!({ "utc": t.to_rfc3339(), "local": local_minute(t, tz) })
}

/// The agent.
pub fn agent(a: &Actor) -> Value {
    json!({ "username": a.name, "display_name": a.display_name, "role": a.role.as_str() })
}

/// A payment with its code.
pub fn payment(p: &Payment, tz: Tz) -> Value {
    let code = p.code.as_ref().map(|c| {
        json!({
            "code": c.code,
            "valid_until": time(c.valid_until, tz),
            "state": if c.state == CodeState::Valid { "valid" } else { "expired" },
            "expired_on": c.expired_on.map(|t| time(t, tz)),
            "origin": c.origin,
        })
    });
    json!({
        "transaction_id": p.transaction_id,
        "twint_ref": p.twint_ref,
        "paid_at": p.paid_at.to_rfc3339(),
        "local_date": p.local_date.format("%d.%m.%Y").to_string(),
        "local_time": p.local_time.format("%H:%M:%S").to_string(),
        "amount": money(p.amount),
        "device_b_code": p.device_b_code,
        "device_internal_id": p.device_internal_id,
        "mobile": p.mobile,
        "sub_merchant": p.sub_merchant,
        "payment_method": p.payment_method,
        "status": match p.status {
            PaymentStatus::Completed => "completed",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
            PaymentStatus::Unknown => "unknown",
        },
        "pgw_status": p.pgw_status,
        "code": code,
    })
}

/// A lookup answer.
pub fn lookup(l: &Lookup, tz: Tz) -> Value {
    let mut v = json!({ "lookup_id": l.id.to_string(), "matches": l.matches });
    match &l.outcome {
        Outcome::Found { payment: p } | Outcome::Expired { payment: p } => {
            let h = refund_hint(&p.payment_method);
            v["outcome"] = json!(if matches!(l.outcome, Outcome::Found { .. }) { "found" } else { "expired" });
            v["payment"] = payment(p, tz);
            v["refund"] = json!({ "possible": h.possible, "instructions": h.instructions });
        }
        Outcome::NotFound { failed_payments, unknown_status } => {
            v["outcome"] = json!("not_found");
            v["checklist"] = json!(NOT_FOUND_CHECKLIST);
            v["failed_payments"] = json!(failed_payments);
            v["unknown_status"] = unknown_status.iter().map(|p| payment(p, tz)).collect();
        }
    }
    v
}

/// A generation.
pub fn generation(g: &Generation, replayed: bool, tz: Tz) -> Value {
    json!({
        "generation_id": g.generation_id,
        "transaction_id": g.transaction_id,
        "device_b_code": g.device_b_code,
        "device_internal_id": g.device_internal_id,
        "amount": money(g.amount),
        "code": g.code,
        "valid_until": time(g.valid_until, tz),
        "generated_at": time(g.generated_at, tz),
        "replayed": replayed,
    })
}

/// A management.
pub fn customer(c: &Contact) -> Value {
    json!({ "id": c.id, "number": c.number, "name": c.name, "email": c.email, "phone": c.phone, "address": c.address })
}

/// An invoice.
pub fn invoice(i: &Invoice) -> Value {
    json!({
        "id": i.id, "number": i.number, "date": i.date, "due": i.due,
        "total": money(i.total), "paid": money(i.paid), "status": i.status, "status_label": i.status_label,
    })
}

/// A timeline event.
pub fn event(e: &TimelineRow, tz: Tz) -> Value {
    json!({
        "event_id": e.event_id, "source": e.source, "type": e.event_type,
        "occurred_at": time(e.occurred_at, tz), "summary": e.summary,
    })
}

/// An audit entry.
pub fn audit(e: &Entry, tz: Tz) -> Value {
    json!({
        "id": e.id, "at": time(e.at, tz), "actor": e.actor, "role": e.role, "action": e.action,
        "target": e.target, "outcome": e.outcome, "details": e.details.0,
    })
}
