//! unzer's JSON shapes as pixi-sync reads them (§1.4–§1.7 of the wire facts): the payment
//! resource with its transaction list, a transaction, the error body (also with HTTP 200),
//! the webhook body; amounts as 4-decimal strings; ids parsed out of transaction URLs.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::facts::{Bank, Payment, Txn, TxnKind, TxnStatus};
use crate::domain::payment_type::PaymentType;

/// An amount string (`"100.0000"`) or number as minor units (two decimals, half away from
/// zero beyond).
pub fn minor(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => crate::pixi::wire::money(s),
        Value::Number(n) => crate::pixi::wire::money(&n.to_string()),
        _ => None,
    }
}

/// Minor units as unzer's amount (a decimal number with two places).
pub fn amount(minor: i64) -> Value {
    serde_json::from_str(&crate::pixi::wire::money_text(minor)).unwrap_or(Value::Null)
}

/// One error of the `errors[]` list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiErrorItem {
    /// `API.330.100.007` etc.
    pub code: String,
    /// English merchant message.
    pub merchant_message: String,
}

/// The first error of a body that has `errors[]` (unzer may send it with HTTP 200).
pub fn error_of(body: &Value) -> Option<ApiErrorItem> {
    let errors = body.get("errors")?.as_array()?;
    let first = errors.first()?;
    Some(serde_json::from_value(first.clone()).unwrap_or_default())
}

/// The last path segment of a transaction URL and, for refunds and chargebacks, the charge
/// it belongs to (`…/charges/s-chg-1/cancels/s-cnl-2`).
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
    /// Status from `isSuccess`/`isPending`/`isError`.
    pub status: TxnStatus,
    /// Amount.
    pub amount_minor: i64,
    /// `paymentReference` carried.
    pub payment_reference: String,
    /// `invoiceId` carried.
    pub invoice_id: String,
    /// Transfer data (`processing.iban/bic/holder/descriptor`).
    pub bank: Option<Bank>,
    /// Message code.
    pub message_code: String,
}

/// Reads a transaction body.
pub fn txn_answer(v: &Value) -> Option<TxnAnswer> {
    let id = v.get("id")?.as_str()?.to_owned();
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let status = if flag("isError") {
        TxnStatus::Error
    } else if flag("isSuccess") {
        TxnStatus::Success
    } else {
        TxnStatus::Pending
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let p = v.get("processing");
    let ps = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str).unwrap_or_default().to_owned();
    let bank = (!ps("iban").is_empty()).then(|| Bank {
        holder: ps("holder"),
        iban: ps("iban"),
        bic: ps("bic"),
        reference: ps("descriptor"),
    });
    Some(TxnAnswer {
        id,
        status,
        amount_minor: v.get("amount").and_then(minor).unwrap_or(0),
        payment_reference: s("paymentReference"),
        invoice_id: s("invoiceId"),
        bank,
        message_code: v
            .get("message")
            .and_then(|m| m.get("code"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Reads the payment resource (without transfer data; see the client for that).
pub fn payment(v: &Value) -> Option<Payment> {
    let id = v.get("id")?.as_str()?.to_owned();
    let type_id =
        v.get("resources").and_then(|r| r.get("typeId")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let txns = v
        .get("transactions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|t| {
                    let url = t.get("url")?.as_str()?;
                    let (tid, parent) = ids_from_url(url);
                    Some(Txn {
                        id: tid,
                        kind: TxnKind::parse(t.get("type")?.as_str()?),
                        status: TxnStatus::parse(t.get("status").and_then(Value::as_str).unwrap_or_default()),
                        amount_minor: t.get("amount").and_then(minor).unwrap_or(0),
                        parent,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Payment {
        kind: PaymentType::from_type_id(&type_id),
        id,
        type_id,
        state: v.get("state").and_then(|s| s.get("name")).and_then(Value::as_str).unwrap_or_default().to_owned(),
        currency: v.get("currency").and_then(Value::as_str).unwrap_or_default().to_owned(),
        total_minor: v.get("amount").and_then(|a| a.get("total")).and_then(minor).unwrap_or(0),
        txns,
        bank: None,
    })
}

/// The transaction URLs of a payment resource, with their types.
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
    fn reads_payments_with_transaction_ids_and_parents() {
        let v = json!({
            "id": "s-pay-7", "state": {"id": 3, "name": "partly"},
            "amount": {"total": "100.0000", "charged": "40.0000", "canceled": "0.0000", "remaining": "60.0000"},
            "currency": "EUR", "resources": {"typeId": "s-crd-abc"},
            "transactions": [
                {"type": "authorize", "status": "success", "url": "https://x/v1/payments/s-pay-7/authorize/s-aut-1", "amount": "100.0000"},
                {"type": "charge", "status": "success", "url": "https://x/v1/payments/s-pay-7/charges/s-chg-1", "amount": "40.0000"},
                {"type": "cancel-charge", "status": "success", "url": "https://x/v1/payments/s-pay-7/charges/s-chg-1/cancels/s-cnl-1", "amount": "10.0000"},
                {"type": "mystery", "status": "weird", "url": "https://x/v1/payments/s-pay-7/x/s-x-1", "amount": "1"}
            ]
        });
        let p = payment(&v).unwrap();
        assert_eq!(p.kind, Ok(PaymentType::Card));
        assert_eq!(p.total_minor, 10_000);
        assert_eq!(p.txns[2].parent.as_deref(), Some("s-chg-1"));
        assert_eq!(p.txns[3].kind, TxnKind::Other);
        assert_eq!(p.txns[3].status, TxnStatus::Pending, "unknown status is pending, never success");
        assert_eq!(p.charged_minor(), 4000);
        assert_eq!(
            path_from_url("https://x/v1/payments/s-pay-7/charges/s-chg-1", "s-pay-7").as_deref(),
            Some("charges/s-chg-1")
        );
    }

    #[test]
    fn reads_transactions_errors_and_amounts() {
        let t = json!({"id": "s-chg-1", "isSuccess": false, "isPending": true, "isError": false, "amount": "46.1800",
            "paymentReference": "charge:x", "invoiceId": "R1",
            "processing": {"iban": "DE89", "bic": "COBADEFFXXX", "holder": "Merchant", "descriptor": "4866.5496.0065"},
            "message": {"code": "COR.000.200.000"}});
        let a = txn_answer(&t).unwrap();
        assert_eq!((a.status, a.amount_minor, a.payment_reference.as_str()), (TxnStatus::Pending, 4618, "charge:x"));
        assert_eq!(a.bank.unwrap().reference, "4866.5496.0065");
        let e = json!({"isError": true, "errors": [{"code": "API.330.100.007", "merchantMessage": "too much"}]});
        assert_eq!(error_of(&e).unwrap().code, "API.330.100.007");
        assert!(error_of(&t).is_none());
        assert_eq!(amount(1250), json!(12.50));
        assert_eq!(minor(&json!(12.5)), Some(1250));
    }
}
