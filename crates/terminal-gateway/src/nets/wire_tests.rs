//! Status-mapping tables for Connect@Cloud answers, including the "unknown means find out" rows.

use serde_json::json;

use super::*;

fn lm(result: i64, rc: &str, src: i64, reason: i64) -> Value {
    json!({"Result": result, "ResponseCode": rc, "RejectionSource": src, "RejectionReason": reason,
           "TruncatedPAN": "************4242", "StanAuth": "000007123456", "TotalAmount": 1250,
           "TimeStamp": "2026-01-05T10:00:30Z", "CVM": 0, "CardIssuerName": "VISA"})
}

fn failure(text: &str, args: Option<Value>) -> Vec<u8> {
    let mut f = json!({"failure": {"error": text}});
    if let Some(a) = args {
        f["failure"]["localModeEventArgs"] = a;
    }
    f.to_string().into_bytes()
}

#[test]
fn tg_10_purchase_answers_map_to_outcomes() {
    let approved = json!({"result": [{"cardType": "VISA", "localModeEventArgs": lm(0, "00", 0, 0)}]}).to_string();
    let approved_99 = json!({"result": [{"localModeEventArgs": lm(99, "", 0, 0)}]}).to_string();
    let cases: Vec<(u16, Vec<u8>, &str)> = vec![
        (201, approved.into_bytes(), "approved"),
        (201, approved_99.into_bytes(), "unknown"),
        (201, b"{}".to_vec(), "unknown"),
        (400, failure("Declined", Some(lm(2, "05", 4, 5))), "declined"),
        (400, failure("Cancelled by customer", Some(lm(2, "", 1, 1))), "customer"),
        (400, failure("Cancelled by operator", Some(lm(2, "", 2, 1))), "operator"),
        (400, failure("Timeout", Some(lm(2, "", 1, 3))), "terminal_timeout"),
        (400, failure("Transaction aborted", Some(lm(2, "", 2, 2))), "aborted"),
        (400, failure("Transaction result unknown", Some(lm(99, "", 0, 0))), "unknown"),
        (400, failure("Terminal busy", None), "busy"),
        (409, failure("Terminal busy", None), "busy"),
        (400, failure("Terminal not connected", None), "offline"),
        (404, failure("Terminal not found", None), "not_found"),
        (400, failure("Invalid request: amount", None), "rejected"),
        (400, br#"{"failure":"Declined"}"#.to_vec(), "declined"),
        (400, failure("Something new", Some(lm(2, "", 1, 1))), "customer"),
        (400, failure("Something new", None), "unknown"),
        (500, b"oops".to_vec(), "unknown"),
        (502, Vec::new(), "unknown"),
    ];
    for (status, body, want) in cases {
        let got = purchase_outcome(status, &body);
        let name = match &got {
            TerminalOutcome::Approved(_) => "approved",
            TerminalOutcome::Declined(_) => "declined",
            TerminalOutcome::CancelledByCustomer => "customer",
            TerminalOutcome::CancelledByOperator => "operator",
            TerminalOutcome::TerminalTimeout => "terminal_timeout",
            TerminalOutcome::Aborted => "aborted",
            TerminalOutcome::Refused(Refusal::Busy, _) => "busy",
            TerminalOutcome::Refused(Refusal::NotConnected, _) => "offline",
            TerminalOutcome::Refused(Refusal::UnknownTerminal, _) => "not_found",
            TerminalOutcome::Refused(Refusal::Rejected, _) => "rejected",
            TerminalOutcome::Unknown(_) => "unknown",
        };
        assert_eq!(name, want, "{status} {}", String::from_utf8_lossy(&body));
    }
}

#[test]
fn tg_33_approved_card_data_is_masked_and_carries_the_acquirer_reference() {
    let body = json!({"result": [{"cardType": "MasterCard", "localModeEventArgs": lm(0, "00", 0, 0)}]}).to_string();
    let TerminalOutcome::Approved(card) = purchase_outcome(201, body.as_bytes()) else { panic!("not approved") };
    assert_eq!(card.brand, "MasterCard");
    assert_eq!(card.masked_pan, "************4242");
    assert_eq!(card.acquirer_reference, "000007123456");
    assert_eq!(card.verification, "pin");
    assert_eq!(mask("4111111111111111"), "************1111", "a full number never passes");
    assert_eq!(mask(""), "");
}

#[test]
fn tg_13_last_result_reads_facts_and_outcome() {
    let body =
        json!({"result": {"latestTransactionResult": lm(0, "00", 0, 0), "printText": {"Text": "x"}}, "orderId": "p1"});
    let (facts, outcome) = last_result(body.to_string().as_bytes()).unwrap();
    assert_eq!(facts.order_ref.as_deref(), Some("p1"));
    assert_eq!(facts.amount_minor, 1250);
    assert_eq!(facts.at, timestamp("2026-01-05T10:00:30Z"));
    assert!(matches!(outcome, TerminalOutcome::Approved(_)));
    let body = json!({"result": {"latestTransactionResult": lm(2, "", 1, 1)}});
    let (facts, outcome) = last_result(body.to_string().as_bytes()).unwrap();
    assert_eq!((facts.order_ref, outcome), (None, TerminalOutcome::CancelledByCustomer));
    let body = json!({"result": {"latestTransactionResult": lm(2, "05", 4, 5)}});
    assert!(matches!(last_result(body.to_string().as_bytes()).unwrap().1, TerminalOutcome::Declined(_)));
    let body = json!({"result": {"latestTransactionResult": lm(99, "", 0, 0)}});
    assert!(matches!(last_result(body.to_string().as_bytes()).unwrap().1, TerminalOutcome::Unknown(_)));
    assert!(last_result(b"{}").is_none());
    assert_eq!(timestamp("20260105100030"), timestamp("2026-01-05T10:00:30Z"));
}

#[test]
fn terminal_bodies_parse() {
    assert_eq!(terminal_state(br#"{"terminal":{"terminalState":"Idle"}}"#).as_deref(), Some("idle"));
    assert_eq!(terminal_ids(br#"{"terminals":[{"terminalId":"T-1"},{"terminalId":"T-2"}]}"#).unwrap(), ["T-1", "T-2"]);
    assert_eq!(error_text(br#"{"error":"Token expired"}"#), "Token expired");
    assert_eq!(error_text(br#"{"failure":"plain"}"#), "plain");
}
