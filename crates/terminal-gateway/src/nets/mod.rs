//! The Nets Connect@Cloud client: every call goes through `kit::outbound` (spans and the
//! `payops_external_*` metrics per attempt) and every answer is read fail-closed
//! ([`wire`], contract cases `crates/sandbox/contracts/nets/`).
//!
//! - **Login** per tenant, single-flight, cached with what the answer says: the token, the API
//!   user and the account's terminal ids. The token is renewed before its JWT `exp` (a quarter
//!   of its lifetime, at most ten minutes ahead, as NaviPartner does "so it does not expire in
//!   the middle of a transaction"); a 401 still logs in again and repeats the call once. A
//!   failed login is remembered for a few seconds so many waiting callers fail fast during an
//!   outage instead of queueing one login timeout each.
//! - **Reads** (terminal list and state) are retried by the outbound client; the **last-result
//!   lookup** is never retried (it aborts a transaction in progress); purchases, returns of
//!   goods, cancels and voids are sent once.
//! - **Timeouts** per call, from the integrators: login, list, state and cancel 10 s;
//!   lookup 60 s; void 60 s; purchase 300 s (NaviPartner's values). The engine lets go of a
//!   purchase call earlier, at its own timeout plus grace.

pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use kit::contract::ContractError;
use kit::outbound::{Outbound, OutboundConfig, describe};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::TenantId;
use crate::domain::correlate::LastResult;
use crate::domain::payment::{TerminalOutcome, VoidState};
use wire::SYSTEM;

/// How long a failed login answers for itself before the next caller tries again.
const LOGIN_BACKOFF: Duration = Duration::from_secs(5);

/// A tenant's login. `Debug` never shows the password.
#[derive(Clone)]
pub struct NetsLogin {
    /// Tenant the session is cached for.
    pub tenant: TenantId,
    /// User name.
    pub username: String,
    /// Password.
    pub password: SecretString,
}

impl std::fmt::Debug for NetsLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetsLogin").field("tenant", &self.tenant).field("password", &"[redacted]").finish()
    }
}

/// Per-operation timeouts.
#[derive(Debug, Clone, Copy)]
pub struct NetsTimeouts {
    /// Login.
    pub login: Duration,
    /// Terminal list and state, cancel.
    pub request: Duration,
    /// The last-result lookup.
    pub lookup: Duration,
    /// The blocking purchase or return of goods.
    pub purchase: Duration,
    /// Void.
    pub void: Duration,
}

impl Default for NetsTimeouts {
    fn default() -> Self {
        NetsTimeouts {
            login: Duration::from_secs(10),
            request: Duration::from_secs(10),
            lookup: Duration::from_secs(60),
            purchase: Duration::from_secs(300),
            void: Duration::from_secs(60),
        }
    }
}

/// A transaction the terminal runs for a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// `purchase`.
    Purchase,
    /// `returnOfGoods`: money back to the presented card.
    ReturnOfGoods,
}

impl Transaction {
    fn wire(self) -> (&'static str, &'static str) {
        match self {
            Transaction::Purchase => ("purchase", "purchase"),
            Transaction::ReturnOfGoods => ("returnOfGoods", "refund"),
        }
    }
}

/// Why a Nets call did not give an answer we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetsError {
    /// Nets refused the login.
    #[error("Nets refused the login: {0}")]
    LoginRefused(String),
    /// Nets does not know it.
    #[error("not found at Nets: {0}")]
    NotFound(String),
    /// Nets refused the request.
    #[error("Nets refused the request ({status}): {text}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Nets' error text.
        text: String,
    },
    /// Nets could not be reached, timed out or failed; the request may have arrived.
    #[error("Nets unavailable: {0}")]
    Unavailable(String),
    /// No connection could be opened: the request was certainly not sent.
    #[error("Nets unreachable: {0}")]
    Unreachable(String),
    /// An answer that tells nothing certain (never success, never a refusal).
    #[error("Nets answer tells nothing: {0}")]
    Unknown(String),
    /// The answer breaks its contract (counted in `payops_contract_violations_total`).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// What a login told about the account.
#[derive(Clone)]
pub struct Session {
    token: SecretString,
    /// The API user the token is for.
    pub username: String,
    /// Ids of the terminals the account has (shared: every start reads the cached session, and
    /// a merchant group's account lists thousands — a copy per start was most of its allocation).
    pub terminals: Arc<[String]>,
    /// The token's `iat` (Nets' clock), when the token is a readable JWT.
    pub issued_at: Option<DateTime<Utc>>,
    /// When to log in again before the token runs out.
    refresh_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("username", &self.username).field("terminals", &self.terminals).finish()
    }
}

#[derive(Default)]
struct Slot {
    session: Option<Session>,
    failed: Option<(Instant, NetsError)>,
}

/// One tenant's session slot; the async mutex makes its logins single-flight.
type SlotRef = Arc<tokio::sync::Mutex<Slot>>;

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Client of one Connect@Cloud installation.
#[derive(Clone)]
pub struct NetsClient {
    out: Outbound,
    base: String,
    timeouts: NetsTimeouts,
    clock: SharedClock,
    /// Cached session per tenant (each behind its own async mutex).
    sessions: Arc<Mutex<HashMap<TenantId, SlotRef>>>,
}

impl NetsClient {
    /// A client for `base` (e.g. `https://connectcloud.aws.nets.eu`).
    pub fn new(base: &str, timeouts: NetsTimeouts, clock: SharedClock) -> Result<Self, reqwest::Error> {
        let out = Outbound::new(SYSTEM, &OutboundConfig::with_timeout(timeouts.purchase))?;
        Ok(NetsClient { out, base: base.trim_end_matches('/').to_owned(), timeouts, clock, sessions: Arc::default() })
    }

    /// Forgets a tenant's session (after its credentials changed).
    pub fn forget(&self, tenant: &TenantId) {
        self.lock().remove(tenant);
    }

    /// The tenant's session: cached, or a fresh login when `fresh` or none is usable.
    pub async fn session(&self, login: &NetsLogin, fresh: bool) -> Result<Session, NetsError> {
        let slot = self.lock().entry(login.tenant.clone()).or_default().clone();
        let mut s = slot.lock().await;
        let now = self.clock.now();
        if let (false, Some(cur)) = (fresh, s.session.as_ref())
            && cur.refresh_at.is_none_or(|r| now < r)
        {
            return Ok(cur.clone());
        }
        if let (false, Some((at, e))) = (fresh, s.failed.as_ref())
            && at.elapsed() < LOGIN_BACKOFF
        {
            return Err(e.clone());
        }
        match self.login(login).await {
            Ok(session) => {
                s.session = Some(session.clone());
                s.failed = None;
                Ok(session)
            }
            Err(e) => {
                s.failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// Ids of the terminals on the account (`GET /v1/terminal`).
    pub async fn terminal_ids(&self, login: &NetsLogin) -> Result<Vec<String>, NetsError> {
        let a = self.call(login, "terminals", Method::GET, "/v1/terminal", None, self.timeouts.request).await?;
        check(&a)?;
        Ok(wire::terminal_ids(&a.body)?)
    }

    /// The terminal's state (`idle`, `busy`, `offline`): advice only — no public source shows
    /// this call, so nothing that moves money depends on it.
    pub async fn terminal_state(&self, login: &NetsLogin, terminal: &str) -> Result<String, NetsError> {
        let path = format!("/v1/terminal/{terminal}");
        let a = self.call(login, "terminal_state", Method::GET, &path, None, self.timeouts.request).await?;
        check(&a)?;
        Ok(wire::terminal_state(&a.body)?)
    }

    /// Runs a purchase or a return of goods and blocks until the terminal finishes. `Err` only
    /// for what is no outcome: a refused login or no connection (nothing was sent), a lost
    /// answer ([`NetsError::Unavailable`]) or a broken one ([`NetsError::Contract`]) — the
    /// last two leave the outcome unknown.
    pub async fn transaction(
        &self,
        login: &NetsLogin,
        terminal: &str,
        kind: Transaction,
        amount_minor: i64,
        order_ref: &str,
    ) -> Result<TerminalOutcome, NetsError> {
        let (transaction_type, op) = kind.wire();
        let body = wire::TransactionBody { transaction_type, amount: amount_minor, order_id: order_ref };
        let body = serde_json::to_vec(&body).map_err(|e| NetsError::Unreachable(e.to_string()))?;
        let path = format!("/v1/terminal/{terminal}/transaction");
        let a = self.call(login, op, Method::POST, &path, Some(body), self.timeouts.purchase).await?;
        Ok(wire::transaction(op, a.status, &a.body)?)
    }

    /// The terminal's last transaction. **Aborts a transaction in progress** (NaviPartner):
    /// the engine calls it only for the payment that holds the terminal, when nothing of it
    /// can still be running. Never retried.
    pub async fn last_result(
        &self,
        login: &NetsLogin,
        terminal: &str,
    ) -> Result<(LastResult, TerminalOutcome), NetsError> {
        let path = format!("/v1/terminal/{terminal}/transaction");
        let a = self.call(login, "lookup", Method::GET, &path, None, self.timeouts.lookup).await?;
        wire::last_result(a.status, &a.body)
    }

    /// `cancelAction`: cancels what the terminal is doing (before card authorisation). Only
    /// the status class of the answer is public: 2xx sent, anything else not.
    pub async fn cancel(&self, login: &NetsLogin, terminal: &str) -> Result<(), NetsError> {
        let path = format!("/v1/terminal/{terminal}/administration");
        let body = serde_json::to_vec(&serde_json::json!({ "action": "cancelAction" }))
            .map_err(|e| NetsError::Unreachable(e.to_string()))?;
        let a = self.call(login, "cancel", Method::POST, &path, Some(body), self.timeouts.request).await?;
        match a.status {
            200..=299 => Ok(()),
            s => Err(NetsError::Unavailable(format!("cancel answered {s}: {}", wire::error_text(&a.body)))),
        }
    }

    /// Voids (reverses) the terminal's last transaction of `amount_minor`. A lost answer is
    /// [`VoidState::Unknown`]: a void is never sent twice.
    pub async fn void(&self, login: &NetsLogin, terminal: &str, amount_minor: i64) -> Result<VoidState, NetsError> {
        let path = format!("/v1/terminal/{terminal}/transaction");
        let body = serde_json::to_vec(&serde_json::json!({ "amount": amount_minor }))
            .map_err(|e| NetsError::Unreachable(e.to_string()))?;
        match self.call(login, "void", Method::DELETE, &path, Some(body), self.timeouts.void).await {
            Ok(a) => Ok(wire::void(a.status, &a.body)?),
            Err(NetsError::Unavailable(_)) => Ok(VoidState::Unknown),
            Err(e) => Err(e),
        }
    }

    /// One authenticated call; a 401 logs in again and repeats it once (Nets did not act on
    /// it). GETs of the list and the state are reads (retried); everything else is sent once.
    async fn call(
        &self,
        login: &NetsLogin,
        op: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Answer, NetsError> {
        let url = format!("{}{path}", self.base);
        for fresh in [false, true] {
            let session = self.session(login, fresh).await?;
            let read = method == Method::GET && op != "lookup";
            let mut req =
                if read { self.out.read(op, method.clone(), &url) } else { self.out.write(op, method.clone(), &url) };
            req = req.timeout(timeout).bearer_auth(session.token.expose_secret());
            if let Some(b) = &body {
                req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.clone());
            }
            let answer = send(req).await?;
            if answer.status != 401 {
                return Ok(answer);
            }
            tracing::info!(tenant = %login.tenant, operation = op, "Nets refused the token; logging in again");
        }
        Err(NetsError::LoginRefused("token refused right after login".into()))
    }

    async fn login(&self, login: &NetsLogin) -> Result<Session, NetsError> {
        let body = wire::LoginBody { username: &login.username, password: login.password.expose_secret() };
        let req = self
            .out
            .write("login", Method::POST, &format!("{}/v1/login", self.base))
            .timeout(self.timeouts.login)
            .json(&body);
        let a = send(req).await?;
        match a.status {
            200 => {}
            400..=499 => return Err(NetsError::LoginRefused(wire::error_text(&a.body))),
            s => return Err(NetsError::Unavailable(format!("login answered {s}"))),
        }
        let answer = wire::login(&a.body)?;
        let (issued_at, expires_at) = jwt_times(&answer.token);
        let refresh_at = match (issued_at, expires_at) {
            (Some(i), Some(e)) if e > i => Some(e - ((e - i) / 4).min(chrono::Duration::minutes(10))),
            (_, Some(e)) => Some(e - chrono::Duration::minutes(10)),
            _ => None,
        };
        Ok(Session {
            token: SecretString::from(answer.token),
            username: answer.username,
            terminals: answer.terminals.into(),
            issued_at,
            refresh_at,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, SlotRef>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn send(req: reqwest_middleware::RequestBuilder) -> Result<Answer, NetsError> {
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.bytes().await {
                Ok(b) => Ok(Answer { status, body: b.to_vec() }),
                Err(e) => {
                    Err(NetsError::Unavailable(format!("answer cut off ({})", kit::outbound::describe_reqwest(&e))))
                }
            }
        }
        Err(e) if describe(&e) == "connect" => Err(NetsError::Unreachable("cannot connect".into())),
        Err(e) => Err(NetsError::Unavailable(describe(&e).to_owned())),
    }
}

/// `iat` and `exp` of a JWT, when readable (the token is Nets' business; unreadable claims
/// only mean no early renewal).
fn jwt_times(token: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|c| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(c.trim_end_matches('=')).ok())
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let at = |k: &str| {
        claims
            .as_ref()
            .and_then(|c| c.get(k))
            .and_then(serde_json::Value::as_i64)
            .and_then(|s| DateTime::from_timestamp(s, 0))
    };
    (at("iat"), at("exp"))
}

/// Maps a non-success answer of a read to an error.
fn check(a: &Answer) -> Result<(), NetsError> {
    match a.status {
        200..=299 => Ok(()),
        404 => Err(NetsError::NotFound(wire::error_text(&a.body))),
        400..=499 => Err(NetsError::Refused { status: a.status, text: wire::error_text(&a.body) }),
        s => Err(NetsError::Unavailable(format!("answered {s}: {}", wire::error_text(&a.body)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_lifetime_is_read_from_the_jwt_claims() {
        // The production token of the public wire log (signature cut): 24 h apart.
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VybmFtZSI6ImR5cmVsb3BwZW4iLCJpZCI6InFXYU5kNFhJS0RjM2ZqNHZnVzdZayIsImlhdCI6MTc1OTg0NDQ0NiwiZXhwIjoxNzU5OTMwODQ2fQ.sig";
        let (iat, exp) = jwt_times(t);
        assert_eq!((exp.unwrap() - iat.unwrap()).num_seconds(), 86_400);
        assert_eq!(jwt_times("opaque"), (None, None));
    }
}
