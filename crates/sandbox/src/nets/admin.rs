//! Admin routes under `/admin/nets`: configuration, accounts and terminals, driving the
//! customer on a terminal, auto modes for benchmarks, and the transaction history.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::state::{AutoMode, NetsConfig, NetsTransaction, Terminal, TxOutcome};
use super::terminal::{CustomerAction, DriveError};
use crate::admin::AdminError;
use crate::shared::Shared;

/// An account's login credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetsAccount {
    /// Login user name.
    pub username: String,
    /// Login password.
    pub password: String,
}

/// A terminal to create (or update) on an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetsTerminalSeed {
    /// Terminal id issued by Nets.
    pub terminal_id: String,
    /// The account it is bound to.
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Connected to the cloud (false: state `offline`).
    #[serde(default = "yes")]
    pub connected: bool,
    /// Currency printed on receipts.
    #[serde(default = "chf")]
    pub currency: String,
    /// IANA time zone the terminal reports its times in.
    #[serde(default = "zurich")]
    pub time_zone: String,
    /// Behaviour of its customer.
    #[serde(default)]
    pub mode: AutoMode,
}

impl NetsTerminalSeed {
    /// A connected, manually driven CHF terminal.
    pub fn new(terminal_id: &str, username: &str) -> Self {
        NetsTerminalSeed {
            terminal_id: terminal_id.to_owned(),
            username: username.to_owned(),
            name: terminal_id.to_owned(),
            connected: true,
            currency: chf(),
            time_zone: zurich(),
            mode: AutoMode::Manual,
        }
    }
}

/// A terminal as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetsTerminalView {
    /// Terminal id.
    pub terminal_id: String,
    /// Display name.
    pub name: String,
    /// Account.
    pub username: String,
    /// Connected to the cloud.
    pub connected: bool,
    /// `idle`, `busy` or `offline`.
    pub state: String,
    /// Currency.
    pub currency: String,
    /// Time zone of its clock.
    pub time_zone: String,
    /// Customer behaviour.
    pub mode: AutoMode,
    /// The transaction in flight.
    pub current: Option<NetsTransaction>,
    /// What a last-result lookup would report.
    pub last: Option<NetsTransaction>,
    /// Every transaction of this terminal (only on the single-terminal view).
    pub history: Vec<NetsTransaction>,
}

/// Body of `POST /admin/nets/terminals/{id}/customer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetsCustomer {
    /// What the customer does.
    pub action: CustomerAction,
    /// For `decline`: the issuer's response code (`51` default, `54`, `58`, `87`, or `Z3` for
    /// the terminal's offline decline); for `reject`: the terminal's reason (`3:0` default,
    /// `3:3` duplicate, `4:1` amount too low, `1:2` menu open).
    #[serde(default)]
    pub code: Option<String>,
}

impl NetsCustomer {
    /// An action without a code.
    pub fn new(action: CustomerAction) -> Self {
        NetsCustomer { action, code: None }
    }
}

/// Body of `POST /admin/nets/terminals/{id}/connection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetsConnection {
    /// Connected to the cloud.
    pub connected: bool,
}

/// Every transaction of every terminal, and how many still wait for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetsTransactions {
    /// In start order.
    pub transactions: Vec<NetsTransaction>,
    /// Transactions still in progress.
    pub in_progress: usize,
}

fn yes() -> bool {
    true
}

fn chf() -> String {
    "CHF".into()
}

fn zurich() -> String {
    "Europe/Zurich".into()
}

/// The admin router (nested under `/admin/nets`).
pub(crate) fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/config", get(get_config).post(set_config))
        .route("/accounts", post(add_account))
        .route("/terminals", get(list_terminals).post(add_terminal))
        .route("/terminals/{id}", get(view_terminal))
        .route("/terminals/{id}/customer", post(customer))
        .route("/terminals/{id}/mode", post(set_mode))
        .route("/terminals/{id}/connection", post(set_connection))
        .route("/mode", post(set_mode_all))
        .route("/transactions", get(transactions))
        .with_state(shared)
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::bad("body", e))
}

async fn get_config(State(s): State<Shared>) -> Json<NetsConfig> {
    Json(Shared::lock(&s.0.nets).config.clone())
}

async fn set_config(State(s): State<Shared>, body: Bytes) -> Result<Json<NetsConfig>, AdminError> {
    let c: NetsConfig = parse(&body)?;
    c.validate().map_err(|e| AdminError(StatusCode::BAD_REQUEST, e))?;
    Shared::lock(&s.0.nets).config = c.clone();
    Ok(Json(c))
}

async fn add_account(State(s): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let a: NetsAccount = parse(&body)?;
    if a.username.is_empty() {
        return Err(AdminError::bad("username", "must not be empty"));
    }
    Shared::lock(&s.0.nets).accounts.insert(a.username, a.password);
    Ok(StatusCode::NO_CONTENT)
}

async fn add_terminal(State(s): State<Shared>, body: Bytes) -> Result<Json<NetsTerminalView>, AdminError> {
    let seed: NetsTerminalSeed = parse(&body)?;
    if seed.terminal_id.is_empty() {
        return Err(AdminError::bad("terminal_id", "must not be empty"));
    }
    let time_zone: chrono_tz::Tz =
        seed.time_zone.parse().map_err(|_| AdminError::bad("time_zone", "not an IANA time zone"))?;
    let mut st = Shared::lock(&s.0.nets);
    if !st.accounts.contains_key(&seed.username) {
        return Err(AdminError::bad("username", "unknown account (create it first)"));
    }
    let t = st.terminals.entry(seed.terminal_id.clone()).or_insert_with(|| Terminal {
        id: seed.terminal_id.clone(),
        name: String::new(),
        account: String::new(),
        connected: true,
        currency: String::new(),
        time_zone,
        mode: AutoMode::Manual,
        current: None,
        last: None,
    });
    t.name = if seed.name.is_empty() { seed.terminal_id.clone() } else { seed.name };
    t.account = seed.username;
    t.connected = seed.connected;
    t.currency = seed.currency;
    t.time_zone = time_zone;
    t.mode = seed.mode;
    view(&st, &seed.terminal_id, false).map(Json)
}

async fn list_terminals(State(s): State<Shared>) -> Json<Vec<NetsTerminalView>> {
    let now = s.now();
    let mut st = Shared::lock(&s.0.nets);
    st.expire(now);
    let ids: Vec<String> = st.terminals.keys().cloned().collect();
    Json(ids.iter().filter_map(|id| view(&st, id, false).ok()).collect())
}

async fn view_terminal(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<NetsTerminalView>, AdminError> {
    let now = s.now();
    let mut st = Shared::lock(&s.0.nets);
    st.expire(now);
    view(&st, &id, true).map(Json)
}

async fn customer(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<NetsTransaction>, AdminError> {
    let c: NetsCustomer = parse(&body)?;
    let now = s.now();
    let mut st = Shared::lock(&s.0.nets);
    st.drive(&id, c.action, c.code, now).map(Json).map_err(|e| match e {
        DriveError::NotFound => AdminError::not_found(format!("terminal {id}")),
        DriveError::Idle => AdminError(StatusCode::CONFLICT, "terminal: no transaction in progress".into()),
        DriveError::Authorised => {
            AdminError(StatusCode::CONFLICT, "action: the card is already authorised, the payment will complete".into())
        }
    })
}

async fn set_mode(State(s): State<Shared>, Path(id): Path<String>, body: Bytes) -> Result<StatusCode, AdminError> {
    let mode: AutoMode = parse(&body)?;
    let mut st = Shared::lock(&s.0.nets);
    let t = st.terminals.get_mut(&id).ok_or_else(|| AdminError::not_found(format!("terminal {id}")))?;
    t.mode = mode;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_mode_all(State(s): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let mode: AutoMode = parse(&body)?;
    let mut st = Shared::lock(&s.0.nets);
    st.terminals.values_mut().for_each(|t| t.mode = mode.clone());
    Ok(StatusCode::NO_CONTENT)
}

async fn set_connection(
    State(s): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, AdminError> {
    let c: NetsConnection = parse(&body)?;
    let mut st = Shared::lock(&s.0.nets);
    let t = st.terminals.get_mut(&id).ok_or_else(|| AdminError::not_found(format!("terminal {id}")))?;
    t.connected = c.connected;
    Ok(StatusCode::NO_CONTENT)
}

async fn transactions(State(s): State<Shared>) -> Json<NetsTransactions> {
    let now = s.now();
    let mut st = Shared::lock(&s.0.nets);
    st.expire(now);
    let transactions = st.transactions.clone();
    let in_progress = transactions.iter().filter(|t| t.outcome == TxOutcome::InProgress).count();
    Json(NetsTransactions { transactions, in_progress })
}

fn view(st: &super::State, id: &str, with_history: bool) -> Result<NetsTerminalView, AdminError> {
    let t = st.terminals.get(id).ok_or_else(|| AdminError::not_found(format!("terminal {id}")))?;
    let at = |i: Option<usize>| i.and_then(|i| st.transactions.get(i)).cloned();
    let history = if with_history {
        st.transactions.iter().filter(|x| x.terminal_id == id).cloned().collect()
    } else {
        Vec::new()
    };
    Ok(NetsTerminalView {
        terminal_id: t.id.clone(),
        name: t.name.clone(),
        username: t.account.clone(),
        connected: t.connected,
        state: t.state_name().to_owned(),
        currency: t.currency.clone(),
        time_zone: t.time_zone.name().to_owned(),
        mode: t.mode.clone(),
        current: at(t.current.as_ref().map(|f| f.tx)),
        last: at(t.last),
        history,
    })
}
