//! Connect@Cloud wire shapes and the mapping of its answers to [`TerminalOutcome`]
//! (external-apis.md §2.3, §2.4). Fields are read leniently (numbers or numeric strings, ISO or
//! `YYYYMMDDhhmmss` timestamps); anything that cannot be read with certainty maps to
//! [`TerminalOutcome::Unknown`] — find out by lookup — never to an approval or a decline.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::correlate::LastResult;
use crate::domain::payment::{Card, Refusal, TerminalOutcome};

/// `Result`: financial transaction OK.
const RESULT_APPROVED: i64 = 0;
/// `Result`: rejected.
const RESULT_REJECTED: i64 = 2;
/// `Result`: outcome unknown, resolve by lookup.
const RESULT_UNKNOWN: i64 = 99;

/// `POST /v1/login` body.
#[derive(Serialize)]
pub(crate) struct LoginBody<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
}

/// `POST /v1/terminal/{id}/transaction` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PurchaseBody<'a> {
    pub(crate) transaction_type: &'static str,
    pub(crate) amount: i64,
    pub(crate) order_id: &'a str,
}

/// The terminal state of `GET /v1/terminal/{id}`: `{"terminal":{"terminalState":…}}`.
pub(crate) fn terminal_state(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let t = v.get("terminal").unwrap_or(&v);
    t.get("terminalState").and_then(Value::as_str).map(str::to_ascii_lowercase)
}

/// Terminal ids of `GET /v1/terminal`: `{"terminals":[{"terminalId":…}]}` or a bare array.
pub(crate) fn terminal_ids(body: &[u8]) -> Option<Vec<String>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let list = v.get("terminals").unwrap_or(&v).as_array()?;
    Some(list.iter().filter_map(|t| t.get("terminalId").and_then(Value::as_str).map(str::to_owned)).collect())
}

/// The `error` text of an error body: `{"error"}`, `{"failure":{"error"}}` or `{"failure":"…"}`.
pub(crate) fn error_text(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(200).collect();
    };
    match v.get("failure") {
        Some(Value::String(s)) => s.clone(),
        Some(f) => f.get("error").and_then(Value::as_str).unwrap_or_default().to_owned(),
        None => v.get("error").and_then(Value::as_str).unwrap_or_default().to_owned(),
    }
}

/// Maps the purchase answer (HTTP status and body) to an outcome.
pub(crate) fn purchase_outcome(status: u16, body: &[u8]) -> TerminalOutcome {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match status {
        201 | 200 => {
            let args = parsed.as_ref().and_then(|v| v.get("result")).and_then(|r| match r {
                Value::Array(a) => a.first(),
                other => Some(other),
            });
            let card_type = args.and_then(|a| a.get("cardType")).and_then(Value::as_str).unwrap_or_default();
            match args.and_then(|a| a.get("localModeEventArgs")) {
                Some(lm) if int(lm, "Result") == Some(RESULT_APPROVED) => {
                    TerminalOutcome::Approved(card(lm, card_type))
                }
                Some(lm) => {
                    TerminalOutcome::Unknown(format!("purchase answered {status} with Result {:?}", int(lm, "Result")))
                }
                None => TerminalOutcome::Unknown(format!("purchase answered {status} without a readable result")),
            }
        }
        404 => TerminalOutcome::Refused(Refusal::UnknownTerminal, error_text(body)),
        400..=499 => {
            let text = error_text(body);
            let args = parsed.as_ref().and_then(|v| v.get("failure")).and_then(|f| f.get("localModeEventArgs"));
            if args.and_then(|a| int(a, "Result")) == Some(RESULT_UNKNOWN) {
                return TerminalOutcome::Unknown(format!("terminal reported Result 99: {text}"));
            }
            match by_text(&text) {
                Some(o) => o,
                None => match args {
                    Some(a) if int(a, "Result") == Some(RESULT_REJECTED) => by_codes(a),
                    _ => TerminalOutcome::Unknown(format!("purchase answered {status}: {text}")),
                },
            }
        }
        _ => TerminalOutcome::Unknown(format!("purchase answered {status}: {}", error_text(body))),
    }
}

/// Reads `GET /v1/terminal/{id}/transaction`: the facts for matching and the outcome.
pub(crate) fn last_result(body: &[u8]) -> Option<(LastResult, TerminalOutcome)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let lm = v.get("result")?.get("latestTransactionResult")?;
    let order_ref = match v.get("orderId") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let facts = LastResult {
        order_ref,
        amount_minor: int(lm, "TotalAmount").unwrap_or(-1),
        at: lm.get("TimeStamp").and_then(Value::as_str).and_then(timestamp),
        acquirer_reference: text(lm, "StanAuth"),
    };
    let outcome = match int(lm, "Result") {
        Some(RESULT_APPROVED) => TerminalOutcome::Approved(card(lm, "")),
        Some(RESULT_REJECTED) => by_codes(lm),
        other => TerminalOutcome::Unknown(format!("last result has Result {other:?}")),
    };
    Some((facts, outcome))
}

/// Known `failure.error` texts.
fn by_text(text: &str) -> Option<TerminalOutcome> {
    let t = text.to_ascii_lowercase();
    let o = if t.contains("busy") {
        TerminalOutcome::Refused(Refusal::Busy, text.to_owned())
    } else if t.contains("not connected") || t.contains("offline") {
        TerminalOutcome::Refused(Refusal::NotConnected, text.to_owned())
    } else if t.contains("terminal not found") {
        TerminalOutcome::Refused(Refusal::UnknownTerminal, text.to_owned())
    } else if t.starts_with("invalid request") || t.starts_with("unsupported") {
        TerminalOutcome::Refused(Refusal::Rejected, text.to_owned())
    } else if t.contains("cancelled by customer") || t.contains("canceled by customer") {
        TerminalOutcome::CancelledByCustomer
    } else if t.contains("cancelled by operator") || t.contains("canceled by operator") {
        TerminalOutcome::CancelledByOperator
    } else if t.contains("timeout") || t.contains("timed out") {
        TerminalOutcome::TerminalTimeout
    } else if t.contains("aborted") {
        TerminalOutcome::Aborted
    } else if t.contains("declined") {
        TerminalOutcome::Declined(text.to_owned())
    } else {
        return None;
    };
    Some(o)
}

/// A rejected result by its codes (the lookup carries no error text).
fn by_codes(lm: &Value) -> TerminalOutcome {
    let response_code = text(lm, "ResponseCode");
    match (int(lm, "RejectionSource"), int(lm, "RejectionReason")) {
        _ if !response_code.is_empty() && response_code != "00" => {
            TerminalOutcome::Declined(format!("declined (response code {response_code})"))
        }
        (Some(1), Some(1)) => TerminalOutcome::CancelledByCustomer,
        (Some(2), Some(1)) => TerminalOutcome::CancelledByOperator,
        (Some(1), Some(3)) => TerminalOutcome::TerminalTimeout,
        (Some(2), Some(2)) => TerminalOutcome::Aborted,
        (s, r) => TerminalOutcome::Refused(Refusal::Rejected, format!("rejected (source {s:?}, reason {r:?})")),
    }
}

fn card(lm: &Value, card_type: &str) -> Card {
    let brand = if card_type.is_empty() { text(lm, "CardIssuerName") } else { card_type.to_owned() };
    let verification = match int(lm, "CVM") {
        Some(0) => "pin",
        Some(1) => "signature",
        Some(2) => "none",
        Some(4) => "consumer_device",
        _ => "",
    };
    Card {
        brand,
        masked_pan: mask(&text(lm, "TruncatedPAN")),
        acquirer_reference: text(lm, "StanAuth"),
        verification: verification.to_owned(),
    }
}

/// Keeps only the last four digits of whatever the terminal sent, so a full number can never
/// pass through even if a terminal misbehaves.
pub(crate) fn mask(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return String::new();
    }
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("************{tail}")
}

fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `2026-01-05T10:00:00Z` or `20260105100000`.
pub(crate) fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok().map(|n| n.and_utc()))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
