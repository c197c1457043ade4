//! unzer contract cases against the real adapter (CT-02, CT-04, CT-05): each case's answer is
//! replayed by a server that knows only the cases, the adapter is pointed at it and called
//! with the case's input, and what it makes of the answer is compared with the case.

use std::time::Duration;

use pixi_sync::unzer::{PrivateKey, UnzerClient, UnzerError};
use sandbox::contracts::{LoadedCase, check_adapter, load_partner};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "s-priv-2a10contract0sandbox0key000000";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn error(e: &UnzerError) -> Value {
    match e {
        UnzerError::Rejected { code, message } => {
            json!({"error": "refused", "code": code, "expired": e.is_expired(), "message": message})
        }
        UnzerError::Unauthorized(code) => json!({"error": "unauthorized", "code": code}),
        UnzerError::NotFound => json!({"error": "not_found"}),
        UnzerError::Unavailable(r) => json!({"error": "unknown", "reason": r}),
    }
}

/// Calls the adapter operation the case names against the replay server at `url`.
async fn drive(url: String, case: LoadedCase) -> Value {
    let input = &case.case.input;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let client = UnzerClient::new(http, &url);
    let key = PrivateKey(SecretString::from(input.get("key").and_then(Value::as_str).unwrap_or(KEY).to_owned()));
    let pid = s(input, "payment_id");
    let amount = input.get("amount_minor").and_then(Value::as_i64).unwrap_or(0);
    let reference = s(input, "reference");
    let txn = |r: Result<pixi_sync::unzer::wire::TxnAnswer, UnzerError>| match r {
        Ok(t) => json!({
            "status": format!("{:?}", t.status).to_lowercase(),
            "id": t.id,
            "amount_minor": t.amount_minor,
            "payment_reference": t.payment_reference,
            "invoice_id": t.invoice_id,
        }),
        Err(e) => error(&e),
    };
    match case.operation.as_str() {
        "get_payment" => match client.payment(&key, pid).await {
            Ok(p) => json!({
                "status": "found",
                "id": p.id,
                "type": p.kind.as_ref().ok().map(|k| k.name()),
                "total_minor": p.total_minor,
                "currency": p.currency,
            }),
            Err(e) => error(&e),
        },
        "get_transaction" => txn(client.transaction(&key, pid, s(input, "path")).await),
        "charge" => {
            let invoice = input.get("invoice_id").and_then(Value::as_str);
            txn(client.charge(&key, pid, amount, invoice, reference).await)
        }
        "shipment" => txn(client.ship(&key, pid, s(input, "invoice_id"), reference).await),
        "cancel" => txn(client.reverse(&key, pid, amount, reference).await),
        "refund" => {
            let charge = input.get("charge_id").and_then(Value::as_str);
            txn(client.refund(&key, pid, charge, amount, s(input, "reason"), reference).await)
        }
        "register_webhooks" => match client.register_webhooks(&key, s(input, "url")).await {
            Ok(()) => json!({"status": "registered"}),
            Err(e) => error(&e),
        },
        "list_webhooks" => match client.check_key(&key).await {
            Ok(()) => json!({"status": "listed"}),
            Err(e) => error(&e),
        },
        other => json!({"error": "unsupported", "operation": other}),
    }
}

fn cases() -> Vec<LoadedCase> {
    load_partner("unzer").expect("unzer cases load")
}

async fn check(filter: impl Fn(&LoadedCase) -> bool) -> Vec<String> {
    let all = cases();
    let chosen: Vec<LoadedCase> =
        all.iter().filter(|c| c.operation != "webhook_event").filter(|c| filter(c)).cloned().collect();
    assert!(!chosen.is_empty(), "no case chosen");
    check_adapter(all, &chosen, drive).await
}

#[tokio::test]
async fn ct_02_unzer_adapter_sends_and_reads_every_call_as_the_cases_show() {
    let failures = check(|c| c.case.expect.get("error").is_none()).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_04_unzer_failure_answers_are_classified_as_the_cases_say() {
    let failures = check(|c| c.case.expect.get("error").is_some()).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
