//! The Nets adapter against the Nets contract cases (CT-02, CT-04, CT-05): a replay server that
//! knows only the cases serves each answer to the real `NetsClient`; the request must match the
//! case, the outcome must be the case's, and every answer with a needed field removed, emptied
//! or mistyped must come out as a counted contract error. The decision table (approved /
//! declined / cancelled / refused / unknown) is the cases', not the simulator's.

use kit::clock::SystemClock;
use sandbox::contracts::{LoadedCase, check_adapter, load_partner};
use serde_json::{Value, json};
use terminal_gateway::domain::TenantId;
use terminal_gateway::domain::payment::{Refusal, TerminalOutcome, VoidState};
use terminal_gateway::nets::{NetsClient, NetsError, NetsLogin, NetsTimeouts, Transaction};

fn outcome(o: &TerminalOutcome) -> Value {
    let refused = |what: &str| json!({"error": "refused", "outcome": what});
    match o {
        TerminalOutcome::Approved(c) => json!({"outcome": "approved", "card": {
            "brand": c.brand, "masked_pan": c.masked_pan, "acquirer_reference": c.acquirer_reference,
            "verification": c.verification}}),
        TerminalOutcome::Declined(_) => refused("declined"),
        TerminalOutcome::Cancelled(_) => refused("cancelled"),
        TerminalOutcome::Refused(Refusal::Busy, _) => refused("busy"),
        TerminalOutcome::Refused(Refusal::NotConnected, _) => refused("not_connected"),
        TerminalOutcome::Refused(Refusal::UnknownTerminal, _) => refused("unknown_terminal"),
        TerminalOutcome::Refused(Refusal::Rejected, _) => refused("rejected"),
        TerminalOutcome::Unknown(_) => json!({"error": "unknown"}),
    }
}

/// The error classes of CT-04; a contract error names its field (whether it was counted is
/// filled in by the driver).
fn error(e: NetsError) -> Value {
    match e {
        NetsError::LoginRefused(_) => json!({"error": "unauthorized"}),
        NetsError::NotFound(_) => json!({"error": "not_found"}),
        NetsError::Refused { .. } => json!({"error": "refused"}),
        NetsError::Unavailable(_) | NetsError::Unreachable(_) => json!({"error": "transient"}),
        NetsError::Unknown(_) => json!({"error": "unknown"}),
        NetsError::Contract(c) => json!({"error": "contract", "field": c.field, "counted": false}),
    }
}

async fn drive(url: String, c: LoadedCase) -> Value {
    let nets = NetsClient::new(&url, NetsTimeouts::default(), SystemClock::shared()).expect("client");
    let i = &c.case.input;
    let s = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let login = NetsLogin {
        tenant: TenantId::parse("contract").expect("tenant"),
        username: i.get("username").and_then(Value::as_str).unwrap_or("dyreloppen").to_owned(),
        password: secrecy::SecretString::from(
            i.get("password").and_then(Value::as_str).unwrap_or("pw-of-the-api-user").to_owned(),
        ),
    };
    let amount = i.get("amount_minor").and_then(Value::as_i64).unwrap_or(0);
    // Violations counted so far for every field of this operation's answer (CT-05).
    let op = c.operation.clone();
    let field_count = |f: &str| kit::contract::violations("nets", &op, f);
    let before = c.case.reads.iter().map(|r| field_count(r.split('!').next().unwrap_or(r))).sum::<u64>();
    let counted = |v: Value| -> Value {
        if v["error"] == "contract" {
            let after = c.case.reads.iter().map(|r| field_count(r.split('!').next().unwrap_or(r))).sum::<u64>();
            let mut v = v;
            v["counted"] = json!(after > before);
            return v;
        }
        v
    };
    let out = match c.operation.as_str() {
        "login" => match nets.session(&login, true).await {
            Ok(s) => json!({"status": "ok", "username": s.username, "terminals": s.terminals.to_vec()}),
            Err(e) => error(e),
        },
        "terminals" => match nets.terminal_ids(&login).await {
            Ok(t) => json!({"terminals": t}),
            Err(e) => error(e),
        },
        "terminal_state" => match nets.terminal_state(&login, &s("terminal")).await {
            Ok(t) => json!({"state": t}),
            Err(e) => error(e),
        },
        "purchase" | "refund" => {
            let kind = if c.operation == "refund" { Transaction::ReturnOfGoods } else { Transaction::Purchase };
            match nets.transaction(&login, &s("terminal"), kind, amount, &s("order_ref")).await {
                Ok(o) => outcome(&o),
                Err(NetsError::Unavailable(_)) => json!({"error": "unknown"}),
                Err(e) => error(e),
            }
        }
        "lookup" => match nets.last_result(&login, &s("terminal")).await {
            Ok((f, o)) => {
                let mut v = outcome(&o);
                if let Some(m) = v.as_object_mut() {
                    m.remove("error");
                    m.remove("card");
                }
                v["order_ref"] = json!(f.order_ref);
                v["amount_minor"] = json!(f.amount_minor);
                v["local_time"] = json!(f.local_time.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()));
                v["acquirer_reference"] = json!(f.acquirer_reference);
                v
            }
            Err(e) => error(e),
        },
        "cancel" => match nets.cancel(&login, &s("terminal")).await {
            Ok(()) => json!({"status": "sent"}),
            Err(e) => error(e),
        },
        "void" => match nets.void(&login, &s("terminal"), amount).await {
            Ok(VoidState::Voided) => json!({"status": "voided"}),
            Ok(VoidState::Refused) => json!({"error": "refused"}),
            Ok(_) => json!({"error": "unknown"}),
            Err(e) => error(e),
        },
        other => json!({"error": format!("no driver for operation {other}")}),
    };
    counted(out)
}

#[tokio::test]
async fn ct_02_nets_adapter_sends_every_call_as_the_cases_show_and_reads_their_answers() {
    let all = load_partner("nets").expect("nets cases");
    let ok: Vec<LoadedCase> = all.iter().filter(|c| c.case.expect.get("error").is_none()).cloned().collect();
    let failures = check_adapter(all.clone(), &ok, drive).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_04_nets_adapter_classifies_every_failure_answer_like_its_case() {
    let all = load_partner("nets").expect("nets cases");
    let failing: Vec<LoadedCase> = all.iter().filter(|c| c.case.expect.get("error").is_some()).cloned().collect();
    assert!(
        failing.len() >= 20,
        "busy, not connected, cancel key, declines, rejections, 401, unknown: {}",
        failing.len()
    );
    let failures = check_adapter(all.clone(), &failing, drive).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn ct_05_nets_adapter_turns_a_missing_or_mistyped_field_into_a_counted_contract_error() {
    // check_adapter runs every answer mutation of every case that reads fields; this test
    // asserts the cases really read something, so CT-05 is not vacuous for Nets.
    let all = load_partner("nets").expect("nets cases");
    let reads: usize = all.iter().map(|c| c.case.reads.len()).sum();
    assert!(reads >= 60, "fields read fail-closed: {reads}");
    let with_reads: Vec<LoadedCase> = all.iter().filter(|c| !c.case.reads.is_empty()).cloned().collect();
    let failures = check_adapter(all.clone(), &with_reads, drive).await;
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn ct_02_nets_the_order_id_the_gateway_sends_has_the_form_integrators_send() {
    // NaviPartner sends its entry number as a decimal string; whether Nets takes 32 hex digits
    // is not public. The gateway sends a number from a sequence: the case's matcher holds it.
    let case = load_partner("nets").unwrap().into_iter().find(|c| c.local_id() == "purchase/approved").unwrap();
    let body = |order: &str| json!({"transactionType": "purchase", "amount": 13500, "orderId": order}).to_string();
    let ok = sandbox::contracts::matcher::Incoming {
        method: "POST".into(),
        path: "/v1/terminal/41849916/transaction".into(),
        headers: [("authorization".into(), "Bearer t".into()), ("content-type".into(), "application/json".into())]
            .into(),
        body: body("1042"),
    };
    assert!(sandbox::contracts::matcher::differences(&case, &ok).is_empty());
    let hex = sandbox::contracts::matcher::Incoming { body: body("0195f3a2c4d07b6e8f9a1b2c3d4e5f60"), ..ok };
    assert!(!sandbox::contracts::matcher::differences(&case, &hex).is_empty(), "32 hex digits are not the form shown");
}
