//! Rows to proto messages.

use chrono::{DateTime, Utc};
use proto::payops::common::v1::Money;
use proto::payops::pixi_sync::v1 as pb;

use crate::store::orders::OrderRow;
use crate::store::payment_configs::PaymentConfigRow;
use crate::store::pixi_apis::PixiApiRow;
use crate::store::reconciliation::{MismatchRow, RunRow};
use crate::store::smtp::SmtpRow;
use crate::store::tenants::TenantRow;

/// A timestamp.
pub fn ts(t: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(kit::bus::event::timestamp(t))
}

/// A tenant.
pub fn tenant(t: &TenantRow) -> pb::Tenant {
    pb::Tenant {
        tenant_id: t.id.to_string(),
        name: t.name.clone(),
        created_at: ts(t.created_at),
        pixi_api_config_count: i32::try_from(t.pixi_apis).unwrap_or(i32::MAX),
        has_smtp_config: t.has_smtp,
    }
}

/// A pixi API configuration (no password).
pub fn pixi_api(a: &PixiApiRow) -> pb::PixiApiConfig {
    pb::PixiApiConfig {
        pixi_api_config_id: a.id.to_string(),
        tenant_id: a.tenant_id.to_string(),
        name: a.name.clone(),
        endpoint: a.endpoint.clone(),
        user: a.username.clone(),
        has_password: !a.password_enc.is_empty(),
        active: a.active,
        timezone: a.timezone.clone(),
        created_at: ts(a.created_at),
        updated_at: ts(a.updated_at),
    }
}

/// An SMTP configuration (no password).
pub fn smtp(s: &SmtpRow) -> pb::SmtpConfig {
    let tls = match s.tls_mode.as_str() {
        "none" => pb::SmtpTlsMode::None,
        "starttls" => pb::SmtpTlsMode::Starttls,
        "implicit" => pb::SmtpTlsMode::Implicit,
        _ => pb::SmtpTlsMode::Unspecified,
    };
    pb::SmtpConfig {
        tenant_id: s.tenant_id.to_string(),
        host: s.host.clone(),
        port: s.port,
        tls_mode: tls as i32,
        user: s.username.clone(),
        has_password: s.password_enc.is_some(),
        sender: s.sender.clone(),
        recipient: s.recipient.clone(),
        updated_at: ts(s.updated_at),
    }
}

/// A payment configuration (no private key).
pub fn payment_config(c: &PaymentConfigRow) -> pb::PaymentConfig {
    let mode = match c.mode.as_str() {
        "standard" => pb::Mode::Standard,
        "expert" => pb::Mode::Expert,
        _ => pb::Mode::Unspecified,
    };
    pb::PaymentConfig {
        payment_config_id: c.id.to_string(),
        tenant_id: c.tenant_id.to_string(),
        pixi_api_config_id: c.pixi_api_id.to_string(),
        mandant: c.mandant.clone(),
        payment_method: c.payment_method.clone(),
        active: c.active,
        effectively_active: crate::domain::settings::effectively_active(c.active, c.api_active),
        invoice_booking_event: c.invoice_event.clone(),
        return_booking_event: c.return_event.clone(),
        xml_tag: c.xml_tag.clone(),
        rounding_tolerance_minor: c.tolerance_minor,
        unzer_public_key: c.public_key.clone(),
        has_private_key: !c.private_key_enc.is_empty(),
        mode: mode as i32,
        processed_orders: c.processed,
        draft: false,
        copied_from_payment_config_id: c.copied_from.map(|u| u.to_string()).unwrap_or_default(),
        created_at: ts(c.created_at),
        updated_at: ts(c.updated_at),
    }
}

/// A money amount.
pub(super) fn money(minor: i64, currency: &str) -> Option<Money> {
    Some(Money { amount_minor: minor, currency: currency.to_owned() })
}

/// A stored dashboard state.
pub(super) fn state(s: &str) -> pb::SyncState {
    match s {
        "waiting" => pb::SyncState::Waiting,
        "released" => pb::SyncState::Released,
        "locked" => pb::SyncState::Locked,
        "completed" => pb::SyncState::Completed,
        "not_processed" => pb::SyncState::NotProcessed,
        _ => pb::SyncState::Unspecified,
    }
}

/// A stored problem mark.
pub(super) fn problem(s: &str) -> pb::Problem {
    match s {
        "error" => pb::Problem::Error,
        "hint" => pb::Problem::Hint,
        _ => pb::Problem::None,
    }
}

/// One dashboard row.
pub(super) fn summary(o: &OrderRow, incident_ids: Vec<String>) -> pb::OrderSummary {
    pb::OrderSummary {
        tenant_id: o.tenant_id.to_string(),
        pixi_api_config_id: o.pixi_api_id.to_string(),
        order_nr: o.order_nr,
        order_nr_external: o.order_nr_external.clone(),
        payment_method: o.payment_method.clone(),
        payment_id: o.payment_id.clone(),
        payment_type: o.payment_type.clone(),
        mode: o.mode.clone(),
        state: state(&o.state) as i32,
        pixi_status: o.pixi_status.clone(),
        problem: problem(&o.problem) as i32,
        incident_ids,
        order_total: money(o.order_total_minor, &o.currency),
        charged: money(o.charged_minor, &o.currency),
        refunded: money(o.refunded_minor, &o.currency),
        reversed: money(o.reversed_minor, &o.currency),
        last_action: o.last_action.clone(),
        created_at: ts(o.created_at),
        updated_at: ts(o.updated_at),
    }
}

/// A reconciliation run.
pub(super) fn run_msg(r: &RunRow) -> pb::ReconciliationRun {
    pb::ReconciliationRun {
        run_id: r.id.to_string(),
        tenant_id: r.tenant_id.to_string(),
        pixi_api_config_id: r.pixi_api_id.to_string(),
        started_at: ts(r.started_at),
        finished_at: r.finished_at.and_then(ts),
        orders_checked: r.orders_checked,
        mismatches: r.mismatches,
        trigger: r.trigger.clone(),
    }
}

/// A mismatch.
pub(super) fn mismatch_msg(m: &MismatchRow) -> pb::Mismatch {
    pb::Mismatch {
        order_nr: m.order_nr,
        document_nr: m.document.clone(),
        code: m.code.clone(),
        pixi_amount: money(m.pixi_minor, &m.currency),
        unzer_amount: money(m.unzer_minor, &m.currency),
        booked_amount: money(m.booked_minor, &m.currency),
        description: m.description.clone(),
        incident_id: m.incident_id.clone(),
    }
}

/// The pixi documents of an order as its progress records them.
pub(super) fn documents(o: &OrderRow) -> Vec<pb::OrderDocument> {
    let p = &o.progress.0;
    let invoices = p.invoices.iter().map(|(nr, i)| pb::OrderDocument {
        document_nr: nr.clone(),
        kind: "invoice".into(),
        moved: money(i.charge.as_ref().map_or(0, |c| c.amount_minor), &o.currency),
        shipped: i.shipment.is_some(),
        sum_checked: i.sum_ok,
        booked: i.balanced,
        failed: i.failed,
    });
    let credits = p.credits.iter().map(|(nr, c)| pb::OrderDocument {
        document_nr: nr.clone(),
        kind: "credit_note".into(),
        moved: money(c.refunded_minor, &o.currency),
        shipped: false,
        sum_checked: false,
        booked: c.booked,
        failed: c.failed,
    });
    invoices.chain(credits).collect()
}
