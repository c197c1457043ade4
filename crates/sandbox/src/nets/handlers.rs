//! The partner-facing Connect@Cloud endpoints. Each runs under the fault guard with its
//! operation name; the purchase call blocks (without holding the lock) until the terminal
//! finishes the transaction.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::terminal::PurchaseRequest;
use super::{auth, wire};
use crate::shared::Shared;
use crate::system::System;

type Params = Query<HashMap<String, String>>;

/// `GET /v1/terminal` → `{"terminals":[…]}` (the account's terminals).
pub(crate) async fn list_terminals(State(shared): State<Shared>, headers: HeaderMap, Query(q): Params) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "status", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let now = s.now();
            let mut st = Shared::lock(&s.0.nets);
            st.expire(now);
            let list: Vec<Value> = st.terminals.values().filter(|t| t.account == account).map(wire::terminal).collect();
            (StatusCode::OK, Json(json!({ "terminals": list }))).into_response()
        })
        .await
}

/// `GET /v1/terminal/{id}` → `{"terminal":{…,"terminalState":"idle"|"busy"|"offline"}}`.
pub(crate) async fn get_terminal(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "status", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let now = s.now();
            let mut st = Shared::lock(&s.0.nets);
            st.expire(now);
            match st.terminals.get(&id).filter(|t| t.account == account) {
                Some(t) => (StatusCode::OK, Json(json!({ "terminal": wire::terminal(t) }))).into_response(),
                // No public source shows this call at all (contract case terminal_state/not_found).
                None => wire::error(StatusCode::NOT_FOUND, "Terminal not found"),
            }
        })
        .await
}

/// `POST /v1/terminal/{id}/transaction` — blocks until the terminal finishes.
pub(crate) async fn start(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "start", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let req = match parse_purchase(&body) {
                Ok(r) => r,
                Err(msg) => return wire::failure(StatusCode::BAD_REQUEST, &msg),
            };
            let started = {
                let now = s.now();
                let mut st = Shared::lock(&s.0.nets);
                let busy_status = st.config.busy_status;
                let tz = st.time_zone(&id);
                st.start(&account, &id, req, now).map(|rx| (rx, tz)).map_err(|e| wire::terminal_error(e, busy_status))
            };
            let (rx, tz) = match started {
                Ok(x) => x,
                Err(r) => return r,
            };
            tokio::select! {
                done = rx => match done {
                    Ok(tx) => wire::purchase(&tx, tz),
                    Err(_) => wire::failure(StatusCode::BAD_REQUEST, "Terminal / transaction aborted"),
                },
                () = s.0.token.cancelled() => wire::failure(StatusCode::SERVICE_UNAVAILABLE, "Service shutting down"),
            }
        })
        .await
}

/// `GET /v1/terminal/{id}/transaction` — the last result; aborts a transaction in flight.
pub(crate) async fn last_result(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "last_result", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let now = s.now();
            let mut st = Shared::lock(&s.0.nets);
            let busy_status = st.config.busy_status;
            let tz = st.time_zone(&id);
            match st.lookup(&account, &id, now) {
                Ok(tx) => wire::last_result(&tx, tz),
                Err(e) => wire::terminal_error(e, busy_status),
            }
        })
        .await
}

/// `DELETE /v1/terminal/{id}/transaction` (optional body `{"amount"}`) — voids the last one.
pub(crate) async fn void(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "void", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let amount = match parse_void(&body) {
                Ok(a) => a,
                Err(msg) => return wire::failure(StatusCode::BAD_REQUEST, &msg),
            };
            let now = s.now();
            let mut st = Shared::lock(&s.0.nets);
            let busy_status = st.config.busy_status;
            let tz = st.time_zone(&id);
            match st.void(&account, &id, amount, now) {
                Ok(tx) => wire::void(&tx, tz),
                Err(e) => wire::terminal_error(e, busy_status),
            }
        })
        .await
}

/// `POST /v1/terminal/{id}/administration {"action":"cancelAction"}`.
pub(crate) async fn administration(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
    body: Bytes,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Nets, "cancel", async move {
            let account = match auth::authenticate(&s, &headers, &q) {
                Ok(a) => a,
                Err(msg) => return wire::unauthorized(msg),
            };
            let action = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("action").and_then(Value::as_str).map(str::to_owned));
            match action.as_deref() {
                Some("cancelAction") => {}
                Some(_) => return wire::failure(StatusCode::BAD_REQUEST, "Unsupported action"),
                None => return wire::failure(StatusCode::BAD_REQUEST, "Invalid request: action is required"),
            }
            let now = s.now();
            let mut st = Shared::lock(&s.0.nets);
            let busy_status = st.config.busy_status;
            let tz = st.time_zone(&id);
            match st.operator_cancel(&account, &id, now) {
                Ok(_) => wire::admin_ok(&id, "cancelAction", now, tz),
                Err(e) => wire::terminal_error(e, busy_status),
            }
        })
        .await
}

/// Parses the purchase body; the message is the `failure.error` text.
pub(crate) fn parse_purchase(body: &[u8]) -> Result<PurchaseRequest, String> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "Invalid request: body is not JSON".to_owned())?;
    let kind =
        v.get("transactionType").and_then(Value::as_str).ok_or("Invalid request: transactionType is required")?;
    if !matches!(kind, "purchase" | "returnOfGoods") {
        return Err(format!("Unsupported transactionType {kind}"));
    }
    let amount = v
        .get("amount")
        .and_then(Value::as_i64)
        .filter(|a| *a > 0)
        .ok_or("Invalid request: amount must be a positive integer in minor units")?;
    let order_id = match v.get("orderId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err("Invalid request: orderId must be a string".into()),
    };
    Ok(PurchaseRequest { transaction_type: kind.to_owned(), amount, order_id })
}

/// Parses the optional void body `{"amount"}`.
fn parse_void(body: &[u8]) -> Result<Option<i64>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| "Invalid request: body is not JSON".to_owned())?;
    match v.get("amount") {
        None | Some(Value::Null) => Ok(None),
        Some(a) => a.as_i64().filter(|a| *a > 0).map(Some).ok_or_else(|| "Invalid request: amount".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purchase_bodies_parse_or_name_the_problem() {
        type Case<'a> = (&'a str, Result<(&'a str, i64, Option<&'a str>), &'a str>);
        let cases: [Case<'_>; 7] = [
            (r#"{"transactionType":"purchase","amount":1000,"orderId":"123"}"#, Ok(("purchase", 1000, Some("123")))),
            (r#"{"transactionType":"returnOfGoods","amount":5,"orderId":77}"#, Ok(("returnOfGoods", 5, Some("77")))),
            (r#"{"transactionType":"purchase","amount":1}"#, Ok(("purchase", 1, None))),
            (r#"{"transactionType":"deposit","amount":1}"#, Err("Unsupported transactionType deposit")),
            (r#"{"transactionType":"purchase","amount":0}"#, Err("Invalid request: amount")),
            (r#"{"transactionType":"purchase","amount":"10.00"}"#, Err("Invalid request: amount")),
            ("not json", Err("Invalid request: body is not JSON")),
        ];
        for (body, want) in cases {
            let got = parse_purchase(body.as_bytes());
            match (got, want) {
                (Ok(r), Ok((kind, amount, order))) => {
                    assert_eq!((r.transaction_type.as_str(), r.amount, r.order_id.as_deref()), (kind, amount, order));
                }
                (Err(e), Err(prefix)) => assert!(e.starts_with(prefix), "{body}: {e}"),
                (got, want) => panic!("{body}: got {got:?}, want {want:?}"),
            }
        }
    }
}
