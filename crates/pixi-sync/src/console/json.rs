//! The console API's JSON: proto messages of the gRPC API as the page reads them. Money is
//! integer minor units with the currency and a German text (never a float); times are ISO
//! plus a German text in the pixi installations' default zone (Europe/Berlin).

use chrono::{DateTime, Utc};
use proto::payops::common::v1::Money;
use proto::payops::pixi_sync::v1 as pb;
use serde_json::{Value, json};

use crate::domain::progress::format_minor;

/// The zone console times are shown in.
const ZONE: chrono_tz::Tz = chrono_tz::Europe::Berlin;

/// A money amount.
pub fn money(m: Option<&Money>) -> Value {
    match m {
        Some(m) => json!({
            "minor": m.amount_minor,
            "currency": m.currency,
            "text": format!("{} {}", format_minor(m.amount_minor).replace('.', ","), m.currency),
        }),
        None => Value::Null,
    }
}

/// A time.
pub fn time(t: Option<&prost_types::Timestamp>) -> Value {
    match t.and_then(kit::bus::event::from_timestamp) {
        Some(at) => at_json(at),
        None => Value::Null,
    }
}

/// A time from the clock.
pub fn at_json(at: DateTime<Utc>) -> Value {
    json!({ "iso": at.to_rfc3339(), "text": at.with_timezone(&ZONE).format("%d.%m.%Y %H:%M").to_string() })
}

/// A tenant.
pub fn tenant(t: &pb::Tenant) -> Value {
    json!({ "id": t.tenant_id, "name": t.name, "created": time(t.created_at.as_ref()),
        "pixi_api_count": t.pixi_api_config_count, "has_smtp": t.has_smtp_config })
}

/// A pixi API configuration (no password).
pub fn pixi_api(a: &pb::PixiApiConfig) -> Value {
    json!({ "id": a.pixi_api_config_id, "name": a.name, "endpoint": a.endpoint, "user": a.user,
        "has_password": a.has_password, "active": a.active, "timezone": a.timezone,
        "updated": time(a.updated_at.as_ref()) })
}

/// The SMTP TLS mode's name.
pub fn tls_name(m: i32) -> &'static str {
    match pb::SmtpTlsMode::try_from(m) {
        Ok(pb::SmtpTlsMode::None) => "none",
        Ok(pb::SmtpTlsMode::Starttls) => "starttls",
        Ok(pb::SmtpTlsMode::Implicit) => "implicit",
        _ => "",
    }
}

/// An SMTP configuration (no password).
pub fn smtp(c: &pb::SmtpConfig) -> Value {
    json!({ "host": c.host, "port": c.port, "tls_mode": tls_name(c.tls_mode), "user": c.user,
        "has_password": c.has_password, "sender": c.sender, "recipient": c.recipient,
        "updated": time(c.updated_at.as_ref()) })
}

/// A mode's name.
pub fn mode_name(m: i32) -> &'static str {
    match pb::Mode::try_from(m) {
        Ok(pb::Mode::Standard) => "standard",
        Ok(pb::Mode::Expert) => "expert",
        _ => "",
    }
}

/// A payment configuration (no private key).
pub fn payment_config(c: &pb::PaymentConfig) -> Value {
    json!({ "id": c.payment_config_id, "pixi_api_id": c.pixi_api_config_id, "mandant": c.mandant,
        "payment_method": c.payment_method, "active": c.active, "effectively_active": c.effectively_active,
        "invoice_booking_event": c.invoice_booking_event, "return_booking_event": c.return_booking_event,
        "xml_tag": c.xml_tag, "rounding_tolerance_minor": c.rounding_tolerance_minor,
        "unzer_public_key": c.unzer_public_key, "has_private_key": c.has_private_key,
        "mode": mode_name(c.mode), "processed_orders": c.processed_orders, "draft": c.draft,
        "copied_from": c.copied_from_payment_config_id, "updated": time(c.updated_at.as_ref()) })
}

/// A sync state's name and German label.
pub fn state(s: i32) -> (&'static str, &'static str) {
    match pb::SyncState::try_from(s) {
        Ok(pb::SyncState::Waiting) => ("waiting", "Wartet auf unzer"),
        Ok(pb::SyncState::Released) => ("released", "Freigegeben"),
        Ok(pb::SyncState::Locked) => ("locked", "Freigegeben mit Versandsperre"),
        Ok(pb::SyncState::Completed) => ("completed", "Abgeschlossen"),
        Ok(pb::SyncState::NotProcessed) => ("not_processed", "Nicht verarbeitet"),
        _ => ("", "–"),
    }
}

/// A problem mark's name.
pub fn problem(p: i32) -> &'static str {
    match pb::Problem::try_from(p) {
        Ok(pb::Problem::Error) => "error",
        Ok(pb::Problem::Hint) => "hint",
        _ => "none",
    }
}

/// One dashboard row.
pub fn order(o: &pb::OrderSummary) -> Value {
    let (state, label) = state(o.state);
    json!({ "tenant_id": o.tenant_id, "pixi_api_id": o.pixi_api_config_id, "order_nr": o.order_nr,
        "order_nr_external": o.order_nr_external, "payment_method": o.payment_method, "payment_id": o.payment_id,
        "payment_type": o.payment_type, "mode": o.mode, "state": state, "state_label": label,
        "pixi_status": o.pixi_status, "problem": problem(o.problem), "incident_ids": o.incident_ids,
        "total": money(o.order_total.as_ref()), "charged": money(o.charged.as_ref()),
        "refunded": money(o.refunded.as_ref()), "reversed": money(o.reversed.as_ref()),
        "last_action": o.last_action, "created": time(o.created_at.as_ref()), "updated": time(o.updated_at.as_ref()) })
}

/// An order with everything known about it.
pub fn order_detail(r: &pb::GetOrderResponse) -> Value {
    let incidents: Vec<Value> = r
        .incidents
        .iter()
        .map(|i| {
            json!({ "id": i.incident_id, "problem": problem(i.problem), "code": i.code, "title": i.title,
                "description": i.description, "first_seen": time(i.first_seen.as_ref()),
                "last_seen": time(i.last_seen.as_ref()), "occurrences": i.occurrences,
                "mailed": time(i.mailed_at.as_ref()), "solved": time(i.solved_at.as_ref()), "solved_by": i.solved_by })
        })
        .collect();
    let movements: Vec<Value> = r
        .movements
        .iter()
        .map(|m| {
            json!({ "key": m.key, "kind": m.kind, "document": m.document, "amount": money(m.amount.as_ref()),
                "status": m.status, "transaction_id": m.transaction_id, "created": time(m.created_at.as_ref()) })
        })
        .collect();
    let history: Vec<Value> = r
        .history
        .iter()
        .map(|h| json!({ "at": time(h.at.as_ref()), "action": h.action, "detail": h.detail }))
        .collect();
    json!({ "order": r.order.as_ref().map(order), "incidents": incidents, "movements": movements,
        "history": history, "documents": documents(r) })
}

/// The pixi documents of an order.
fn documents(r: &pb::GetOrderResponse) -> Vec<Value> {
    r.documents
        .iter()
        .map(|d| {
            json!({ "nr": d.document_nr, "kind": d.kind, "moved": money(d.moved.as_ref()), "shipped": d.shipped,
                "sum_checked": d.sum_checked, "booked": d.booked, "failed": d.failed })
        })
        .collect()
}

/// A reconciliation run.
pub fn run(r: &pb::ReconciliationRun) -> Value {
    json!({ "id": r.run_id, "pixi_api_id": r.pixi_api_config_id, "started": time(r.started_at.as_ref()),
        "finished": time(r.finished_at.as_ref()), "orders_checked": r.orders_checked, "mismatches": r.mismatches,
        "trigger": r.trigger })
}

/// A reconciliation mismatch.
pub fn mismatch(m: &pb::Mismatch) -> Value {
    json!({ "order_nr": m.order_nr, "document": m.document_nr, "code": m.code,
        "pixi": money(m.pixi_amount.as_ref()), "unzer": money(m.unzer_amount.as_ref()),
        "booked": money(m.booked_amount.as_ref()), "description": m.description, "incident_id": m.incident_id })
}

/// A configuration problem in pixi (PX-26).
pub fn config_problem(p: &pb::ConfigProblem) -> Value {
    json!({ "pixi_api_id": p.pixi_api_config_id, "payment_method": p.payment_method, "code": p.code,
        "message": p.message, "first_seen": time(p.first_seen.as_ref()), "last_seen": time(p.last_seen.as_ref()) })
}

/// A console user.
pub fn user(u: &pb::ConsoleUser) -> Value {
    let role = match pb::ConsoleRole::try_from(u.role) {
        Ok(pb::ConsoleRole::Viewer) => "viewer",
        Ok(pb::ConsoleRole::Operator) => "operator",
        Ok(pb::ConsoleRole::Admin) => "admin",
        _ => "",
    };
    json!({ "id": u.user_id, "tenant_id": u.tenant_id, "username": u.username, "display_name": u.display_name,
        "role": role, "active": u.active, "created": time(u.created_at.as_ref()) })
}

/// A preflight report.
pub fn preflight(r: &proto::payops::common::v1::PreflightReport) -> Value {
    use proto::payops::common::v1::PreflightVerdict;
    let checks: Vec<Value> = r
        .checks
        .iter()
        .map(|c| {
            let verdict = match PreflightVerdict::try_from(c.verdict) {
                Ok(PreflightVerdict::Ok) => "OK",
                Ok(PreflightVerdict::Warn) => "WARN",
                _ => "FAIL",
            };
            json!({ "check": c.check, "verdict": verdict, "detail": c.detail, "fix": c.fix })
        })
        .collect();
    json!({ "target": r.target, "ok": r.ok, "checks": checks })
}
