//! The PGW adapter against the PGW cases (CT-02, CT-04, CT-05): the real client pointed at a
//! replay server that knows nothing but `crates/sandbox/contracts/pgw/` (every case unverified:
//! PGW publishes nothing, the cases are our own contract).

use std::time::Duration;

use chrono::{NaiveDate, SecondsFormat};
use hotline_api::config::PgwConfig;
use hotline_api::domain::payment::{CodeState, Payment, PaymentStatus};
use hotline_api::pgw::{GenerateError, PgwClient, PgwError, Search};
use kit::contract::{label, violations};
use kit::outbound::OutboundConfig;
use sandbox::contracts::LoadedCase;
use serde_json::{Value, json};

use super::run;

const SYSTEM: &str = "pgw";

fn client(url: &str) -> PgwClient {
    let cfg = PgwConfig {
        base_url: format!("{url}/api/v1"),
        environment: "prod".into(),
        api_key: "pgw-contract-key".to_owned().into(),
        timeout: Duration::from_secs(5),
        generation_grace: Duration::ZERO,
    };
    let out = OutboundConfig { read_retries: 0, ..OutboundConfig::with_timeout(cfg.timeout) };
    PgwClient::with_outbound(&cfg, &out).unwrap()
}

fn status(s: PaymentStatus) -> &'static str {
    match s {
        PaymentStatus::Completed => "completed",
        PaymentStatus::Failed => "failed",
        PaymentStatus::Cancelled => "cancelled",
        PaymentStatus::Unknown => "unknown",
    }
}

/// A payment of a list as the cases' `expect` writes it.
fn payment(p: &Payment) -> Value {
    let mut v = json!({"id": p.transaction_id, "status": status(p.status), "amount_minor": p.amount.minor(),
        "code": p.code.as_ref().map(|c| c.code.clone())});
    if p.status == PaymentStatus::Unknown {
        v["pgw_status"] = p.pgw_status.clone().into();
    }
    if let Some(c) = &p.code {
        v["code_state"] = (if c.state == CodeState::Valid { "valid" } else { "expired" }).into();
    }
    v
}

/// One payment in detail (`get_transaction`).
fn detail(p: &Payment) -> Value {
    let mut v = payment(p);
    v["status"] = "found".into();
    v["paid_at"] = p.paid_at.to_rfc3339_opts(SecondsFormat::Secs, true).into();
    if let Some(c) = &p.code {
        v["origin"] = c.origin.clone().into();
        v["code_issued_at"] = c.issued_at.to_rfc3339_opts(SecondsFormat::Secs, true).into();
    }
    v
}

/// A failed read as the cases name the classes.
fn failure(e: PgwError, counted: impl Fn(&str) -> bool) -> Value {
    match e {
        PgwError::Unavailable(d) => json!({"error": "transient", "detail": d}),
        PgwError::Refused { status: 401, code, .. } => json!({"error": "unauthorized", "code": code}),
        PgwError::Refused { status: 404, code, .. } => json!({"error": "not_found", "code": code}),
        PgwError::Refused { status, code, .. } => json!({"error": "refused", "status": status, "code": code}),
        PgwError::Contract(e) => json!({"error": "contract", "counted": counted(&e.field), "field": e.field}),
    }
}

pub async fn drive(url: String, case: LoadedCase) -> Value {
    let op = case.operation.clone();
    let before = super::counts_before(SYSTEM, &case);
    let pgw = client(&url);
    let i = &case.case.input;
    let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
    let counted = |field: &str| violations(SYSTEM, &op, field) > before.get(&label(field)).copied().unwrap_or(0);
    let read = |r: Result<Value, PgwError>| r.unwrap_or_else(|e| failure(e, counted));
    match op.as_str() {
        "search" => {
            let s = Search {
                mobile: i.get("mobile").map(|_| text("mobile")),
                twint_ref: i.get("twint_ref").map(|_| text("twint_ref")),
                device: Some(text("device")),
                date: Some(NaiveDate::parse_from_str(&text("date"), "%Y-%m-%d").unwrap()),
            };
            read(
                pgw.search(&s)
                    .await
                    .map(|ps| json!({"status": "listed", "payments": ps.iter().map(payment).collect::<Vec<_>>()})),
            )
        }
        "get_transaction" => read(pgw.transaction(i["id"].as_i64().unwrap()).await.map(|p| match p {
            Some(p) => detail(&p),
            None => json!({"error": "not_found"}),
        })),
        "day_transactions" => {
            let date = NaiveDate::parse_from_str(&text("date"), "%Y-%m-%d").unwrap();
            read(pgw.day(date).await.map(|d| {
                json!({"status": "listed", "total_minor": d.total.minor(), "payments": d.payments.iter().map(payment).collect::<Vec<_>>()})
            }))
        }
        "generate_code" => match pgw.generate(i["id"].as_i64().unwrap(), &text("key"), &text("requested_by")).await {
            Ok(g) => json!({"status": "generated", "code": g.code, "amount_minor": g.amount.minor(),
                "valid_until": g.valid_until.to_rfc3339_opts(SecondsFormat::Secs, true)}),
            Err(GenerateError::Refused(r)) => json!({"error": "refused", "code": r.split(':').nth(1)}),
            Err(GenerateError::Unknown(d)) => json!({"error": "unknown", "detail": d}),
            // For the journal an unknown outcome (a code exists but cannot be read).
            Err(GenerateError::Contract(e)) => {
                json!({"error": "contract", "counted": counted(&e.field), "field": e.field})
            }
        },
        other => json!({"error": format!("the adapter has no operation {other}")}),
    }
}

#[tokio::test]
async fn ct_02_pgw_adapter_sends_each_case_request_and_reads_its_answer() {
    let (_, failures) = run(SYSTEM, |c| (200..300).contains(&c.case.response.status), drive).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_04_pgw_failures_are_refused_unauthorized_not_found_transient_or_unknown() {
    let (_, failures) = run(SYSTEM, |c| !(200..300).contains(&c.case.response.status), drive).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_05_pgw_needed_answer_fields_missing_empty_or_mistyped_are_counted_contract_errors() {
    let (mutations, _) = run(SYSTEM, |c| !c.case.reads.is_empty(), drive).await;
    assert!(mutations.is_empty(), "{}", mutations.join("\n"));
}
