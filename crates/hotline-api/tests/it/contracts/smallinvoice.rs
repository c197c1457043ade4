//! The smallinvoice adapter against the smallinvoice cases (CT-02, CT-04, CT-05): the real
//! client pointed at a replay server that knows nothing but
//! `crates/sandbox/contracts/smallinvoice/`.

use std::collections::BTreeMap;
use std::time::Duration;

use hotline_api::config::SmallinvoiceConfig;
use hotline_api::smallinvoice::{SiError, SmallinvoiceClient};
use kit::clock::ManualClock;
use kit::contract::{label, violations};
use kit::outbound::OutboundConfig;
use sandbox::contracts::LoadedCase;
use serde_json::{Value, json};

use super::run;

const SYSTEM: &str = "smallinvoice";

fn client(url: &str) -> SmallinvoiceClient {
    let cfg = SmallinvoiceConfig {
        base_url: format!("{url}/v2"),
        client_id: "payops-contract".into(),
        client_secret: "payops-contract-secret".to_owned().into(),
        timeout: Duration::from_secs(5),
    };
    // No retries: the replay server serves each case once.
    let out = OutboundConfig { read_retries: 0, ..OutboundConfig::with_timeout(cfg.timeout) };
    SmallinvoiceClient::with_outbound(&cfg, ManualClock::at_default().shared(), &out).unwrap()
}

fn failure(op: &str, e: SiError, before: &BTreeMap<String, u64>) -> Value {
    match e {
        SiError::Unavailable(d) => json!({"error": "transient", "detail": d}),
        SiError::ServerError { status, code, .. } => json!({"error": "transient", "status": status, "code": code}),
        SiError::RateLimited(r) => json!({"error": "transient", "rate_limited": true, "code": r.code,
            "reset_secs": r.reset.map(|d| d.as_secs())}),
        SiError::Refused { status, code, .. } => json!({"error": "refused", "status": status, "code": code}),
        SiError::Unauthorized(_) => json!({"error": "unauthorized"}),
        SiError::NotFound => json!({"error": "not_found"}),
        SiError::Contract(e) => {
            let counted = violations(SYSTEM, op, &e.field) > before.get(&label(&e.field)).copied().unwrap_or(0);
            json!({"error": "contract", "field": e.field, "counted": counted})
        }
    }
}

pub async fn drive(url: String, case: LoadedCase) -> Value {
    let op = case.operation.clone();
    let before = super::counts_before(SYSTEM, &case);
    let si = client(&url);
    let i = &case.case.input;
    let result: Result<Value, SiError> = match op.as_str() {
        "access_token" => si.authenticate().await.map(|d| json!({"status": "token", "expires_in": d.as_secs()})),
        "list_contacts" => {
            let limit = u32::try_from(i["limit"].as_u64().unwrap()).unwrap();
            si.search_contacts(i["q"].as_str().unwrap(), limit).await.map(|cs| {
                let cs: Vec<Value> = cs
                    .iter()
                    .map(|c| json!({"id": c.id, "number": c.number, "name": c.name, "address": c.address}))
                    .collect();
                json!({"status": "listed", "contacts": cs})
            })
        }
        "get_contact" => si
            .contact(i["id"].as_i64().unwrap())
            .await
            .map(|c| json!({"status": "found", "id": c.id, "number": c.number, "name": c.name, "email": c.email})),
        "list_invoices" => si.invoices(i["contact_id"].as_i64().unwrap()).await.map(|is| {
            let is: Vec<Value> = is
                .iter()
                .map(|x| {
                    json!({"id": x.id, "number": x.number, "date": x.date, "total_minor": x.total.minor(),
                        "paid_minor": x.paid.minor(), "status": x.status})
                })
                .collect();
            json!({"status": "listed", "invoices": is})
        }),
        other => return json!({"error": format!("the adapter has no operation {other}")}),
    };
    result.unwrap_or_else(|e| failure(&op, e, &before))
}

#[tokio::test]
async fn ct_02_smallinvoice_adapter_sends_each_case_request_and_reads_its_answer() {
    let (_, failures) = run(SYSTEM, |c| (200..300).contains(&c.case.response.status), drive).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_04_smallinvoice_failures_are_refused_unauthorized_not_found_or_transient_by_status_and_code() {
    let (_, failures) = run(SYSTEM, |c| !(200..300).contains(&c.case.response.status), drive).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_05_smallinvoice_needed_answer_fields_missing_empty_or_mistyped_are_counted_contract_errors() {
    let (mutations, _) = run(SYSTEM, |c| !c.case.reads.is_empty(), drive).await;
    assert!(mutations.is_empty(), "{}", mutations.join("\n"));
}
