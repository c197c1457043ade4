//! Rows to proto messages.

use chrono::{DateTime, Utc};
use proto::payops::pixi_sync::v1 as pb;

use crate::store::payment_configs::PaymentConfigRow;
use crate::store::pixi_apis::PixiApiRow;
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
