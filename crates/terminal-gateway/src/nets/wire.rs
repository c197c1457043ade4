//! Connect@Cloud answers, read fail-closed (CT-05) through `kit::contract`, and the decision
//! table that turns them into outcomes. Every field read and every row of the table comes from
//! a contract case (`crates/sandbox/contracts/nets/`), whose sources are the DANOSOFT/saldi
//! production wire log and NaviPartner's NETSCloud codeunits:
//!
//! | answer | outcome |
//! |---|---|
//! | 201, `Result` "0" | approved (card data, `StanAuth` as the acquirer reference) |
//! | 400, `Result` "2", `RejectionReason` "2:1" (cancel key) | cancelled (customer, or our `cancelAction`) |
//! | 400, `Result` "2", `RejectionReason` "1:2" (menu open) | refused: busy |
//! | 400, `Result` "2", `RejectionSource` "05" or a `ResponseCode` other than "" / "00" | declined |
//! | 400, `Result` "2", anything else ("3:3", "3:0", "4:1", …) | refused: rejected (nothing charged) |
//! | 400 `Terminal busy` (no `localModeEventArgs`) | refused: busy (the running one goes on) |
//! | 400 `Invalid terminal ID or terminal not connected` | refused: not connected |
//! | `Result` "99", any other 400 text, any other status, a lost answer | unknown: find out by lookup |
//!
//! Codes are strings in production (`"2:1"` is no number); a missing or mistyped field the
//! table needs is a contract error, never a default.

use chrono::NaiveDateTime;
use kit::contract::{ContractError, Json, Problem};
use serde::Serialize;
use serde_json::Value;

use super::NetsError;
use crate::domain::correlate::LastResult;
use crate::domain::payment::{Card, Refusal, TerminalOutcome, VoidState};

/// The partner label of metrics and contract errors.
pub(crate) const SYSTEM: &str = "nets";

/// The one text production gives for an unknown terminal id and an offline terminal alike.
pub const NOT_CONNECTED: &str = "Invalid terminal ID or terminal not connected";
/// The text of a purchase for a terminal that runs another transaction.
pub const BUSY: &str = "Terminal busy";

/// `POST /v1/login` body.
#[derive(Serialize)]
pub(crate) struct LoginBody<'a> {
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
}

/// `POST /v1/terminal/{id}/transaction` body: `transactionType` `purchase` or
/// `returnOfGoods`, the amount as positive integer minor units, our `orderId`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionBody<'a> {
    pub(crate) transaction_type: &'static str,
    pub(crate) amount: i64,
    pub(crate) order_id: &'a str,
}

/// What the login answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAnswer {
    /// The bearer token (a JWT).
    pub token: String,
    /// The API user the token is for.
    pub username: String,
    /// Ids of the terminals the account has.
    pub terminals: Vec<String>,
}

fn parse<'a>(op: &'static str, body: &'a [u8], holder: &'a mut Value) -> Result<Json<'a>, ContractError> {
    *holder = serde_json::from_slice(body)
        .map_err(|_| ContractError::new(SYSTEM, op, "body", Problem::WrongType("a JSON document")))?;
    Ok(Json::new(SYSTEM, op, holder))
}

/// A code that production sends as a string ("0", "2", "99"); an integer is read too.
fn code(j: &Json<'_>, field: &str) -> Result<String, ContractError> {
    match j.get(field) {
        Some(Value::Number(n)) if n.is_i64() => Ok(n.to_string()),
        _ => j.text(field).map(str::to_owned),
    }
}

/// The login answer: `token`, `username`, `terminals` (plain id strings).
pub(crate) fn login(body: &[u8]) -> Result<LoginAnswer, ContractError> {
    let mut v = Value::Null;
    let j = parse("login", body, &mut v)?;
    let token = j.text("token")?.to_owned();
    let username = j.text("username")?.to_owned();
    let terminals = match j.get("terminals") {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| j.error(&format!("terminals[{i}]"), Problem::WrongType("a string")))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(j.error("terminals", Problem::WrongType("an array"))),
        None => return Err(j.error("terminals", Problem::Missing)),
    };
    Ok(LoginAnswer { token, username, terminals })
}

/// `GET /v1/terminal`: `terminals[].terminalId`.
pub(crate) fn terminal_ids(body: &[u8]) -> Result<Vec<String>, ContractError> {
    let mut v = Value::Null;
    let j = parse("terminals", body, &mut v)?;
    j.array("terminals")?.iter().map(|t| t.text("terminalId").map(str::to_owned)).collect()
}

/// `GET /v1/terminal/{id}`: `terminal.terminalState`, lower-cased.
pub(crate) fn terminal_state(body: &[u8]) -> Result<String, ContractError> {
    let mut v = Value::Null;
    let j = parse("terminal_state", body, &mut v)?;
    Ok(j.obj("terminal")?.text("terminalState")?.to_ascii_lowercase())
}

/// The `error` text of an error body (`{"error"}` or `{"failure":{"error"}}`), for messages.
pub(crate) fn error_text(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(200).collect();
    };
    let e = v.get("failure").map_or(&v, |f| f);
    match e {
        Value::String(s) => s.clone(),
        other => other.get("error").and_then(Value::as_str).unwrap_or_default().to_owned(),
    }
}

/// A rejected (`Result` "2") transaction by its codes (the table in the module docs).
fn rejected(lm: &Json<'_>, text: &str) -> Result<TerminalOutcome, ContractError> {
    let source = lm.str("RejectionSource")?;
    let reason = lm.str("RejectionReason")?;
    let response = lm.opt_str("ResponseCode")?.unwrap_or_default();
    let text = text.to_owned();
    Ok(if reason == "2:1" {
        TerminalOutcome::Cancelled(text)
    } else if reason == "1:2" {
        TerminalOutcome::Refused(Refusal::Busy, text)
    } else if source == "05" || !(response.is_empty() || response == "00") {
        TerminalOutcome::Declined(text)
    } else {
        TerminalOutcome::Refused(Refusal::Rejected, text)
    })
}

/// The answer of a purchase or a return of goods (`op` names which).
pub(crate) fn transaction(op: &'static str, status: u16, body: &[u8]) -> Result<TerminalOutcome, ContractError> {
    match status {
        200 | 201 => {
            let mut v = Value::Null;
            let j = parse(op, body, &mut v)?;
            let element = match j.get("result") {
                Some(Value::Array(_)) => {
                    j.array("result")?.into_iter().next().ok_or_else(|| j.error("result", Problem::Empty))?
                }
                _ => j.obj("result")?,
            };
            let lm = element.obj("localModeEventArgs")?;
            match code(&lm, "Result")?.as_str() {
                "0" => Ok(TerminalOutcome::Approved(card(&lm, Some(element.str("cardType")?))?)),
                other => Ok(TerminalOutcome::Unknown(format!("{op} answered {status} with Result {other:?}"))),
            }
        }
        400 => {
            let mut v = Value::Null;
            let j = parse(op, body, &mut v)?;
            let failure = j.obj("failure")?;
            let text = failure.text("error")?.to_owned();
            if failure.get("localModeEventArgs").is_some() {
                let lm = failure.obj("localModeEventArgs")?;
                return match code(&lm, "Result")?.as_str() {
                    "2" => rejected(&lm, &text),
                    other => Ok(TerminalOutcome::Unknown(format!("Result {other:?}: {text}"))),
                };
            }
            Ok(if text == BUSY {
                TerminalOutcome::Refused(Refusal::Busy, text)
            } else if text == NOT_CONNECTED {
                TerminalOutcome::Refused(Refusal::NotConnected, text)
            } else {
                TerminalOutcome::Unknown(format!("{op} answered 400: {text}"))
            })
        }
        _ => Ok(TerminalOutcome::Unknown(format!("{op} answered {status}: {}", error_text(body)))),
    }
}

/// `GET /v1/terminal/{id}/transaction`: the facts for matching and the outcome.
pub(crate) fn last_result(status: u16, body: &[u8]) -> Result<(LastResult, TerminalOutcome), NetsError> {
    match status {
        200 => {}
        400 => return Err(NetsError::Unavailable(format!("lookup refused: {}", error_text(body)))),
        s => return Err(NetsError::Unknown(format!("lookup answered {s}: {}", error_text(body)))),
    }
    let mut v = Value::Null;
    let j = parse("lookup", body, &mut v)?;
    let result = j.obj("result")?;
    let lm = result.obj("latestTransactionResult")?;
    let result_code = code(&lm, "Result")?;
    let stamp = lm.str("TimeStamp")?;
    let facts = LastResult {
        order_ref: match result.get("orderId") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => result.opt_str("orderId")?.filter(|s| !s.is_empty()).map(str::to_owned),
        },
        amount_minor: lm.i64("TotalAmount")?,
        local_time: local_time(stamp).ok_or_else(|| lm.error("TimeStamp", Problem::Invalid("a local time".into())))?,
        acquirer_reference: lm.str("StanAuth")?.to_owned(),
    };
    // Both are read for every result: the table needs them for the rejected ones.
    lm.str("RejectionSource")?;
    lm.str("RejectionReason")?;
    let outcome = match result_code.as_str() {
        "0" => TerminalOutcome::Approved(card(&lm, None)?),
        "2" => rejected(&lm, &format!("rejected ({})", lm.str("RejectionReason")?))?,
        other => TerminalOutcome::Unknown(format!("last result has Result {other:?}")),
    };
    Ok((facts, outcome))
}

/// `YYYYMMDDhhmmss` or the ISO form (the same local clock with a false `Z`); `Some(None)` for
/// the empty time Nets sends for refusals before a card; `None` when unreadable.
fn local_time(s: &str) -> Option<Option<NaiveDateTime>> {
    if s.trim().is_empty() {
        return Some(None);
    }
    NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .map(Some)
}

/// The void's answer: 201 `Result` "0" voided; 400 refused; anything else unknown.
pub(crate) fn void(status: u16, body: &[u8]) -> Result<VoidState, ContractError> {
    let mut v = Value::Null;
    match status {
        200 | 201 => {
            let j = parse("void", body, &mut v)?;
            let element = j.array("result")?.into_iter().next().ok_or_else(|| j.error("result", Problem::Empty))?;
            let lm = element.obj("localModeEventArgs")?;
            Ok(if code(&lm, "Result")? == "0" { VoidState::Voided } else { VoidState::Unknown })
        }
        400 => {
            let j = parse("void", body, &mut v)?;
            j.obj("failure")?.text("error")?;
            Ok(VoidState::Refused)
        }
        _ => Ok(VoidState::Unknown),
    }
}

fn card(lm: &Json<'_>, card_type: Option<&str>) -> Result<Card, ContractError> {
    let acquirer_reference = lm.text("StanAuth")?.to_owned();
    let pan = lm.str("TruncatedPAN")?;
    let brand = match card_type.filter(|t| !t.is_empty()) {
        Some(t) => t.to_owned(),
        None => lm.opt_str("CardIssuerName")?.unwrap_or_default().to_owned(),
    };
    let verification = match lm.get("CVM").map(|v| v.to_string().trim_matches('"').to_owned()).as_deref() {
        Some("0") => "pin",
        Some("1") => "signature",
        Some("2") => "none",
        Some("4") => "consumer_device",
        _ => "",
    };
    Ok(Card { brand, masked_pan: mask(pan), acquirer_reference, verification: verification.to_owned() })
}

/// Keeps only the last four digits of whatever the terminal sent (production sends the first
/// six too), so more of a card number never passes through.
pub(crate) fn mask(pan: &str) -> String {
    let digits: Vec<char> = pan.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return String::new();
    }
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("************{tail}")
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
