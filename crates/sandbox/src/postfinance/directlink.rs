//! DirectLink (server-to-server) common checks and the query and new-order endpoints.
//! Every request: form POST → PSPID known in *this* environment (50001118) → caller IP
//! allow-listed (50001116 `unknown order/1/i/<ip>`) → SHA-IN with the DirectLink passphrase
//! (50001184 `unknown order/0/s/` missing, `unknown order/1/s/` wrong) → USERID/PSWD
//! (50001119) → API-user flag (50001186 "Connection to API feature not allowed for this user").

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration};

use super::State;
use super::form::{Charset, Params, decode};
use super::model::{Env, HistoryItem, Kind, Merchant, Transaction, is_swissbilling};
use super::sha::{compose, digest, on_sha_in_list};
use super::xml::{NcResponse, amount, refused};
use crate::log::MAX_BODY;
use crate::shared::Shared;
use crate::system::System;

/// A parsed DirectLink call: environment, parameters and caller IP.
pub struct Call {
    /// Environment of the path.
    pub env: Env,
    /// Form parameters.
    pub params: Params,
    /// Caller IP as text.
    pub ip: String,
}

/// Reads env, form body and caller IP; an unknown environment is a plain 404 page.
pub async fn read(env: &str, req: Request) -> Result<Call, Response> {
    let Some(env) = Env::parse(env) else {
        return Err((StatusCode::NOT_FOUND, "The page cannot be found").into_response());
    };
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "0.0.0.0".into());
    let body = axum::body::to_bytes(req.into_body(), MAX_BODY).await.unwrap_or_else(|_| Bytes::new());
    Ok(Call { env, params: decode(&body, Charset::Auto), ip })
}

/// Runs the account checks; answers the merchant or the refusal.
pub fn gate(state: &State, call: &Call) -> Result<Merchant, NcResponse> {
    let p = &call.params;
    let orderid = p.get("ORDERID").unwrap_or_default();
    let no = |code: &str, plus: &str| refused(orderid, "", code, plus, "", "");
    let Some(pspid) = p.non_empty("PSPID") else { return Err(no("50001111", " no PSPID")) };
    let Some(m) = state.merchant(call.env, pspid) else {
        return Err(no("50001118", "PSPID not found or incorrect"));
    };
    if !m.allowed_ips.iter().any(|a| a == "*" || *a == call.ip) {
        return Err(no("50001116", &format!("unknown order/1/i/{}", call.ip)));
    }
    if !m.directlink_sha_in.is_empty() {
        let Some(sent) = p.non_empty("SHASIGN") else { return Err(no("50001184", "unknown order/0/s/")) };
        let want = digest(m.sha_algorithm, compose(&p.0, &m.directlink_sha_in, on_sha_in_list).as_bytes());
        if !sent.eq_ignore_ascii_case(&want) {
            return Err(no("50001184", "unknown order/1/s/"));
        }
    }
    let user = p.non_empty("USERID").and_then(|u| m.users.iter().find(|x| x.userid == u));
    let Some(user) = user.filter(|u| Some(u.pswd.as_str()) == p.get("PSWD")) else {
        return Err(no("50001119", "password incorrect or disabled after too many errors"));
    };
    if !user.api {
        return Err(no("50001186", "Connection to API feature not allowed for this user"));
    }
    Ok(m.clone())
}

/// Finds the transaction named by PAYID (preferred) or ORDERID; refusals as the platform words them.
pub fn find(state: &State, env: Env, m: &Merchant, p: &Params) -> Result<usize, NcResponse> {
    let orderid = p.get("ORDERID").unwrap_or_default();
    let unknown = || refused(orderid, p.get("PAYID").unwrap_or_default(), "50001130", "unknown order", "", "");
    if let Some(payid) = p.non_empty("PAYID") {
        let payid: u64 = payid.parse().map_err(|_| unknown())?;
        return state.index_by_payid(env, &m.pspid, payid).ok_or_else(unknown);
    }
    if orderid.is_empty() {
        return Err(refused("", "", "50001111", " no orderid", "", ""));
    }
    state.index_by_orderid(env, &m.pspid, orderid).ok_or_else(unknown)
}

/// `POST /ncol/{env}/querydirect.asp`
pub async fn query(AxState(shared): AxState<Shared>, Path(env): Path<String>, req: Request) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Postfinance, "query", async move {
            let call = match read(&env, req).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let now = s.now();
            let mut state = Shared::lock(&s.0.postfinance);
            let answers = state.answers.clone();
            let found = gate(&state, &call).and_then(|m| find(&state, call.env, &m, &call.params));
            let i = match found {
                Ok(i) => i,
                Err(mut r) => {
                    r.0.retain(|(k, _)| !answers.drop_query_attributes.iter().any(|d| d == k));
                    return r.into_response();
                }
            };
            let tx = &mut state.transactions[i];
            tx.settle_due(now);
            let level = match call.params.non_empty("PAYIDSUB") {
                Some(sub) => match sub.parse::<usize>().ok().and_then(|n| tx.history.get(n)) {
                    Some(h) => h.clone(),
                    None => {
                        let payid = tx.payid.to_string();
                        return refused(&tx.orderid, &payid, "50001131", "Original history item access error", "", "")
                            .into_response();
                    }
                },
                None => match tx.history.last() {
                    Some(h) => h.clone(),
                    None => return refused(&tx.orderid, "", "50001130", "unknown order", "", "").into_response(),
                },
            };
            let ncerror = if level.payidsub == 0 { tx_ncerror(tx) } else { "0".to_owned() };
            let plus = if ncerror == "0" { "!" } else { "" };
            let shown_amount = if level.payidsub == 0 { tx.amount } else { level.amount };
            let asked_level = call.params.non_empty("PAYIDSUB").is_some();
            let payidsub = if !asked_level && answers.latest_without_payidsub {
                String::new()
            } else {
                level.payidsub.to_string()
            };
            let mut reply = NcResponse::default()
                .attr("orderID", tx.orderid.clone())
                .attr("PAYID", tx.payid.to_string())
                .attr("PAYIDSUB", payidsub)
                .attr("NCSTATUS", super::xml::ncstatus(&ncerror))
                .attr("NCERROR", ncerror)
                .attr("NCERRORPLUS", plus)
                .attr("ACCEPTANCE", tx.acceptance.clone())
                .attr("STATUS", level.status.to_string())
                .attr("ECI", "7")
                .attr("amount", amount(shown_amount))
                .attr("currency", tx.currency.clone())
                .attr("PM", tx.pm.clone())
                .attr("BRAND", tx.brand.clone())
                .attr("CARDNO", tx.cardno.clone())
                .attr("IP", tx.ip.clone());
            reply.0.retain(|(k, _)| !answers.drop_query_attributes.iter().any(|d| d == k));
            reply.into_response()
        })
        .await
}

/// NCERROR of the order level (0 when it was authorised).
fn tx_ncerror(tx: &Transaction) -> String {
    match tx.history.first().map(|h| h.status) {
        Some(5 | 9) => "0".into(),
        Some(2) => "30001001".into(),
        Some(1) => "30031001".into(),
        Some(52) => "20002001".into(),
        _ => "50001111".into(),
    }
}

fn brand_of(cardno: &str) -> &'static str {
    match cardno.chars().next() {
        Some('4') => "VISA",
        Some('5' | '2') => "MasterCard",
        Some('3') => "American Express",
        _ => "",
    }
}

/// `XXXXXXXXXXXX1111`.
pub fn mask(cardno: &str) -> String {
    let digits: Vec<char> = cardno.chars().filter(char::is_ascii_digit).collect();
    let keep = digits.len().saturating_sub(4);
    digits.iter().enumerate().map(|(i, c)| if i < keep { 'X' } else { *c }).collect()
}

/// `POST /ncol/{env}/orderdirect.asp` (new card order: RES authorise or SAL direct sale).
pub async fn order(AxState(shared): AxState<Shared>, Path(env): Path<String>, req: Request) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Postfinance, "order", async move {
            let call = match read(&env, req).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let now = s.now();
            let mut state = Shared::lock(&s.0.postfinance);
            let m = match gate(&state, &call) {
                Ok(m) => m,
                Err(r) => return r.into_response(),
            };
            let p = &call.params;
            let orderid = p.get("ORDERID").unwrap_or_default();
            let currency = p.get("CURRENCY").unwrap_or_default();
            let missing: Vec<&str> = [
                ("ORDERID", "no orderid"),
                ("AMOUNT", "no amount"),
                ("CURRENCY", "no currency"),
                ("CARDNO", "no card no"),
                ("ED", "no exp date"),
            ]
            .into_iter()
            .filter(|(k, _)| p.non_empty(k).is_none())
            .map(|(_, t)| t)
            .collect();
            let no = |code: &str, plus: &str| refused(orderid, "", code, plus, "", currency).into_response();
            if !missing.is_empty() {
                return no("50001111", &format!(" {}", missing.join("|")));
            }
            let Some(minor) = p.get("AMOUNT").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a > 0) else {
                return no("50001111", "amount too long or not numeric");
            };
            let op = p.non_empty("OPERATION").unwrap_or("RES").to_ascii_uppercase();
            if op != "RES" && op != "SAL" {
                return no("50001111", "invalid operation");
            }
            if is_swissbilling(p.get("PM").unwrap_or_default(), p.get("BRAND").unwrap_or_default()) {
                return no(
                    "50001186",
                    "Operation not permitted: SwissBilling orders are created on the payment page only",
                );
            }
            let ed = p.get("ED").unwrap_or_default().replace('/', "");
            let expiry = ed
                .get(0..2)
                .zip(ed.get(2..4))
                .and_then(|(mm, yy)| Some((mm.parse::<u32>().ok()?, yy.parse::<i32>().ok()?)));
            let today = now.date_naive();
            let expired = match expiry {
                Some((mm, yy)) => !(1..=12).contains(&mm) || (2000 + yy, mm) < (today.year(), today.month()),
                None => true,
            };
            if expired {
                return no("50001183", "Expiry date must be in the future");
            }
            if let Some(i) = state.index_by_orderid(call.env, &m.pspid, orderid)
                && !state.transactions[i].refused_order()
            {
                let old = &state.transactions[i];
                return NcResponse::default()
                    .attr("orderID", orderid)
                    .attr("PAYID", old.payid.to_string())
                    .attr("NCSTATUS", "5")
                    .attr("NCERROR", "50001113")
                    .attr("NCERRORPLUS", "This order has already been processed")
                    .attr("ACCEPTANCE", old.acceptance.clone())
                    .attr("STATUS", "0")
                    .attr("amount", amount(minor))
                    .attr("currency", currency)
                    .into_response();
            }
            let cardno = p.get("CARDNO").unwrap_or_default().to_owned();
            let declined = cardno.ends_with("0002");
            let status: u16 = if declined {
                2
            } else if op == "SAL" {
                9
            } else {
                5
            };
            let payid = state.next_payid();
            let acceptance = if declined { String::new() } else { format!("{:06}", payid % 1_000_000) };
            let brand = p.non_empty("BRAND").map_or_else(|| brand_of(&cardno).to_owned(), str::to_owned);
            let tx = Transaction {
                env: call.env,
                pspid: m.pspid.clone(),
                payid,
                orderid: orderid.to_owned(),
                amount: minor,
                currency: currency.to_owned(),
                pm: "CreditCard".into(),
                brand: brand.clone(),
                cardno: mask(&cardno),
                ed,
                cn: p.get("CN").unwrap_or_default().to_owned(),
                ip: p.non_empty("REMOTE_ADDR").unwrap_or(&call.ip).to_owned(),
                acceptance: acceptance.clone(),
                authorised_until: now + Duration::days(i64::from(m.auth_validity_days)),
                history: vec![HistoryItem {
                    payidsub: 0,
                    kind: Kind::Order,
                    operation: op,
                    amount: minor,
                    status,
                    at: now,
                    due: None,
                    settled_at: Some(now),
                    source: "directlink".into(),
                }],
            };
            let ncerror = tx_ncerror(&tx);
            state.transactions.push(tx);
            NcResponse::default()
                .attr("orderID", orderid)
                .attr("PAYID", payid.to_string())
                .attr("NCSTATUS", super::xml::ncstatus(&ncerror))
                .attr("NCERROR", ncerror)
                .attr("NCERRORPLUS", if declined { "refused by the acquirer" } else { "!" })
                .attr("ACCEPTANCE", acceptance)
                .attr("STATUS", status.to_string())
                .attr("IPCTY", "99")
                .attr("CCCTY", "99")
                .attr("ECI", "7")
                .attr("CVCCheck", "NO")
                .attr("AAVCheck", "NO")
                .attr("VC", "NO")
                .attr("amount", amount(minor))
                .attr("currency", currency)
                .attr("PM", "CreditCard")
                .attr("BRAND", brand)
                .into_response()
        })
        .await
}
