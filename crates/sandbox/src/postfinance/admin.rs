//! Admin routes of the PostFinance simulator (`/admin/postfinance/…`): seed merchant accounts
//! per environment and authorised transactions, settle pending maintenance (accepted or
//! refused by the acquirer), read transactions with their full history, list open payment-page
//! sessions and play the customer on the payment page.

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::directlink::mask;
use super::hosted::{Action, CustomerOutcome, Session, act};
use super::model::{Env, HistoryItem, Kind, Merchant, Transaction};
use crate::admin::AdminError;
use crate::shared::Shared;

/// Seeds an authorised (or sold) transaction, as if the customer had paid on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PfTransaction {
    /// Environment.
    pub env: Env,
    /// Merchant (must exist in `env`).
    pub pspid: String,
    /// Order id.
    pub orderid: String,
    /// PAYID (default: next).
    #[serde(default)]
    pub payid: Option<u64>,
    /// Amount in minor units.
    pub amount: i64,
    /// Default `CHF`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Default `CreditCard`.
    #[serde(default)]
    pub pm: Option<String>,
    /// Default `VISA` (or the PM).
    #[serde(default)]
    pub brand: Option<String>,
    /// 5 authorised (default) or 9 sold.
    #[serde(default)]
    pub status: Option<u16>,
    /// Card number (masked on storage); default none for SwissBilling, else a VISA test card.
    #[serde(default)]
    pub cardno: Option<String>,
    /// Customer IP (default `127.0.0.1`).
    #[serde(default)]
    pub ip: Option<String>,
    /// When it was authorised (default: sandbox now).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Which pending maintenance to finalise and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PfSettle {
    /// Only this environment.
    #[serde(default)]
    pub env: Option<Env>,
    /// Only this PAYID.
    #[serde(default)]
    pub payid: Option<u64>,
    /// The acquirer refuses (93/83/63) instead of accepting (9/8/6).
    #[serde(default)]
    pub refuse: bool,
}

/// Forces the STATUS of one history level, as the platform may report codes a client does not
/// know (or change a level behind the merchant's back). For tests of status mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PfForceStatus {
    /// Environment.
    pub env: Env,
    /// PAYID.
    pub payid: u64,
    /// History level.
    pub payidsub: u32,
    /// The STATUS to report from now on (any number, known or not).
    pub status: u16,
}

/// The customer's action on a waiting payment page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PfCustomer {
    /// Environment.
    pub env: Env,
    /// Merchant.
    pub pspid: String,
    /// Order id.
    pub orderid: String,
    /// accept / decline / cancel / uncertain.
    pub action: Action,
}

/// How DirectLink query answers are shaped, for tests of what a client makes of answers the
/// platform is documented or known to give: attributes left out (a preflight must name a field
/// it needs and does not get), or a PAYID-only query answered with `PAYIDSUB=""` (as in public
/// client fixtures, `marlon-be/marlon-ogone` `DirectLinkQueryResponseTest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PfAnswers {
    /// Attributes left out of every `querydirect` answer (names as the platform writes them).
    pub drop_query_attributes: Vec<String>,
    /// A query without PAYIDSUB answers `PAYIDSUB=""` instead of the latest level.
    pub latest_without_payidsub: bool,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    env: Option<Env>,
    pspid: Option<String>,
    orderid: Option<String>,
}

/// Routes under `/admin/postfinance`.
pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/merchants", post(add_merchant))
        .route("/transactions", post(add_transaction).get(list))
        .route("/transactions/{env}/{payid}", get(one))
        .route("/settle", post(settle))
        .route("/status", post(force_status))
        .route("/sessions", get(sessions))
        .route("/customer", post(customer))
        .route("/answers", post(answers))
        .with_state(shared)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::bad("body", e))
}

/// Adds or replaces a merchant (shared with the demo loader).
pub(crate) fn insert_merchant(state: &mut super::State, m: Merchant) -> Result<(), AdminError> {
    if m.pspid.is_empty() {
        return Err(AdminError::bad("pspid", "must not be empty"));
    }
    if let Some(other) =
        [Env::Test, Env::Prod].into_iter().find(|e| *e != m.env && state.merchant(*e, &m.pspid).is_some())
    {
        return Err(AdminError::bad(
            "pspid",
            format!("{} exists in {other:?}; an account lives in one environment", m.pspid),
        ));
    }
    state.merchants.insert((m.env, m.pspid.clone()), m);
    Ok(())
}

async fn add_merchant(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    insert_merchant(&mut Shared::lock(&s.0.postfinance), parse(&body)?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a transaction (shared with the demo loader).
pub(crate) fn insert_transaction(
    state: &mut super::State,
    t: PfTransaction,
    now: DateTime<Utc>,
) -> Result<Transaction, AdminError> {
    let Some(m) = state.merchant(t.env, &t.pspid).cloned() else {
        return Err(AdminError::bad("pspid", format!("no merchant {} in {:?}", t.pspid, t.env)));
    };
    let status = t.status.unwrap_or(5);
    if status != 5 && status != 9 {
        return Err(AdminError::bad("status", "5 (authorised) or 9 (sold)"));
    }
    if t.amount <= 0 {
        return Err(AdminError::bad("amount", "must be positive (minor units)"));
    }
    if let Some(p) = t.payid
        && state.transactions.iter().any(|x| x.payid == p)
    {
        return Err(AdminError::bad("payid", format!("{p} exists")));
    }
    let payid = t.payid.unwrap_or_else(|| state.next_payid());
    let pm = t.pm.unwrap_or_else(|| "CreditCard".into());
    let brand = t.brand.unwrap_or_else(|| if pm == "CreditCard" { "VISA".into() } else { pm.clone() });
    let swissbilling = super::model::is_swissbilling(&pm, &brand);
    let cardno = t.cardno.unwrap_or_else(|| if swissbilling { String::new() } else { "4111111111111111".into() });
    let at = t.at.unwrap_or(now);
    let tx = Transaction {
        env: t.env,
        pspid: t.pspid,
        payid,
        orderid: t.orderid,
        amount: t.amount,
        currency: t.currency.unwrap_or_else(|| "CHF".into()),
        pm,
        brand,
        cardno: mask(&cardno),
        ed: if swissbilling { String::new() } else { "1230".into() },
        cn: String::new(),
        ip: t.ip.unwrap_or_else(|| "127.0.0.1".into()),
        acceptance: format!("{:06}", payid % 1_000_000),
        authorised_until: at + Duration::days(i64::from(m.auth_validity_days)),
        history: vec![HistoryItem {
            payidsub: 0,
            kind: Kind::Order,
            operation: if status == 9 { "SAL" } else { "RES" }.into(),
            amount: t.amount,
            status,
            at,
            due: None,
            settled_at: Some(at),
            source: "admin".into(),
        }],
    };
    state.transactions.push(tx.clone());
    Ok(tx)
}

async fn add_transaction(
    AxState(s): AxState<Shared>,
    body: Bytes,
) -> Result<(StatusCode, Json<Transaction>), AdminError> {
    let t: PfTransaction = parse(&body)?;
    let now = s.now();
    let tx = insert_transaction(&mut Shared::lock(&s.0.postfinance), t, now)?;
    Ok((StatusCode::CREATED, Json(tx)))
}

async fn list(AxState(s): AxState<Shared>, Query(q): Query<ListQuery>) -> Json<Vec<Transaction>> {
    let now = s.now();
    let mut state = Shared::lock(&s.0.postfinance);
    let out = state
        .transactions
        .iter_mut()
        .filter(|t| q.env.is_none_or(|e| t.env == e))
        .filter(|t| q.pspid.as_ref().is_none_or(|p| &t.pspid == p))
        .filter(|t| q.orderid.as_ref().is_none_or(|o| &t.orderid == o))
        .map(|t| {
            t.settle_due(now);
            t.clone()
        })
        .collect();
    Json(out)
}

async fn one(
    AxState(s): AxState<Shared>,
    Path((env, payid)): Path<(String, u64)>,
) -> Result<Json<Transaction>, AdminError> {
    let env = Env::parse(&env).ok_or_else(|| AdminError::bad("env", "test or prod"))?;
    let now = s.now();
    let mut state = Shared::lock(&s.0.postfinance);
    let tx = state.transactions.iter_mut().find(|t| t.env == env && t.payid == payid);
    let tx = tx.ok_or_else(|| AdminError::not_found(format!("transaction {payid}")))?;
    tx.settle_due(now);
    Ok(Json(tx.clone()))
}

async fn settle(AxState(s): AxState<Shared>, body: Bytes) -> Result<Json<serde_json::Value>, AdminError> {
    let req: PfSettle = if body.is_empty() { PfSettle::default() } else { parse(&body)? };
    let now = s.now();
    let mut state = Shared::lock(&s.0.postfinance);
    let n: usize = state
        .transactions
        .iter_mut()
        .filter(|t| req.env.is_none_or(|e| t.env == e) && req.payid.is_none_or(|p| t.payid == p))
        .map(|t| t.settle_all(now, !req.refuse))
        .sum();
    Ok(Json(serde_json::json!({ "settled": n })))
}

async fn force_status(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let req: PfForceStatus = parse(&body)?;
    let mut state = Shared::lock(&s.0.postfinance);
    let tx = state.transactions.iter_mut().find(|t| t.env == req.env && t.payid == req.payid);
    let tx = tx.ok_or_else(|| AdminError::not_found(format!("transaction {}", req.payid)))?;
    let level = tx.history.iter_mut().find(|h| h.payidsub == req.payidsub);
    let level = level.ok_or_else(|| AdminError::not_found(format!("level {} of {}", req.payidsub, req.payid)))?;
    level.status = req.status;
    level.due = None;
    Ok(StatusCode::NO_CONTENT)
}

async fn sessions(AxState(s): AxState<Shared>) -> Json<Vec<Session>> {
    Json(Shared::lock(&s.0.postfinance).sessions.values().cloned().collect())
}

async fn customer(AxState(s): AxState<Shared>, body: Bytes) -> Result<Json<CustomerOutcome>, AdminError> {
    let c: PfCustomer = parse(&body)?;
    let now = s.now();
    let mut state = Shared::lock(&s.0.postfinance);
    let key = (c.env, c.pspid, c.orderid);
    let outcome = act(&mut state, &key, c.action, now)
        .ok_or_else(|| AdminError::not_found(format!("payment page for order {} of {}", key.2, key.1)))?;
    let post = state.merchant(key.0, &key.1).and_then(|m| {
        m.postsale_url.clone().map(|url| super::postsale::PostSale {
            url,
            params: outcome.params.clone(),
            retry: std::time::Duration::from_millis(m.postsale_retry_ms),
        })
    });
    drop(state);
    if let Some(p) = post {
        super::postsale::send(&s, p);
    }
    Ok(Json(outcome))
}

async fn answers(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    Shared::lock(&s.0.postfinance).answers = parse(&body)?;
    Ok(StatusCode::NO_CONTENT)
}
