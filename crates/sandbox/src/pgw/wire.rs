//! PGW wire format: the JSON views of transactions, codes, devices and generations, and the
//! error body `{"error":{"code","message","fields"?}}`. Times are RFC 3339 in Europe/Zurich
//! local time with offset; amounts are decimal strings in CHF (`"3.50"`), never floats.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Europe::Zurich;
use serde::{Deserialize, Serialize};

use super::model::{CodeGrant, Device, EnvState, Generation, Transaction, TxStatus, chf, is_valid};

/// A transaction as PGW returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    /// PGW transaction number.
    pub id: u64,
    /// TWINT transaction number (UUID).
    pub twint_ref: String,
    /// Payment time, RFC 3339 with the Zurich offset.
    pub timestamp: String,
    /// Local date (Europe/Zurich), `YYYY-MM-DD`.
    pub date: String,
    /// Local time, `HH:MM:SS`.
    pub time: String,
    /// Amount in CHF, two decimals.
    pub amount: String,
    /// Always `CHF`.
    pub currency: String,
    /// Paying mobile number, E.164.
    pub mobile: String,
    /// Device b-code.
    pub device_b_code: String,
    /// smarpay's internal device id.
    pub device_internal_id: String,
    /// Sub-merchant of the device.
    pub sub_merchant: String,
    /// `TWINT`.
    pub payment_method: String,
    /// `completed`, `failed` or `cancelled`.
    pub status: TxStatus,
    /// The current code, or null when the payment did not complete.
    pub code: Option<CodeView>,
    /// How many codes were issued for it (1 + generations).
    pub codes_issued: u32,
}

/// A code and its validity at the time of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeView {
    /// The Canastra code.
    pub code: String,
    /// End of validity.
    pub valid_until: String,
    /// `valid` or `expired`.
    pub state: String,
    /// Same instant as `valid_until` once expired, else null.
    pub expired_on: Option<String>,
    /// When the code was issued.
    pub issued_at: String,
    /// `purchase` or `generated`.
    pub origin: String,
}

/// A device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    /// b-code.
    pub b_code: String,
    /// Internal id.
    pub internal_id: String,
    /// Sub-merchant.
    pub sub_merchant: String,
    /// Location.
    pub location: String,
    /// Validity of new codes, hours.
    pub code_validity_hours: u32,
}

/// The answer to a code generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationView {
    /// Generation id.
    pub generation_id: u64,
    /// Transaction, or null for a device-level code.
    pub transaction_id: Option<u64>,
    /// Device b-code.
    pub device_b_code: String,
    /// Internal device id.
    pub device_internal_id: String,
    /// Amount in CHF.
    pub amount: String,
    /// The new code.
    pub code: String,
    /// End of validity.
    pub valid_until: String,
    /// When it was generated.
    pub generated_at: String,
}

/// Local RFC 3339 (`2025-01-10T14:03:22+01:00`).
pub fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Zurich).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Builds the view of `c` at `now`.
pub fn code_view(c: &CodeGrant, now: DateTime<Utc>) -> CodeView {
    let valid = is_valid(c, now);
    CodeView {
        code: c.code.clone(),
        valid_until: local(c.valid_until),
        state: if valid { "valid" } else { "expired" }.into(),
        expired_on: (!valid).then(|| local(c.valid_until)),
        issued_at: local(c.issued_at),
        origin: c.origin.clone(),
    }
}

/// Builds the view of `t` at `now`.
pub fn transaction_view(env: &EnvState, t: &Transaction, now: DateTime<Utc>) -> TransactionView {
    let l = t.at.with_timezone(&Zurich);
    let device = env.device(&t.device);
    TransactionView {
        id: t.id,
        twint_ref: t.twint_ref.to_string(),
        timestamp: local(t.at),
        date: l.format("%Y-%m-%d").to_string(),
        time: l.format("%H:%M:%S").to_string(),
        amount: chf(t.amount_rappen),
        currency: "CHF".into(),
        mobile: t.mobile.clone(),
        device_b_code: t.device.clone(),
        device_internal_id: device.map(|d| d.internal_id.clone()).unwrap_or_default(),
        sub_merchant: device.map(|d| d.sub_merchant.clone()).unwrap_or_default(),
        payment_method: t.payment_method.clone(),
        status: t.status,
        code: t.codes.last().map(|c| code_view(c, now)),
        codes_issued: u32::try_from(t.codes.len()).unwrap_or(u32::MAX),
    }
}

/// Builds the view of a device.
pub fn device_view(d: &Device) -> DeviceView {
    DeviceView {
        b_code: d.b_code.clone(),
        internal_id: d.internal_id.clone(),
        sub_merchant: d.sub_merchant.clone(),
        location: d.location.clone(),
        code_validity_hours: d.code_validity_hours,
    }
}

/// Builds the view of a generation.
pub fn generation_view(g: &Generation, internal_id: &str) -> GenerationView {
    GenerationView {
        generation_id: g.id,
        transaction_id: g.transaction_id,
        device_b_code: g.device.clone(),
        device_internal_id: internal_id.to_owned(),
        amount: chf(g.amount_rappen),
        code: g.code.clone(),
        valid_until: local(g.valid_until),
        generated_at: local(g.generated_at),
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Parameter name.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// A PGW error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Vec<FieldError>,
}

impl ApiError {
    /// An error with `status`, machine `code` and human `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), fields: Vec::new() }
    }

    /// 400 listing every invalid field.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message: "the request has invalid or missing parameters".into(),
            fields,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({ "code": self.code, "message": self.message });
        if !self.fields.is_empty() {
            error["fields"] = serde_json::to_value(&self.fields).unwrap_or_default();
        }
        (self.status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}
