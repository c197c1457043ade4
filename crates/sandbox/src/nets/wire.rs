//! Connect@Cloud wire shapes: error bodies, the terminal object, `localModeEventArgs`, receipts,
//! and the purchase / last-result / void answers (external-apis.md §2.3, §2.4).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::state::{NetsTransaction, Terminal, TxOutcome};
use super::terminal::TerminalError;

/// `Result` code: financial transaction OK.
const RESULT_APPROVED: u8 = 0;
/// `Result` code: administrative operation OK.
const RESULT_ADMIN_OK: u8 = 1;
/// `Result` code: rejected.
const RESULT_REJECTED: u8 = 2;
/// `Result` code: outcome unknown, resolve by lookup.
const RESULT_UNKNOWN: u8 = 99;

/// `{"error": msg}` with `status` (login, auth and terminal endpoints).
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
        TerminalError::NotFound => failure(StatusCode::NOT_FOUND, "Terminal not found"),
        TerminalError::Offline => failure(StatusCode::BAD_REQUEST, "Terminal not connected"),
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

/// 201 `{"result":[…]}` for an approval, 400 `{"failure":…}` otherwise (`Result` 99 when the
/// terminal reported an unknown outcome).
pub(crate) fn purchase(tx: &NetsTransaction) -> Response {
    let approved = tx.outcome == TxOutcome::Approved;
    if approved && !tx.reported_unknown {
        let body = json!({ "result": [{
            "cardType": card_type(tx),
            "customerReceipt": receipt(tx, "CUSTOMER COPY"),
            "merchantReceipt": receipt(tx, "MERCHANT COPY"),
            "localModeEventArgs": local_mode_args(tx, RESULT_APPROVED),
        }]});
        return (StatusCode::CREATED, Json(body)).into_response();
    }
    let (code, text) = if approved {
        (RESULT_UNKNOWN, "Transaction result unknown")
    } else {
        (RESULT_REJECTED, error_text(tx.outcome))
    };
    let mut args = local_mode_args(tx, code);
    if code == RESULT_UNKNOWN {
        args["ResponseCode"] = json!("");
        args["StanAuth"] = json!("");
    }
    let body = json!({ "failure": {
        "error": text,
        "localModeEventArgs": args,
        "customerReceipt": receipt(tx, "CUSTOMER COPY"),
    }});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// 200 with the last transaction's result; `orderId` only when it was approved.
pub(crate) fn last_result(tx: &NetsTransaction) -> Response {
    let approved = tx.outcome == TxOutcome::Approved;
    let code = if approved { RESULT_APPROVED } else { RESULT_REJECTED };
    let mut body = json!({ "result": {
        "latestTransactionResult": local_mode_args(tx, code),
        "printText": { "Text": receipt(tx, "CUSTOMER COPY") },
    }});
    if let (true, Some(order_id)) = (approved, &tx.order_id) {
        body["orderId"] = json!(order_id);
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// 201 for a void (the reversal transaction).
pub(crate) fn void(tx: &NetsTransaction) -> Response {
    let body = json!({ "result": [{
        "cardType": card_type(tx),
        "customerReceipt": receipt(tx, "CUSTOMER COPY"),
        "merchantReceipt": receipt(tx, "MERCHANT COPY"),
        "localModeEventArgs": local_mode_args(tx, RESULT_APPROVED),
    }]});
    (StatusCode::CREATED, Json(body)).into_response()
}

/// 201 for an accepted administration request (`Result` 1, administrative operation OK).
pub(crate) fn admin_ok(terminal_id: &str, action: &str, now: DateTime<Utc>) -> Response {
    let body = json!({ "result": [{ "localModeEventArgs": {
        "Result": RESULT_ADMIN_OK,
        "ResultData": action,
        "TerminalID": terminal_id,
        "TimeStamp": timestamp(now),
    }}]});
    (StatusCode::CREATED, Json(body)).into_response()
}

/// The `localModeEventArgs` object for `tx` with `Result` = `code`.
pub(crate) fn local_mode_args(tx: &NetsTransaction, code: u8) -> Value {
    let card = tx.truncated_pan.is_some();
    let (rejection_source, rejection_reason) = match tx.outcome {
        TxOutcome::Approved | TxOutcome::InProgress => (0, 0),
        TxOutcome::Declined => (4, 5),
        TxOutcome::CancelledByCustomer => (1, 1),
        TxOutcome::CancelledByOperator => (2, 1),
        TxOutcome::TimedOut => (1, 3),
        TxOutcome::AbortedByLookup => (2, 2),
    };
    let response_code = match tx.outcome {
        TxOutcome::Approved => "00",
        TxOutcome::Declined => "05",
        _ => "",
    };
    json!({
        "Result": code,
        "ResultData": "",
        "Accumulator": 0,
        "IssuerID": if card { if tx.seq.is_multiple_of(2) { 4 } else { 3 } } else { 0 },
        "TruncatedPAN": tx.truncated_pan.clone().unwrap_or_default(),
        "TimeStamp": timestamp(tx.finished_at.unwrap_or(tx.started_at)),
        "CVM": if card { json!(0) } else { json!("") },
        "SessionNumber": format!("{:03}", tx.seq % 1000),
        "StanAuth": tx.stan_auth.clone().unwrap_or_default(),
        "TotalAmount": tx.amount,
        "TipAmount": 0,
        "SurchargeAmount": 0,
        "TerminalID": tx.terminal_id,
        "SiteID": "SANDBOX",
        "OrganisationNumber": "",
        "CardIssuerName": if card { card_type(tx) } else { "" },
        "ResponseCode": response_code,
        "AID": if !card { "" } else if tx.seq.is_multiple_of(2) { "A0000000041010" } else { "A0000000031010" },
        "OptionalData": "",
        "RejectionSource": rejection_source,
        "RejectionReason": rejection_reason,
        "TCC": "",
        "TVR": "",
    })
}

/// The `failure.error` text per outcome.
fn error_text(outcome: TxOutcome) -> &'static str {
    match outcome {
        TxOutcome::Approved | TxOutcome::InProgress => "",
        TxOutcome::Declined => "Declined",
        TxOutcome::CancelledByCustomer => "Cancelled by customer",
        TxOutcome::CancelledByOperator => "Cancelled by operator",
        TxOutcome::TimedOut => "Timeout",
        TxOutcome::AbortedByLookup => "Transaction aborted",
    }
}

fn card_type(tx: &NetsTransaction) -> &'static str {
    match (&tx.truncated_pan, tx.seq % 2) {
        (None, _) => "",
        (Some(_), 0) => "MasterCard",
        (Some(_), _) => "VISA",
    }
}

/// ISO-8601 UTC without fractions, one of the two forms observed on the wire.
fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Minor units as `12.50`.
pub(crate) fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A CRLF-separated receipt.
fn receipt(tx: &NetsTransaction, copy: &str) -> String {
    let kind = match tx.transaction_type.as_str() {
        "returnOfGoods" => "REFUND",
        "reversal" => "REVERSAL",
        _ => "PURCHASE",
    };
    let verdict = match tx.outcome {
        TxOutcome::Approved => "APPROVED",
        TxOutcome::Declined => "DECLINED",
        TxOutcome::InProgress => "IN PROGRESS",
        _ => "CANCELLED",
    };
    let at = tx.finished_at.unwrap_or(tx.started_at).format("%Y-%m-%d %H:%M:%S");
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
}
