//! unzer's wire shapes: the error body of §1.6, the transaction response of §1.4, the payment
//! resource of §1.5, dates (`YYYY-MM-DD HH:MM:SS`, UTC) and message codes.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::model::{PayKind, Payment, Txn, TxnStatus, TxnType};
use super::money;

/// An API error: HTTP status, unzer code, English merchant message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    /// A 400 with `code`.
    pub(crate) fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }

    /// Any status with `code`.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
}

/// Error codes used (`ApiResponseCodes.php`).
pub(crate) mod codes {
    pub(crate) const GENERAL: &str = "API.000.000.999";
    pub(crate) const PAYMENT_NOT_FOUND: &str = "API.310.100.003";
    pub(crate) const AUTHORIZE_NOT_ALLOWED: &str = "API.320.000.004";
    pub(crate) const CHARGE_NOT_ALLOWED: &str = "API.330.000.004";
    pub(crate) const CANCEL_NOT_ALLOWED: &str = "API.340.000.004";
    pub(crate) const SHIP_NOT_ALLOWED: &str = "API.360.000.004";
    pub(crate) const SHIPMENT_NEEDS_INVOICE_ID: &str = "API.360.100.025";
    pub(crate) const INSURANCE_ALREADY_ACTIVATED: &str = "COR.700.400.800";
    pub(crate) const CUSTOMER_ID_REQUIRED: &str = "API.320.100.008";
    pub(crate) const ORDER_ID_IN_USE: &str = "API.320.200.138";
    pub(crate) const RESOURCE_NOT_OF_MERCHANT: &str = "API.320.200.145";
    pub(crate) const OVER_CAPTURE: &str = "API.330.100.007";
    pub(crate) const CURRENCY_NOT_SUPPORTED: &str = "API.330.100.202";
    pub(crate) const ALREADY_CANCELLED: &str = "API.340.100.014";
    pub(crate) const ALREADY_CHARGED_BACK: &str = "API.340.100.015";
    pub(crate) const ALREADY_CHARGED: &str = "API.340.100.018";
    pub(crate) const REASON_CODE_MISSING: &str = "API.340.100.024";
    pub(crate) const REQUEST_INVALID: &str = "API.500.300.999";
    pub(crate) const WEBHOOK_NOT_FOUND: &str = "API.510.310.008";
    pub(crate) const WEBHOOK_EXISTS: &str = "API.510.310.009";
    pub(crate) const INVALID_KEY: &str = "API.710.000.002";
    pub(crate) const INSUFFICIENT_PERMISSION: &str = "API.710.000.005";
    pub(crate) const WRONG_AUTH_METHOD: &str = "API.710.000.007";
    pub(crate) const FIELD_MISSING: &str = "API.710.200.100";
    pub(crate) const MISSING_LOGIN: &str = "COR.100.300.600";
    pub(crate) const PENDING: &str = "COR.000.200.000";
    pub(crate) const SANDBOX_SUCCESS: &str = "COR.000.100.112";
    pub(crate) const LIVE_SUCCESS: &str = "COR.000.100.200";
    pub(crate) const REDIRECT_FAILED: &str = "COR.300.100.101";
}

/// `YYYY-MM-DD HH:MM:SS` (UTC; unzer sends no zone).
pub(crate) fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The localised customer message (German for `Accept-Language: de…`, English otherwise).
pub(crate) fn customer_message(german: bool) -> &'static str {
    if german {
        "Bei der Verarbeitung ist ein Fehler aufgetreten. Bitte kontaktieren Sie den Händler."
    } else {
        "An error occurred while processing. Please contact the merchant."
    }
}

/// The error body of §1.6. `merchant_message` is `None` for calls made with a public key.
pub(crate) fn error_body(
    id: &str,
    url: &str,
    at: DateTime<Utc>,
    trace_id: &str,
    e: &ApiError,
    merchant: bool,
    german: bool,
) -> Value {
    let mut err = json!({ "code": e.code, "customerMessage": customer_message(german) });
    if merchant {
        err["merchantMessage"] = Value::String(e.message.clone());
    }
    json!({
        "id": id,
        "isSuccess": false,
        "isPending": false,
        "isError": true,
        "url": url,
        "timestamp": date(at),
        "traceId": trace_id,
        "errors": [err],
    })
}

/// Path of a transaction below `/v1/payments/{id}/`: cancels and chargebacks nested under
/// their parent (`authorize/s-aut-1/cancels/s-cnl-1`, `charges/s-chg-1/cancels/s-cnl-1`),
/// payment-level ones without (`authorize/cancels/…`, `charges/cancels/…`).
pub(crate) fn txn_path(_p: &Payment, t: &Txn) -> String {
    let nested = |what: &str| match t.parent.as_deref() {
        Some(parent) if parent.contains("-aut-") => format!("authorize/{parent}/{what}/{}", t.id),
        Some(parent) => format!("charges/{parent}/{what}/{}", t.id),
        None => String::new(),
    };
    match (t.kind, t.parent.is_some()) {
        (TxnType::Authorize, _) => format!("authorize/{}", t.id),
        (TxnType::Charge, _) => format!("charges/{}", t.id),
        (TxnType::CancelAuthorize | TxnType::CancelCharge, true) => nested("cancels"),
        (TxnType::CancelAuthorize, false) => format!("authorize/cancels/{}", t.id),
        (TxnType::CancelCharge, false) => format!("charges/cancels/{}", t.id),
        (TxnType::Shipment, _) => format!("shipments/{}", t.id),
        (TxnType::Chargeback, true) => nested("chargebacks"),
        (TxnType::Chargeback, false) => format!("charges/chargebacks/{}", t.id),
    }
}

/// Full URL of a transaction.
pub(crate) fn txn_url(base: &str, p: &Payment, t: &Txn) -> String {
    format!("{base}/v1/payments/{}/{}", p.id, txn_path(p, t))
}

/// Where the customer is sent for redirect types.
pub(crate) fn redirect_url(base: &str, p: &Payment) -> String {
    format!("{base}/v1/redirect/{}", p.id)
}

/// The transaction response of §1.4.
pub(crate) fn txn_json(base: &str, p: &Payment, t: &Txn, live: bool) -> Value {
    let (code, merchant, customer) = match (t.status, t.error_code.as_deref()) {
        (TxnStatus::Error, code) => (
            code.unwrap_or(codes::GENERAL).to_owned(),
            "The transaction failed.".to_owned(),
            customer_message(false).to_owned(),
        ),
        (TxnStatus::Pending, _) => (
            codes::PENDING.to_owned(),
            "Transaction pending".to_owned(),
            "Your payment is currently pending. Please contact us for more information.".to_owned(),
        ),
        (TxnStatus::Success, _) if live => (
            codes::LIVE_SUCCESS.to_owned(),
            "Transaction succeeded".to_owned(),
            "Your payment was successfully processed.".to_owned(),
        ),
        (TxnStatus::Success, _) => (
            codes::SANDBOX_SUCCESS.to_owned(),
            "Request successfully processed in 'Merchant in Connector Test Mode'".to_owned(),
            "Your payments have been successfully processed in sandbox mode.".to_owned(),
        ),
    };
    let redirect = t.status == TxnStatus::Pending && p.kind.redirect();
    let mut processing = json!({ "uniqueId": t.unique_id, "shortId": t.short_id, "traceId": p.trace_id });
    if t.kind == TxnType::Charge && p.kind.funds_arrive() {
        processing["iban"] = json!(BANK_IBAN);
        processing["bic"] = json!(BANK_BIC);
        processing["holder"] = json!(BANK_HOLDER);
        processing["descriptor"] = json!(t.short_id);
    }
    let mut v = json!({
        "id": t.id,
        "isSuccess": t.status == TxnStatus::Success,
        "isPending": t.status == TxnStatus::Pending,
        "isResumed": false,
        "isError": t.status == TxnStatus::Error,
        "redirectUrl": if redirect { redirect_url(base, p) } else { String::new() },
        "message": { "code": code, "merchant": merchant, "customer": customer },
        "amount": money::format(t.amount),
        "currency": p.currency,
        "date": date(t.at),
        "orderId": t.order_id,
        "invoiceId": t.invoice_id,
        "paymentReference": t.payment_reference,
        "resources": {
            "customerId": p.customer_id,
            "paymentId": p.id,
            "basketId": p.basket_id,
            "metadataId": p.metadata_id,
            "payPageId": "",
            "traceId": p.trace_id,
            "typeId": p.type_id,
        },
        "processing": processing,
    });
    if matches!(t.kind, TxnType::Authorize | TxnType::Charge) {
        v["returnUrl"] = json!(p.return_url);
        v["card3ds"] = json!(p.kind == PayKind::Card);
    }
    if let Some(r) = &t.reason_code {
        v["reasonCode"] = json!(r);
    }
    v
}

/// The payment resource of §1.5.
pub(crate) fn payment_json(base: &str, p: &Payment) -> Value {
    let a = p.amounts();
    let state = p.state();
    let txns: Vec<Value> = p
        .txns
        .iter()
        .map(|t| {
            json!({
                "date": date(t.at),
                "type": t.kind.name(),
                "status": t.status.name(),
                "url": txn_url(base, p, t),
                "amount": money::format(t.amount),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "state": { "id": state.id(), "name": state.name() },
        "amount": {
            "total": money::format(a.total),
            "charged": money::format(a.charged),
            "canceled": money::format(a.canceled),
            "remaining": money::format(a.remaining),
        },
        "currency": p.currency,
        "orderId": p.order_id,
        "invoiceId": p.invoice_id,
        "resources": {
            "customerId": p.customer_id,
            "paymentId": p.id,
            "basketId": p.basket_id,
            "metadataId": p.metadata_id,
            "payPageId": "",
            "traceId": p.trace_id,
            "typeId": p.type_id,
        },
        "transactions": txns,
    })
}

/// The merchant account the transfers of prepayment and invoice go to.
pub(crate) const BANK_IBAN: &str = "DE89370400440532013000";
/// BIC of [`BANK_IBAN`].
pub(crate) const BANK_BIC: &str = "COBADEFFXXX";
/// Holder of [`BANK_IBAN`].
pub(crate) const BANK_HOLDER: &str = "Unzer Sandbox Merchant";
