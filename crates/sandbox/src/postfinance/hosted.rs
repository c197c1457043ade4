//! The hosted payment page (e-Commerce, §5.7): the shop's browser form to
//! `orderstandard.asp` (ISO-8859-1) or `orderstandard_utf8.asp`, validated with the e-Commerce
//! SHA-IN passphrase; the customer's choice is played through the admin API and yields the
//! redirect the browser would follow, with feedback parameters signed with SHA-OUT.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State as AxState};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Zurich;
use serde::{Deserialize, Serialize};

use super::State;
use super::form::{Charset, Params, decode, encode};
use super::model::{Env, HistoryItem, Kind, Transaction, is_swissbilling};
use super::sha::{compose, digest, latin1, on_sha_in_list, sign_out};
use super::xml::amount;
use crate::log::MAX_BODY;
use crate::shared::Shared;
use crate::system::System;

/// An order waiting on the payment page for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Environment.
    pub env: Env,
    /// Merchant.
    pub pspid: String,
    /// Order id.
    pub orderid: String,
    /// Every parameter the shop posted.
    pub params: Vec<(String, String)>,
    /// Posted to the UTF-8 page.
    pub utf8: bool,
    /// Amount (minor units).
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// Browser IP.
    pub ip: String,
    /// When the page was opened.
    pub opened: DateTime<Utc>,
}

/// What the customer does on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Pays (SwissBilling still refuses when the addresses differ or the country is not CH).
    Accept,
    /// The acquirer refuses (STATUS 2).
    Decline,
    /// The customer cancels (STATUS 1).
    Cancel,
    /// The outcome is unknown (STATUS 52).
    Uncertain,
}

/// The result of the customer's action: the redirect the browser follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOutcome {
    /// STATUS of the new transaction.
    pub status: u16,
    /// Its PAYID.
    pub payid: u64,
    /// Where the browser goes (`null` when the shop gave no URL for this outcome).
    pub redirect_url: Option<String>,
    /// The feedback parameters in order, `SHASIGN` last.
    pub params: Vec<(String, String)>,
}

/// Longest ORDERID the platform takes (AN 30).
pub const ORDERID_MAX: usize = 30;
/// Most digits of AMOUNT (N 15, ×100).
pub const AMOUNT_DIGITS: usize = 15;

fn error_page(code: &str, text: &str) -> Response {
    let body = format!(
        "<html><head><title>PostFinance e-payment - Error</title></head><body>\
         <h1>An error has occurred; please try again later.</h1>\
         <p>Error: {text}</p><p>NCERROR: {code}</p></body></html>"
    );
    (StatusCode::OK, Html(body)).into_response()
}

/// Mandatory SwissBilling fields (the merchant's SwissBilling parameter table, `docs/rules/IC.md`), besides the item lines.
const SWISSBILLING_FIELDS: [&str; 17] = [
    "EMAIL",
    "ECOM_BILLTO_POSTAL_NAME_LAST",
    "ECOM_BILLTO_POSTAL_NAME_FIRST",
    "ECOM_BILLTO_POSTAL_STREET_NUMBER",
    "ECOM_BILLTO_POSTAL_STREET_LINE1",
    "ECOM_BILLTO_POSTAL_POSTALCODE",
    "ECOM_BILLTO_POSTAL_CITY",
    "ECOM_BILLTO_POSTAL_COUNTRYCODE",
    "ECOM_SHIPTO_POSTAL_NAME_FIRST",
    "ECOM_SHIPTO_POSTAL_NAME_LAST",
    "ECOM_SHIPTO_POSTAL_STREET_NUMBER",
    "ECOM_SHIPTO_POSTAL_STREET_LINE1",
    "ECOM_SHIPTO_POSTAL_POSTALCODE",
    "ECOM_SHIPTO_POSTAL_CITY",
    "ECOM_SHIPTO_POSTAL_COUNTRYCODE",
    "ITEMID1",
    "ITEMNAME1",
];

const ITEM_FIELDS: [&str; 7] =
    ["ITEMID", "ITEMNAME", "ITEMPRICE", "ITEMQUANT", "ITEMVATCODE", "ITEMCATEGORY", "TAXINCLUDED"];

fn swissbilling_missing(p: &Params) -> Vec<String> {
    let mut missing: Vec<String> =
        SWISSBILLING_FIELDS.iter().filter(|f| p.non_empty(f).is_none()).map(|f| format!("no {f}")).collect();
    let mut n = 1;
    while ITEM_FIELDS.iter().any(|f| p.non_empty(&format!("{f}{n}")).is_some()) {
        for f in ITEM_FIELDS {
            let name = format!("{f}{n}");
            if p.non_empty(&name).is_none() && !missing.contains(&format!("no {name}")) {
                missing.push(format!("no {name}"));
            }
        }
        n += 1;
    }
    missing
}

/// `GET|POST /ncol/{env}/orderstandard.asp` and `…/orderstandard_utf8.asp`
pub async fn page(AxState(shared): AxState<Shared>, Path(env): Path<String>, req: Request) -> Response {
    let s = shared.clone();
    shared.guard(System::Postfinance, "hosted_page", async move { open(&s, &env, req).await }).await
}

async fn open(s: &Shared, env: &str, req: Request) -> Response {
    let Some(env) = Env::parse(env) else { return (StatusCode::NOT_FOUND, "The page cannot be found").into_response() };
    let utf8 = req.uri().path().ends_with("_utf8.asp");
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default();
    let raw = if req.method() == Method::GET {
        Bytes::from(req.uri().query().unwrap_or_default().as_bytes().to_vec())
    } else {
        axum::body::to_bytes(req.into_body(), MAX_BODY).await.unwrap_or_default()
    };
    let p = decode(&raw, if utf8 { Charset::Utf8 } else { Charset::Latin1 });
    let now = s.now();
    let mut state = Shared::lock(&s.0.postfinance);
    let Some(pspid) = p.non_empty("PSPID") else { return error_page("50001111", "no PSPID") };
    let Some(m) = state.merchant(env, pspid).cloned() else {
        return error_page("50001118", "PSPID not found or incorrect");
    };
    if !m.ecom_sha_in.is_empty() {
        let Some(sent) = p.non_empty("SHASIGN") else { return error_page("50001184", "unknown order/0/s/") };
        let text = compose(&p.0, &m.ecom_sha_in, on_sha_in_list);
        let bytes = if utf8 { text.into_bytes() } else { latin1(&text) };
        if !sent.eq_ignore_ascii_case(&digest(m.sha_algorithm, &bytes)) {
            return error_page("50001184", "unknown order/1/s/");
        }
    }
    let missing: Vec<&str> = [("ORDERID", "no orderid"), ("AMOUNT", "no amount"), ("CURRENCY", "no currency")]
        .into_iter()
        .filter(|(k, _)| p.non_empty(k).is_none())
        .map(|(_, t)| t)
        .collect();
    if !missing.is_empty() {
        return error_page("50001111", &missing.join("|"));
    }
    let orderid = p.get("ORDERID").unwrap_or_default().to_owned();
    let currency = p.get("CURRENCY").unwrap_or_default().to_owned();
    // Field lengths of the platform's parameter list: ORDERID AN 30, AMOUNT N 15.
    if orderid.chars().count() > ORDERID_MAX {
        return error_page("50001111", "orderid too long");
    }
    let amount_text = p.get("AMOUNT").unwrap_or_default();
    let Some(minor) = amount_text
        .parse::<i64>()
        .ok()
        .filter(|a| *a > 0 && amount_text.len() <= AMOUNT_DIGITS && amount_text.bytes().all(|b| b.is_ascii_digit()))
    else {
        return error_page("50001111", "amount too long or not numeric");
    };
    if is_swissbilling(p.get("PM").unwrap_or_default(), p.get("BRAND").unwrap_or_default()) {
        if !utf8 {
            return error_page("50001186", "SwissBilling orders must be sent to orderstandard_utf8.asp");
        }
        if currency != "CHF" {
            return error_page("50001122", "Currency not accepted by the merchant");
        }
        let missing = swissbilling_missing(&p);
        if !missing.is_empty() {
            return error_page("50001111", &missing.join("|"));
        }
    }
    if let Some(i) = state.index_by_orderid(env, &m.pspid, &orderid)
        && !state.transactions[i].refused_order()
    {
        return error_page("50001113", "This order has already been processed");
    }
    let session = Session {
        env,
        pspid: m.pspid.clone(),
        orderid: orderid.clone(),
        params: p.0,
        utf8,
        amount: minor,
        currency,
        ip,
        opened: now,
    };
    let env_name = if env == Env::Test { "test" } else { "prod" };
    let location = format!(
        "/ncol/{env_name}/paymentpage.asp?PSPID={}&ORDERID={}&UTF8={}",
        encode(&m.pspid),
        encode(&orderid),
        utf8
    );
    state.sessions.insert((env, m.pspid, orderid), session);
    // The platform answers an accepted form with a redirect to its payment page (HTTP 302
    // "Object moved", as recorded against the test platform).
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = location.parse() {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// `GET /ncol/{env}/paymentpage.asp`: the payment page of an open session (where the accepted
/// form redirects the browser).
pub async fn payment_page(
    AxState(shared): AxState<Shared>,
    Path(env): Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    let Some(env) = Env::parse(&env) else {
        return (StatusCode::NOT_FOUND, "The page cannot be found").into_response();
    };
    let (pspid, orderid) = (q.get("PSPID").cloned().unwrap_or_default(), q.get("ORDERID").cloned().unwrap_or_default());
    let state = Shared::lock(&shared.0.postfinance);
    let Some(session) = state.sessions.get(&(env, pspid.clone(), orderid.clone())) else {
        return error_page("50001111", "no payment in progress");
    };
    let summary = format!(
        "<html><head><meta charset=\"utf-8\"><title>PostFinance e-payment</title></head><body>\
         <h1>Payment</h1><p>Merchant: {}</p><p>Order: {}</p><p>Amount: {} {}</p>\
         <form method=\"post\"><!-- sandbox: the customer's choice is driven through \
         POST /admin/postfinance/customer --></form></body></html>",
        html(&pspid),
        html(&orderid),
        amount(session.amount),
        html(&session.currency),
    );
    let mut r = (StatusCode::OK, Html(summary)).into_response();
    let charset = if session.utf8 { "text/html; charset=utf-8" } else { "text/html; charset=iso-8859-1" };
    if let Ok(v) = charset.parse() {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn same_addresses(p: &Params) -> bool {
    ["NAME_FIRST", "NAME_LAST", "STREET_LINE1", "STREET_NUMBER", "POSTALCODE", "CITY", "COUNTRYCODE"].iter().all(|f| {
        let bill = p.get(&format!("ECOM_BILLTO_POSTAL_{f}")).unwrap_or_default().trim().to_lowercase();
        let ship = p.get(&format!("ECOM_SHIPTO_POSTAL_{f}")).unwrap_or_default().trim().to_lowercase();
        bill == ship
    })
}

/// Plays the customer's `action` on the waiting order; records the transaction.
pub fn act(
    state: &mut State,
    key: &(Env, String, String),
    action: Action,
    now: DateTime<Utc>,
) -> Option<CustomerOutcome> {
    let session = state.sessions.remove(key)?;
    let m = state.merchant(session.env, &session.pspid)?.clone();
    let p = Params(session.params.clone());
    let pm = p.non_empty("PM").unwrap_or("CreditCard").to_owned();
    let brand = p.non_empty("BRAND").unwrap_or(if pm == "CreditCard" { "VISA" } else { pm.as_str() }).to_owned();
    let swissbilling = is_swissbilling(&pm, &brand);
    let sale = p.non_empty("OPERATION").is_some_and(|o| o.eq_ignore_ascii_case("SAL"));
    let status: u16 = match action {
        Action::Accept
            if swissbilling && (!same_addresses(&p) || p.get("ECOM_BILLTO_POSTAL_COUNTRYCODE") != Some("CH")) =>
        {
            2
        }
        Action::Accept if sale => 9,
        Action::Accept => 5,
        Action::Decline => 2,
        Action::Cancel => 1,
        Action::Uncertain => 52,
    };
    let payid = state.next_payid();
    let ok = matches!(status, 5 | 9);
    let cn = p.non_empty("CN").map(str::to_owned).unwrap_or_else(|| {
        let first = p.get("ECOM_BILLTO_POSTAL_NAME_FIRST").unwrap_or_default();
        let last = p.get("ECOM_BILLTO_POSTAL_NAME_LAST").unwrap_or_default();
        format!("{first} {last}").trim().to_owned()
    });
    let tx = Transaction {
        env: session.env,
        pspid: session.pspid.clone(),
        payid,
        orderid: session.orderid.clone(),
        amount: session.amount,
        currency: session.currency.clone(),
        pm: pm.clone(),
        brand: brand.clone(),
        cardno: if swissbilling { String::new() } else { "XXXXXXXXXXXX1111".into() },
        ed: if swissbilling { String::new() } else { "1230".into() },
        cn,
        ip: session.ip.clone(),
        acceptance: if ok { format!("{:06}", payid % 1_000_000) } else { String::new() },
        authorised_until: now + Duration::days(i64::from(m.auth_validity_days)),
        history: vec![HistoryItem {
            payidsub: 0,
            kind: Kind::Order,
            operation: if sale { "SAL" } else { "RES" }.into(),
            amount: session.amount,
            status,
            at: now,
            due: None,
            settled_at: Some(now),
            source: "hosted_page".into(),
        }],
    };
    let ncerror = match status {
        5 | 9 => "0",
        2 => "30001001",
        1 => "30031001",
        _ => "20002001",
    };
    let mut params: Vec<(String, String)> = vec![
        ("orderID".into(), tx.orderid.clone()),
        ("currency".into(), tx.currency.clone()),
        ("amount".into(), amount(tx.amount)),
        ("PM".into(), pm),
        ("ACCEPTANCE".into(), tx.acceptance.clone()),
        ("STATUS".into(), status.to_string()),
        ("CARDNO".into(), tx.cardno.clone()),
        ("ED".into(), tx.ed.clone()),
        ("CN".into(), tx.cn.clone()),
        ("TRXDATE".into(), now.with_timezone(&Zurich).format("%m/%d/%y").to_string()),
        ("PAYID".into(), payid.to_string()),
        ("NCERROR".into(), ncerror.into()),
        ("BRAND".into(), brand),
        ("IP".into(), tx.ip.clone()),
    ];
    if let Some(c) = p.non_empty("COMPLUS") {
        params.push(("COMPLUS".into(), c.to_owned()));
    }
    let shasign = sign_out(m.sha_algorithm, &params, &m.ecom_sha_out);
    if let Some(plus) = p.non_empty("PARAMPLUS") {
        params.extend(decode(plus.as_bytes(), Charset::Utf8).0);
    }
    params.push(("SHASIGN".into(), shasign));
    state.transactions.push(tx);

    let url = |name: &str| p.non_empty(name).map(str::to_owned);
    let target = match status {
        5 | 9 => url("ACCEPTURL"),
        2 => url("DECLINEURL"),
        1 => url("CANCELURL").or_else(|| url("DECLINEURL")),
        _ => url("EXCEPTIONURL").or_else(|| url("ACCEPTURL")),
    };
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    let redirect_url = target.map(|t| format!("{t}{}{}", if t.contains('?') { '&' } else { '?' }, query.join("&")));
    Some(CustomerOutcome { status, payid, redirect_url, params })
}
