//! Connect@Cloud wire shapes as the public integrations and the production wire log show them
//! (contract cases `crates/sandbox/contracts/nets/`): error bodies, the terminal object,
//! `localModeEventArgs` (codes as strings, times in the terminal's local time), and the
//! purchase / last-result / void answers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::state::{NetsTransaction, Terminal, TxOutcome};
use super::terminal::TerminalError;

/// `Result`: financial transaction OK.
const RESULT_APPROVED: &str = "0";
/// `Result`: administrative operation OK.
const RESULT_ADMIN_OK: &str = "1";
/// `Result`: rejected.
const RESULT_REJECTED: &str = "2";
/// `Result`: outcome unknown, resolve by lookup.
const RESULT_UNKNOWN: &str = "99";

/// The one answer production gave for an unknown id and for an offline terminal alike.
pub(crate) const NOT_CONNECTED: &str = "Invalid terminal ID or terminal not connected";

/// `{"error": msg}` with `status` (login and the terminal endpoint).
pub(crate) fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

/// 401 `{"error": msg}`.
pub(crate) fn unauthorized(msg: &str) -> Response {
    error(StatusCode::UNAUTHORIZED, msg)
}

/// `{"failure": {"error": msg}}` with `status` (transaction and administration endpoints).
pub(crate) fn failure(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "failure": { "error": msg } }))).into_response()
}

/// The answer to a refused terminal operation (`busy_status` is configurable).
pub(crate) fn terminal_error(e: TerminalError, busy_status: u16) -> Response {
    match e {
        TerminalError::NotFound | TerminalError::Offline => failure(StatusCode::BAD_REQUEST, NOT_CONNECTED),
        TerminalError::Busy => {
            failure(StatusCode::from_u16(busy_status).unwrap_or(StatusCode::BAD_REQUEST), "Terminal busy")
        }
        TerminalError::NoTransaction => failure(StatusCode::NOT_FOUND, "No transaction found"),
        TerminalError::AmountMismatch => failure(StatusCode::BAD_REQUEST, "Amount does not match last transaction"),
    }
}

/// The terminal object of `GET /v1/terminal[/{id}]`.
pub(crate) fn terminal(t: &Terminal) -> Value {
    json!({
        "terminalId": t.id,
        "terminalName": t.name,
        "terminalState": t.state_name(),
        "connected": t.connected,
    })
}

/// 201 `{"result":[…]}` for an approval, 400 `{"failure":…}` otherwise (`Result` "99" when the
/// terminal reported an unknown outcome).
pub(crate) fn purchase(tx: &NetsTransaction, tz: Tz) -> Response {
    let approved = tx.outcome == TxOutcome::Approved;
    if approved && !tx.reported_unknown {
        return (StatusCode::CREATED, Json(json!({ "result": [result_element(tx, tz)] }))).into_response();
    }
    let mut args = local_mode_args(tx, tz);
    let text = if approved {
        args["Result"] = json!(RESULT_UNKNOWN);
        args["ResponseCode"] = json!("");
        args["StanAuth"] = json!("");
        "Transaction result unknown".to_owned()
    } else {
        error_text(tx)
    };
    let body = json!({ "failure": {
        "error": text,
        "transactionId": null,
        "cardNumber": null,
        "cardType": null,
        "timeStamp": null,
        "orderId": null,
        "customerReceipt": receipt(tx, tz, "CUSTOMER COPY"),
        "localModeEventArgs": args,
    }});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// One element of a 201 `result` array.
fn result_element(tx: &NetsTransaction, tz: Tz) -> Value {
    let local = tx.finished_at.unwrap_or(tx.started_at).with_timezone(&tz).naive_local();
    json!({
        "transactionId": tx.stan_auth,
        "cardNumber": tx.truncated_pan,
        "cardType": card_type(tx),
        // The same local clock as `TimeStamp`, mislabelled `Z` (production wire log).
        "timeStamp": local.format("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
        "transactionType": tx.transaction_type,
        // Mirrored for successful transactions only (NaviPartner's lookup check).
        "orderId": if tx.outcome == TxOutcome::Approved { json!(tx.order_id) } else { Value::Null },
        "customerReceipt": receipt(tx, tz, "CUSTOMER COPY"),
        "merchantReceipt": receipt(tx, tz, "MERCHANT COPY"),
        "localModeEventArgs": local_mode_args(tx, tz),
    })
}

/// 200 with the last transaction's result; `result.orderId` only when it was approved.
pub(crate) fn last_result(tx: &NetsTransaction, tz: Tz) -> Response {
    let mut result = json!({
        "latestTransactionResult": local_mode_args(tx, tz),
        "printText": { "Text": receipt(tx, tz, "CUSTOMER COPY") },
    });
    if let (TxOutcome::Approved, Some(order_id)) = (tx.outcome, &tx.order_id) {
        result["orderId"] = json!(order_id);
    }
    (StatusCode::OK, Json(json!({ "result": result }))).into_response()
}

/// 201 for a void (the reversal transaction).
pub(crate) fn void(tx: &NetsTransaction, tz: Tz) -> Response {
    (StatusCode::CREATED, Json(json!({ "result": [result_element(tx, tz)] }))).into_response()
}

/// 201 for an accepted administration request (`Result` "1", administrative operation OK).
pub(crate) fn admin_ok(terminal_id: &str, action: &str, now: DateTime<Utc>, tz: Tz) -> Response {
    let body = json!({ "result": [{ "localModeEventArgs": {
        "Result": RESULT_ADMIN_OK,
        "ResultData": action,
        "TerminalID": terminal_id,
        "TimeStamp": compact(now, tz),
    }}]});
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Refusals the terminal gives before it asks for a card: no time, no amount.
fn before_card(tx: &NetsTransaction) -> bool {
    tx.outcome == TxOutcome::Rejected && matches!(tx.code.as_deref(), Some("1:2" | "4:1"))
}

/// `(RejectionSource, RejectionReason, ResponseCode)` as production sends them: the source a
/// two-digit string (`03` terminal, `05` host), the reason a colon-separated string.
fn rejection(tx: &NetsTransaction) -> (&'static str, String, Value) {
    let code = tx.code.clone().unwrap_or_default();
    match tx.outcome {
        TxOutcome::Approved | TxOutcome::InProgress => ("0", String::new(), json!("00")),
        TxOutcome::Declined if code == "Z3" => ("03", "3:2:Z3".into(), json!("Z3")),
        TxOutcome::Declined => ("05", format!("1:0:{code}"), json!(code)),
        TxOutcome::CancelledByCustomer | TxOutcome::CancelledByOperator => ("03", "2:1".into(), json!("")),
        TxOutcome::TimedOut => ("03", "2:2".into(), json!("")),
        TxOutcome::AbortedByLookup => ("03", "2:3".into(), json!("")),
        TxOutcome::Rejected if code == "1:2" => ("03", code, Value::Null),
        TxOutcome::Rejected => ("03", code, json!("")),
    }
}

/// The `localModeEventArgs` object for `tx` (its `Result` from the outcome).
pub(crate) fn local_mode_args(tx: &NetsTransaction, tz: Tz) -> Value {
    let card = tx.truncated_pan.is_some();
    let early = before_card(tx);
    let (source, reason, response_code) = rejection(tx);
    let result = if tx.outcome == TxOutcome::Approved { RESULT_APPROVED } else { RESULT_REJECTED };
    let menu = tx.code.as_deref() == Some("1:2") && early;
    json!({
        "Result": result,
        "TruncatedPAN": tx.truncated_pan.clone().unwrap_or_default(),
        "TimeStamp": if early { String::new() } else { compact(tx.finished_at.unwrap_or(tx.started_at), tz) },
        "CVM": if menu { "" } else if tx.outcome == TxOutcome::Approved { "4" } else { "2" },
        "SessionNumber": format!("{:03}", tx.seq % 1000),
        "StanAuth": tx.stan_auth.clone().unwrap_or_default(),
        "TotalAmount": if early { 0 } else { tx.amount },
        "TipAmount": 0,
        "SurchargeAmount": 0,
        "TerminalID": if menu { Value::Null } else { json!(tx.terminal_id) },
        "SiteID": "SANDBOX",
        "CardIssuerName": if menu { Value::Null } else if card { json!(card_type(tx)) } else { json!("") },
        "ResponseCode": response_code,
        "RejectionSource": source,
        "RejectionReason": reason,
        "AID": if !card { "" } else if tx.seq.is_multiple_of(2) { "A0000000041010" } else { "A0000000031010" },
        "TransactionType": if menu { Value::Null } else if tx.transaction_type == "returnOfGoods" { json!("1") } else { json!("0") },
    })
}

/// `YYYYMMDDhhmmss` in the terminal's time zone.
fn compact(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y%m%d%H%M%S").to_string()
}

/// The `failure.error` text per outcome, as production prints them (`Terminal / …` for the
/// terminal's own refusals, `PSP / …` for the host's). The terminal-timeout and
/// lookup-abort texts are not public and marked as the simulator's choice in the module docs.
fn error_text(tx: &NetsTransaction) -> String {
    let code = tx.code.as_deref().unwrap_or_default();
    match (tx.outcome, code) {
        (TxOutcome::Declined, "Z3") => "Terminal / unable to go online, offline transaction declined".into(),
        (TxOutcome::Declined, "51") => "PSP / Not sufficient funds".into(),
        (TxOutcome::Declined, "54") => "PSP / Expired card".into(),
        (TxOutcome::Declined, "58") => "PSP / Transaction not permitted to terminal".into(),
        (TxOutcome::Declined, "87") => "PSP / perform end-of-day reconciliation".into(),
        (TxOutcome::Declined, c) => format!("PSP / Declined ({c})"),
        (TxOutcome::CancelledByCustomer | TxOutcome::CancelledByOperator, _) => "Terminal / cancel key pressed".into(),
        (TxOutcome::TimedOut, _) => "Terminal / timeout".into(),
        (TxOutcome::AbortedByLookup, _) => "Terminal / transaction aborted".into(),
        (TxOutcome::Rejected, "3:3") => "Terminal / duplicate transaction detected".into(),
        (TxOutcome::Rejected, "1:2") => "Terminal / busy with menu invoked".into(),
        (TxOutcome::Rejected, "4:1") => "Terminal / amount too low".into(),
        (TxOutcome::Rejected, _) => "Terminal / rejected transaction".into(),
        (TxOutcome::Approved | TxOutcome::InProgress, _) => String::new(),
    }
}

fn card_type(tx: &NetsTransaction) -> &'static str {
    match (&tx.truncated_pan, tx.seq % 2) {
        (None, _) => "",
        (Some(_), 0) => "DEBIT MASTERCARD",
        (Some(_), _) => "Visa Debit",
    }
}

/// Minor units as `12.50`.
pub(crate) fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A CRLF-separated receipt, headed with the terminal's local time.
fn receipt(tx: &NetsTransaction, tz: Tz, copy: &str) -> String {
    let kind = match tx.transaction_type.as_str() {
        "returnOfGoods" => "REFUND",
        "reversal" => "REVERSAL",
        _ => "PURCHASE",
    };
    let verdict = match tx.outcome {
        TxOutcome::Approved => "APPROVED",
        TxOutcome::Declined | TxOutcome::Rejected => "DECLINED",
        TxOutcome::InProgress => "IN PROGRESS",
        _ => "CANCELLED",
    };
    let at = tx.finished_at.unwrap_or(tx.started_at).with_timezone(&tz).format("%Y-%m-%d %H:%M");
    let mut lines =
        vec!["NETS SANDBOX".to_owned(), format!("TERMINAL {}", tx.terminal_id), format!("{at}"), kind.to_owned()];
    if let Some(pan) = &tx.truncated_pan {
        lines.push(format!("{} {pan}", card_type(tx)));
    }
    lines.push(format!("AMOUNT {} {}", tx.currency, format_amount(tx.amount)));
    if let Some(stan) = &tx.stan_auth {
        lines.push(format!("STAN/AUTH {stan}"));
    }
    lines.push(verdict.to_owned());
    lines.push(copy.to_owned());
    lines.join("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_format_as_decimal_minor_units() {
        for (minor, text) in [(0, "0.00"), (5, "0.05"), (1250, "12.50"), (100_000, "1000.00"), (-99, "-0.99")] {
            assert_eq!(format_amount(minor), text, "{minor}");
        }
    }

    #[test]
    fn times_are_the_terminals_local_clock() {
        let at: DateTime<Utc> = "2025-10-07T13:40:58Z".parse().unwrap();
        assert_eq!(compact(at, chrono_tz::Europe::Copenhagen), "20251007154058");
        assert_eq!(compact(at, chrono_tz::Europe::Helsinki), "20251007164058");
    }
}
