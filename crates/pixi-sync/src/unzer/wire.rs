//! unzer's JSON as pixi-sync sends and reads it, every field it needs read fail-closed
//! (`kit::contract`, CT-05) as the cases in `crates/sandbox/contracts/unzer/` show: the payment
//! with its transaction list, a transaction, the transfer data of a charge, the error body
//! (also with HTTP 200), the webhook list, the key pair and the webhook body.
//!
//! Amounts go out as exact decimal strings with four places (`1250` → `"12.5000"`), as
//! `unzerdev/java-sdk`'s `JsonBigDecimalConverter` writes every amount and the docs' examples
//! send strings: never a binary float. They come back as `"12.5000"` strings (or numbers),
//! read exactly into minor units.

use chrono::{DateTime, NaiveDateTime, Utc};
use kit::contract::{ContractError, Json, Problem};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::facts::{Bank, Payment, Txn, TxnKind, TxnStatus};
use crate::domain::payment_type::PaymentType;

/// The partner name in contract errors and metrics.
pub const SYSTEM: &str = "unzer";

/// Minor units (two decimals) as unzer's amount: `"12.5000"`.
pub fn amount(minor: i64) -> Value {
    Value::String(kit::contract::minor_decimal(minor.saturating_mul(100), 4))
}

/// The first error of a body that has `errors[]` (unzer may send it with HTTP 200): its
/// code and merchant message (absent for public-key calls). `None` when the body has none.
pub fn error_of(op: &'static str, body: &Value) -> Option<Result<(String, String), ContractError>> {
    body.get("errors")?;
    let r = Json::new(SYSTEM, op, body);
    Some((|| {
        let errors = r.array("errors")?;
        let first = errors.first().ok_or_else(|| r.error("errors", Problem::Empty))?;
        let code = first.text("code")?.to_owned();
        let message = first.opt_str("merchantMessage")?.unwrap_or_default().to_owned();
        Ok((code, message))
    })())
}

/// The last path segment of a transaction URL and, for cancels and chargebacks nested under a
/// charge, that charge (`…/charges/s-chg-1/cancels/s-cnl-2`).
pub fn ids_from_url(url: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = url.trim_end_matches('/').split('/').collect();
    let id = parts.last().map(|s| (*s).to_owned()).unwrap_or_default();
    let parent = parts
        .windows(3)
        .find(|w| w[0] == "charges" && matches!(w[2], "cancels" | "chargebacks"))
        .map(|w| w[1].to_owned());
    (id, parent)
}

/// Path of a transaction below its payment (`charges/s-chg-1`), from its URL.
pub fn path_from_url(url: &str, payment_id: &str) -> Option<String> {
    url.split_once(&format!("/payments/{payment_id}/")).map(|(_, p)| p.trim_end_matches('/').to_owned())
}

/// A transaction answer (POST or GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnAnswer {
    /// Transaction id.
    pub id: String,
    /// Status from `isSuccess`/`isPending`/`isError` (none true: pending, never success).
    pub status: TxnStatus,
    /// Amount.
    pub amount_minor: i64,
    /// `processing.uniqueId`: the processor's id of the transaction (pixi's `PayID`).
    pub unique_id: String,
    /// `paymentReference` carried (absent when the transaction was made without one).
    pub payment_reference: Option<String>,
    /// `invoiceId` carried.
    pub invoice_id: Option<String>,
    /// `message.code`.
    pub message_code: String,
}

/// Reads a transaction body of operation `op`.
pub fn txn_answer(op: &'static str, v: &Value) -> Result<TxnAnswer, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    let id = r.text("id")?.to_owned();
    // All three flags are part of the contract; an answer with none true is pending.
    let (success, _pending, error) = (r.bool("isSuccess")?, r.bool("isPending")?, r.bool("isError")?);
    let status = if error {
        TxnStatus::Error
    } else if success {
        TxnStatus::Success
    } else {
        TxnStatus::Pending
    };
    Ok(TxnAnswer {
        id,
        status,
        amount_minor: r.minor("amount", 2)?,
        unique_id: r.text("processing.uniqueId")?.to_owned(),
        payment_reference: r.opt_str("paymentReference")?.map(str::to_owned),
        invoice_id: r.opt_str("invoiceId")?.map(str::to_owned),
        message_code: r.opt_str("message.code")?.unwrap_or_default().to_owned(),
    })
}

/// The transfer data of a prepayment or invoice charge (PX-12): every field is needed.
pub fn bank(op: &'static str, v: &Value) -> Result<Bank, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    Ok(Bank {
        holder: r.text("processing.holder")?.to_owned(),
        iban: r.text("processing.iban")?.to_owned(),
        bic: r.text("processing.bic")?.to_owned(),
        reference: r.text("processing.descriptor")?.to_owned(),
    })
}

/// Reads the payment resource (without transfer data; the client adds it).
pub fn payment(op: &'static str, v: &Value) -> Result<Payment, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    let id = r.text("id")?.to_owned();
    let currency = r.text("currency")?.to_owned();
    let total_minor = r.minor("amount.total", 2)?;
    let type_id = r.text("resources.typeId")?.to_owned();
    let state = r.opt_str("state.name")?.unwrap_or_default().to_owned();
    let mut txns = Vec::new();
    for t in r.array("transactions")? {
        let kind = TxnKind::parse(t.text("type")?);
        let status = TxnStatus::parse(t.text("status")?);
        let url = t.text("url")?;
        let amount_minor = t.minor("amount", 2)?;
        let (tid, parent) = ids_from_url(url);
        if tid.is_empty() {
            return Err(t.error("url", Problem::Invalid("a transaction URL".into())));
        }
        txns.push(Txn { id: tid, kind, status, amount_minor, parent });
    }
    Ok(Payment {
        kind: PaymentType::from_type_id(&type_id),
        id,
        type_id,
        state,
        currency,
        total_minor,
        txns,
        bank: None,
    })
}

/// The transaction URLs of a payment resource, with their types (read by [`payment`] first,
/// so a broken list never gets here).
pub fn txn_urls(v: &Value) -> Vec<(TxnKind, String)> {
    v.get("transactions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|t| Some((TxnKind::parse(t.get("type")?.as_str()?), t.get("url")?.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// One webhook registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where events go.
    pub url: String,
    /// Event name or family.
    pub event: String,
}

/// The `events[]` of a webhook list or bulk registration answer.
pub fn webhooks(op: &'static str, v: &Value) -> Result<Vec<Webhook>, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    r.array("events")?
        .iter()
        .map(|e| Ok(Webhook { url: e.text("url")?.to_owned(), event: e.text("event")?.to_owned() }))
        .collect()
}

/// The events a bulk registration answer lists.
pub fn registered_events(op: &'static str, v: &Value) -> Result<Vec<String>, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    r.array("events")?.iter().map(|e| Ok(e.text("event")?.to_owned())).collect()
}

/// `GET /v1/keypair`: the public key paired with the private key and its payment types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The public key.
    pub public_key: String,
    /// `availablePaymentTypes`.
    pub payment_types: Vec<String>,
    /// unzer's clock (the answer's `Date` header).
    pub date: DateTime<Utc>,
}

/// Reads the key pair answer and its `Date` header (`None`: absent).
pub fn keypair(op: &'static str, v: &Value, date: Option<&str>) -> Result<KeyPair, ContractError> {
    let r = Json::new(SYSTEM, op, v);
    let public_key = r.text("publicKey")?.to_owned();
    let payment_types = r
        .array("availablePaymentTypes")?
        .iter()
        .enumerate()
        .map(|(i, t)| {
            t.value().as_str().map(str::to_owned).ok_or_else(|| {
                ContractError::new(SYSTEM, op, format!("availablePaymentTypes[{i}]"), Problem::WrongType("a string"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let date = match date.map(str::trim) {
        None => return Err(ContractError::new(SYSTEM, op, "header:date", Problem::Missing)),
        Some("") => return Err(ContractError::new(SYSTEM, op, "header:date", Problem::Empty)),
        Some(d) => NaiveDateTime::parse_from_str(d, "%a, %d %b %Y %H:%M:%S GMT")
            .map(|n| n.and_utc())
            .map_err(|_| ContractError::new(SYSTEM, op, "header:date", Problem::Invalid("an HTTP date".into())))?,
    };
    Ok(KeyPair { public_key, payment_types, date })
}

/// A webhook body (`{event, publicKey, retrieveUrl, paymentId}`): a trigger, never state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookBody {
    /// Event name.
    pub event: String,
    /// The merchant's public key.
    pub public_key: String,
    /// Payment id (absent for `types` events).
    pub payment_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ct_05_a_key_pair_answer_without_a_date_header_is_a_contract_error() {
        let v = json!({"publicKey": "s-pub-1", "availablePaymentTypes": ["card"]});
        let ok = keypair("keypair", &v, Some("Wed, 26 Nov 2025 10:13:30 GMT")).unwrap();
        assert_eq!(ok.date.to_rfc3339(), "2025-11-26T10:13:30+00:00");
        for date in [None, Some(""), Some("yesterday")] {
            let e = keypair("keypair", &v, date).unwrap_err();
            assert_eq!(e.field, "header:date", "{date:?}");
        }
    }

    #[test]
    fn amounts_go_out_as_exact_four_decimal_strings() {
        assert_eq!(amount(1250), json!("12.5000"));
        assert_eq!(amount(1), json!("0.0100"));
        assert_eq!(amount(999_999), json!("9999.9900"));
    }

    #[test]
    fn payments_keep_ids_and_parents_and_unknown_statuses_are_pending() {
        let v = json!({
            "id": "s-pay-7", "state": {"id": 3, "name": "partly"}, "currency": "EUR",
            "amount": {"total": "100.0000"}, "resources": {"typeId": "s-crd-abc"},
            "transactions": [
                {"type": "authorize", "status": "success", "url": "https://x/v1/payments/s-pay-7/authorize/s-aut-1", "amount": "100.0000"},
                {"type": "charge", "status": "success", "url": "https://x/v1/payments/s-pay-7/charges/s-chg-1", "amount": "40.0000"},
                {"type": "cancel-charge", "status": "success", "url": "https://x/v1/payments/s-pay-7/charges/s-chg-1/cancels/s-cnl-1", "amount": "10.0000"},
                {"type": "mystery", "status": "weird", "url": "https://x/v1/payments/s-pay-7/x/s-x-1", "amount": "1"}
            ]
        });
        let p = payment("get_payment", &v).unwrap();
        assert_eq!(p.kind, Ok(PaymentType::Card));
        assert_eq!(p.total_minor, 10_000);
        assert_eq!(p.txns[2].parent.as_deref(), Some("s-chg-1"));
        assert_eq!(p.txns[3].kind, TxnKind::Other);
        assert_eq!(p.txns[3].status, TxnStatus::Pending, "unknown status is pending, never success");
        assert_eq!(
            path_from_url("https://x/v1/payments/s-pay-7/charges/s-chg-1", "s-pay-7").as_deref(),
            Some("charges/s-chg-1")
        );
    }
}
