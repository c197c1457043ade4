//! The Freshdesk adapter against the Freshdesk contract cases (CT-02, CT-04, CT-05): the real
//! client is pointed at a replay server that knows nothing but the cases
//! (`crates/sandbox/contracts/freshdesk/`); each operation must send the case's request and
//! make the case's outcome of its answer, and every answer with a needed field removed,
//! emptied or mistyped must come out as a counted contract error.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::contract::{label, violations};
use sandbox::contracts::{LoadedCase, check_adapter, load_partner};
use serde_json::{Value, json};
use ticketing_bridge::config::{FreshdeskConfig, Rates};
use ticketing_bridge::domain::draft::TicketDraft;
use ticketing_bridge::freshdesk::{Freshdesk, FreshdeskError, Limiter, wire};

/// The real client on `url`, with a budget of its own.
fn client(url: &str) -> Freshdesk {
    let cfg = FreshdeskConfig {
        base_url: url.to_owned(),
        api_key: "fd-contract-key".to_owned().into(),
        ticket_url: format!("{url}/a/tickets/{{id}}"),
        timeout: Duration::from_secs(5),
        ref_field: "cf_payops_ref".into(),
        order_field: Some("cf_order_id".into()),
    };
    let rates = Rates { per_minute: 600_000, create_per_minute: 600_000, burst: 100_000 };
    Freshdesk::new(&cfg, Arc::new(Limiter::local(ManualClock::at_default().shared(), rates))).unwrap()
}

/// The outcome of a failed call, as the cases name the classes.
fn failure(op: &str, e: FreshdeskError, before: &BTreeMap<String, u64>) -> Value {
    match e {
        FreshdeskError::Invalid(errors) => {
            json!({"error": "refused", "fields": errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>()})
        }
        FreshdeskError::Refused(status) => json!({"error": "refused", "status": status}),
        FreshdeskError::Auth { .. } => json!({"error": "unauthorized"}),
        FreshdeskError::NotFound => json!({"error": "not_found"}),
        FreshdeskError::RateLimited { retry_after } => {
            json!({"error": "transient", "retry_after_secs": retry_after.as_secs()})
        }
        FreshdeskError::Transport { sent: false, .. } => json!({"error": "transient"}),
        FreshdeskError::Contract { field, .. } => {
            let counted = violations("freshdesk", op, &field) > before.get(&label(&field)).copied().unwrap_or(0);
            json!({"error": "contract", "field": field, "counted": counted})
        }
        e if e.maybe_acted() => json!({"error": "unknown", "detail": e.to_string()}),
        e => json!({"error": "unexpected", "detail": e.to_string()}),
    }
}

fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap_or_default()
}

async fn drive(url: String, case: LoadedCase) -> Value {
    let op = case.operation.as_str();
    let before: BTreeMap<String, u64> = case
        .case
        .reads
        .iter()
        .map(|r| {
            let field = r.split('!').next().unwrap_or(r);
            (label(field), violations("freshdesk", op, field))
        })
        .collect();
    let fd = client(&url);
    let i = &case.case.input;
    let result: Result<Value, FreshdeskError> = match op {
        "create_ticket" => {
            let draft: TicketDraft = serde_json::from_value(i["draft"].clone()).unwrap();
            let order_field = i["order_field"].as_str();
            let body = wire::NewTicket::from_draft(
                &draft,
                text(i, "ref_field"),
                text(i, "reference"),
                order_field,
                text(i, "order_id"),
            );
            fd.create_ticket(&body).await.map(|t| {
                json!({"status": "created", "ticket_id": t.id, "ticket_status": t.status,
                    "created_at": t.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})
            })
        }
        "view_ticket" => fd
            .view_ticket(i["ticket_id"].as_u64().unwrap())
            .await
            .map(|status| json!({"status": "found", "ticket_status": status})),
        "add_note" => {
            let body = wire::NewNote { body: text(i, "body").into(), private: i["private"].as_bool().unwrap() };
            fd.add_note(i["ticket_id"].as_u64().unwrap(), &body)
                .await
                .map(|id| json!({"status": "added", "note_id": id}))
        }
        "search" => fd.find_by_reference(text(i, "field"), text(i, "reference")).await.map(|found| {
            if found.is_empty() {
                json!({"status": "none"})
            } else {
                json!({"status": "found", "ticket_ids": found.iter().map(|t| t.id).collect::<Vec<_>>()})
            }
        }),
        "list_conversations" => {
            fd.find_note(i["ticket_id"].as_u64().unwrap(), text(i, "marker")).await.map(|n| match n {
                Some(id) => json!({"status": "found", "note_id": id}),
                None => json!({"status": "none"}),
            })
        }
        "ticket_fields" => fd.ticket_fields().await.map(|f| {
            let groups: serde_json::Map<String, Value> =
                f.groups.iter().map(|(n, id)| (n.clone(), json!(id))).collect();
            json!({"status": "listed", "ref_field": f.custom(text(i, "ref_field")).is_some(),
                "order_field": f.custom(text(i, "order_field")).is_some(), "types": f.ticket_types,
                "groups": groups, "rate_total": f.rate_total})
        }),
        other => return json!({"error": format!("the adapter has no operation {other}")}),
    };
    result.unwrap_or_else(|e| failure(op, e, &before))
}

/// Runs `pick`ed cases through the adapter; returns the failure lines about mutations
/// (`answer with …`, CT-05) and the others apart.
async fn run(pick: impl Fn(&LoadedCase) -> bool) -> (Vec<String>, Vec<String>) {
    let all = load_partner("freshdesk").unwrap();
    let cases: Vec<LoadedCase> = all.iter().filter(|c| pick(c)).cloned().collect();
    assert!(!cases.is_empty());
    let failures = check_adapter(all, &cases, drive).await;
    failures.into_iter().partition(|f| f.contains(": answer with "))
}

#[tokio::test]
async fn ct_02_freshdesk_adapter_sends_each_case_request_and_reads_its_answer() {
    let (_, failures) = run(|c| (200..300).contains(&c.case.response.status)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_04_freshdesk_failure_answers_are_classified_refused_unauthorized_not_found_transient_or_unknown() {
    let (_, failures) = run(|c| !(200..300).contains(&c.case.response.status)).await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn ct_05_freshdesk_needed_answer_fields_missing_empty_or_mistyped_are_counted_contract_errors() {
    let (mutations, _) = run(|c| !c.case.reads.is_empty()).await;
    assert!(mutations.is_empty(), "{}", mutations.join("\n"));
}
