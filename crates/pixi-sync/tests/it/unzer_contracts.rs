//! unzer contract cases against the real adapter (CT-02, CT-04, CT-05): each case's answer is
//! replayed by a server that knows only the cases, the adapter is pointed at it (both hosts,
//! or only the one the key belongs to for the host cases) and called with the case's input,
//! and what it makes of the answer is compared with the case. The inbound webhook body is
//! fed to pixi-sync's public endpoint.

use pixi_sync::domain::facts::{Funds, Payment, TxnKind, TxnStatus};
use pixi_sync::unzer::wire::TxnAnswer;
use pixi_sync::unzer::{PrivateKey, UnzerClient, UnzerError};
use sandbox::contracts::{LoadedCase, check_adapter, load_partner};
use secrecy::SecretString;
use serde_json::{Value, json};

const KEY: &str = "s-priv-2a10contract0sandbox0key000000";
/// Nothing listens here: a call to the wrong host fails to connect.
const DEAD: &str = "http://127.0.0.1:9";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn error(e: &UnzerError) -> Value {
    match e {
        UnzerError::Contract(c) => json!({
            "error": "contract",
            "field": c.field,
            "counted": kit::contract::violations("unzer", c.operation, &c.field) > 0,
        }),
        other => json!({"error": other.class(), "code": other.code(), "expired": other.is_expired()}),
    }
}

fn kind(k: TxnKind) -> &'static str {
    match k {
        TxnKind::Authorize => "authorize",
        TxnKind::Charge => "charge",
        TxnKind::CancelAuthorize => "cancel_authorize",
        TxnKind::CancelCharge => "cancel_charge",
        TxnKind::Shipment => "shipment",
        TxnKind::Chargeback => "chargeback",
        TxnKind::Other => "other",
    }
}

fn status(s: TxnStatus) -> &'static str {
    match s {
        TxnStatus::Success => "success",
        TxnStatus::Pending => "pending",
        TxnStatus::Error => "error",
    }
}

fn txn(t: &TxnAnswer) -> Value {
    json!({
        "status": status(t.status),
        "id": t.id,
        "amount_minor": t.amount_minor,
        "unique_id": t.unique_id,
        "payment_reference": t.payment_reference,
        "invoice_id": t.invoice_id,
    })
}

fn payment(p: &Payment) -> Value {
    let funds = match p.funds() {
        None => Value::Null,
        Some(Funds::Awaited) => json!("awaited"),
        Some(Funds::Partial { .. }) => json!("partial"),
        Some(Funds::Received) => json!("received"),
    };
    json!({
        "status": "found",
        "id": p.id,
        "type": p.kind.as_ref().ok().map(|k| k.name()),
        "unsupported": p.kind.as_ref().err().map(|_| p.type_id.clone()),
        "total_minor": p.total_minor,
        "currency": p.currency,
        "transactions": p.txns.iter().map(|t| json!({
            "id": t.id, "parent": t.parent, "kind": kind(t.kind), "status": status(t.status), "amount_minor": t.amount_minor,
        })).collect::<Vec<_>>(),
        "bank": p.bank.as_ref().map(|b| json!({"iban": b.iban, "bic": b.bic, "holder": b.holder, "reference": b.reference})),
        "received_minor": p.received_minor(),
        "funds": funds,
        "max_reversal_minor": p.max_reversal(),
    })
}

fn client(url: &str, key: &PrivateKey, hosts: &str) -> UnzerClient {
    let out = kit::outbound::Outbound::new(
        "unzer",
        &kit::outbound::OutboundConfig { read_retries: 0, ..kit::outbound::OutboundConfig::default() },
    )
    .unwrap();
    match (hosts, key.is_production()) {
        ("split", true) => UnzerClient::new(out, DEAD, url),
        ("split", false) => UnzerClient::new(out, url, DEAD),
        _ => UnzerClient::new(out, url, url),
    }
}

/// Calls the adapter operation the case names against the replay server at `url`.
async fn drive(url: String, case: LoadedCase) -> Value {
    let input = &case.case.input;
    let key = PrivateKey(SecretString::from(input.get("key").and_then(Value::as_str).unwrap_or(KEY).to_owned()));
    let client = client(&url, &key, s(input, "hosts"));
    let pid = s(input, "payment_id");
    let amount = input.get("amount_minor").and_then(Value::as_i64).unwrap_or(0);
    let reference = s(input, "reference");
    let answer = |r: Result<TxnAnswer, UnzerError>| r.map_or_else(|e| error(&e), |t| txn(&t));
    match case.operation.as_str() {
        "get_payment" => client.payment(&key, pid).await.map_or_else(|e| error(&e), |p| payment(&p)),
        "get_transaction" if input.get("bank").is_some() => {
            match client.transfer_charge(&key, pid, s(input, "path")).await {
                Ok((t, b)) => {
                    let mut v = txn(&t);
                    v["bank"] = json!({"iban": b.iban, "bic": b.bic, "holder": b.holder, "reference": b.reference});
                    v
                }
                Err(e) => error(&e),
            }
        }
        "get_transaction" => answer(client.transaction(&key, pid, s(input, "path")).await),
        "charge" => {
            let invoice = input.get("invoice_id").and_then(Value::as_str);
            answer(client.charge(&key, pid, amount, invoice, reference).await)
        }
        "shipment" => answer(client.ship(&key, pid, s(input, "invoice_id")).await),
        "cancel" => answer(client.reverse(&key, pid, amount, reference).await),
        "refund" => {
            let charge = input.get("charge_id").and_then(Value::as_str);
            answer(client.refund(&key, pid, charge, amount, s(input, "reason"), reference).await)
        }
        "reauthorize" => answer(client.reauthorize(&key, pid, amount, s(input, "currency")).await),
        "register_webhooks" => match client.register_webhooks(&key, s(input, "url")).await {
            Ok(added) => json!({"status": "registered", "added": added}),
            Err(e) => error(&e),
        },
        "list_webhooks" => match client.webhooks(&key).await {
            Ok(hooks) => json!({
                "status": "listed",
                "events": hooks.iter().map(|w| json!({"url": w.url, "event": w.event})).collect::<Vec<_>>(),
            }),
            Err(e) => error(&e),
        },
        "keypair" => match client.keypair(&key).await {
            Ok(k) => json!({
                "status": "found",
                "public_key": k.public_key,
                "payment_types": k.payment_types,
                "date": k.date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
            Err(e) => error(&e),
        },
        other => json!({"error": "unsupported", "operation": other}),
    }
}

fn cases() -> Vec<LoadedCase> {
    load_partner("unzer").expect("unzer cases load")
}

/// Failure lines of the adapter over the cases `filter` picks (the inbound webhook aside).
async fn check(filter: impl Fn(&LoadedCase) -> bool) -> Vec<String> {
    let all = cases();
    let chosen: Vec<LoadedCase> =
        all.iter().filter(|c| c.operation != "webhook_event").filter(|c| filter(c)).cloned().collect();
    assert!(!chosen.is_empty(), "no case chosen");
    check_adapter(all, &chosen, drive).await
}

fn is_failure_case(c: &LoadedCase) -> bool {
    c.case.expect.get("error").is_some()
}

fn mutation(line: &str) -> bool {
    line.contains(": answer with ")
}

#[tokio::test]
async fn ct_02_unzer_adapter_sends_and_reads_every_call_as_the_cases_show() {
    let failures: Vec<String> = check(|c| !is_failure_case(c)).await.into_iter().filter(|l| !mutation(l)).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_04_unzer_failure_answers_are_classified_as_the_cases_say() {
    let failures: Vec<String> = check(is_failure_case).await.into_iter().filter(|l| !mutation(l)).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_05_unzer_a_needed_answer_field_missing_or_mistyped_is_a_counted_contract_error() {
    let failures: Vec<String> = check(|c| !c.case.reads.is_empty()).await.into_iter().filter(|l| mutation(l)).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_02_unzer_webhook_bodies_are_accepted_and_read_as_the_cases_show() {
    use crate::helpers::{Tenant, TestApp};
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, proto::payops::pixi_sync::v1::Mode::Expert, &["UNZERCC"]).await;
    let merchants = app.admin.unzer_merchants().await.unwrap();
    let url = merchants.iter().find(|m| m.private_key == t.private_key).unwrap().webhooks[0].url.clone();
    let http = reqwest::Client::new();
    let cases: Vec<LoadedCase> = cases().into_iter().filter(|c| c.operation == "webhook_event").collect();
    assert!(!cases.is_empty());
    for c in cases {
        let sandbox::contracts::Body::Json(body) = &c.case.request.body else { panic!("{}: a JSON body", c.id()) };
        let parsed: pixi_sync::unzer::wire::WebhookBody = serde_json::from_value(body.clone()).unwrap();
        let seen = json!({"status": "accepted", "payment_id": parsed.payment_id});
        assert!(sandbox::contracts::contains(&c.case.expect, &seen), "{}: read as {seen}", c.id());
        let r = http.post(&url).header("content-type", "text/plain").body(body.to_string()).send().await.unwrap();
        assert_eq!(r.status().as_u16(), c.case.response.status, "{}", c.id());
    }
}
