//! The Nets Connect@Cloud client (external-apis.md §2, sandbox `nets` module docs): login with a
//! per-tenant token cache (a 401 logs in again once), terminal list and state, the blocking
//! purchase, the last-result lookup, `cancelAction` and void. Timeouts are per operation; the
//! purchase's is sized for a customer at the terminal (it blocks until they finish). Only reads
//! are retried (with capped backoff); a purchase is never sent twice — a lost answer becomes
//! [`TerminalOutcome::Unknown`], resolved by reading the terminal state and the last result.

pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::TenantId;
use crate::domain::correlate::LastResult;
use crate::domain::payment::TerminalOutcome;

/// System label for metrics.
const SYSTEM: &str = "nets";

/// One tenant's token slot: the async mutex makes concurrent logins single-flight.
type TokenSlot = Arc<tokio::sync::Mutex<Option<SecretString>>>;

/// A tenant's login. `Debug` never shows the password.
#[derive(Clone)]
pub struct NetsLogin {
    /// Tenant the token is cached for.
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
    /// Login (10 s in production integrations).
    pub login: Duration,
    /// Reads and cancel (10 s).
    pub request: Duration,
    /// The blocking purchase (300 s: longer than the terminal's own timeout).
    pub purchase: Duration,
    /// Void (60 s).
    pub void: Duration,
}

impl Default for NetsTimeouts {
    fn default() -> Self {
        NetsTimeouts {
            login: Duration::from_secs(10),
            request: Duration::from_secs(10),
            purchase: Duration::from_secs(300),
            void: Duration::from_secs(60),
        }
    }
}

/// Why a Nets call did not give an answer we can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetsError {
    /// Nets refused the login.
    #[error("Nets refused the login: {0}")]
    LoginRefused(String),
    /// The terminal (or transaction) does not exist for this account.
    #[error("not found at Nets: {0}")]
    NotFound(String),
    /// Nets refused the request (4xx).
    #[error("Nets refused the request ({status}): {text}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Nets' error text.
        text: String,
    },
    /// Nets could not be reached, timed out or failed (5xx); nothing is known.
    #[error("Nets unavailable: {0}")]
    Unavailable(String),
    /// No connection could be opened: the request was certainly not sent.
    #[error("Nets unreachable: {0}")]
    Unreachable(String),
}

/// The answer of one HTTP exchange.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Client of one Connect@Cloud installation.
#[derive(Clone)]
pub struct NetsClient {
    http: reqwest::Client,
    base: String,
    timeouts: NetsTimeouts,
    /// Cached bearer token per tenant; the inner async mutex makes concurrent logins of one
    /// tenant single-flight.
    tokens: Arc<Mutex<HashMap<TenantId, TokenSlot>>>,
}

impl NetsClient {
    /// A client for `base` (e.g. `https://connectcloud.aws.nets.eu`).
    pub fn new(base: &str, timeouts: NetsTimeouts) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()?;
        Ok(NetsClient { http, base: base.trim_end_matches('/').to_owned(), timeouts, tokens: Arc::default() })
    }

    /// Forgets a tenant's cached token (after its credentials changed).
    pub fn forget(&self, tenant: &TenantId) {
        self.lock_tokens().remove(tenant);
    }

    /// Logs in and returns nothing but success; used to verify new credentials.
    pub async fn verify_login(&self, login: &NetsLogin) -> Result<(), NetsError> {
        self.login(login).await.map(|_| ())
    }

    /// Ids of the terminals on the account.
    pub async fn terminal_ids(&self, login: &NetsLogin) -> Result<Vec<String>, NetsError> {
        let a = self.read(login, "status", "/v1/terminal".to_owned()).await?;
        check(&a)?;
        wire::terminal_ids(&a.body).ok_or_else(|| NetsError::Unavailable("unreadable terminal list".into()))
    }

    /// The terminal's state: `idle`, `busy` or `offline`.
    pub async fn terminal_state(&self, login: &NetsLogin, terminal: &str) -> Result<String, NetsError> {
        let a = self.read(login, "status", format!("/v1/terminal/{terminal}")).await?;
        check(&a)?;
        wire::terminal_state(&a.body).ok_or_else(|| NetsError::Unavailable("unreadable terminal state".into()))
    }

    /// Starts a purchase and blocks until the terminal finishes. Never fails: a lost or
    /// unreadable answer is [`TerminalOutcome::Unknown`].
    pub async fn purchase(
        &self,
        login: &NetsLogin,
        terminal: &str,
        amount_minor: i64,
        order_ref: &str,
    ) -> TerminalOutcome {
        let body = wire::PurchaseBody { transaction_type: "purchase", amount: amount_minor, order_id: order_ref };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let path = format!("/v1/terminal/{terminal}/transaction");
        match self.call(login, "start", Method::POST, &path, Some(body), self.timeouts.purchase).await {
            Ok(a) => wire::purchase_outcome(a.status, &a.body),
            Err(NetsError::LoginRefused(t)) => {
                TerminalOutcome::Refused(crate::domain::payment::Refusal::Rejected, format!("login refused: {t}"))
            }
            // Never sent, so nothing runs at the terminal: a failure, not an unknown.
            Err(NetsError::Unreachable(t)) => {
                TerminalOutcome::Refused(crate::domain::payment::Refusal::Rejected, format!("Nets unreachable: {t}"))
            }
            Err(e) => TerminalOutcome::Unknown(e.to_string()),
        }
    }

    /// The terminal's last transaction. **Aborts a transaction in progress** (observed Nets
    /// behaviour): call it only when [`NetsClient::terminal_state`] said `idle`.
    pub async fn last_result(
        &self,
        login: &NetsLogin,
        terminal: &str,
    ) -> Result<Option<(LastResult, TerminalOutcome)>, NetsError> {
        let path = format!("/v1/terminal/{terminal}/transaction");
        let a = self.call(login, "last_result", Method::GET, &path, None, self.timeouts.request).await?;
        if a.status == 404 && wire::error_text(&a.body).to_ascii_lowercase().contains("no transaction") {
            return Ok(None);
        }
        check(&a)?;
        wire::last_result(&a.body).map(Some).ok_or_else(|| NetsError::Unavailable("unreadable last result".into()))
    }

    /// `cancelAction`: cancels what the terminal is doing (before card authorisation).
    pub async fn cancel(&self, login: &NetsLogin, terminal: &str) -> Result<(), NetsError> {
        let path = format!("/v1/terminal/{terminal}/administration");
        let body = serde_json::to_vec(&serde_json::json!({ "action": "cancelAction" })).unwrap_or_default();
        let a = self.call(login, "cancel", Method::POST, &path, Some(body), self.timeouts.request).await?;
        check(&a)
    }

    /// Voids (reverses) the terminal's last transaction of `amount_minor`.
    pub async fn void(&self, login: &NetsLogin, terminal: &str, amount_minor: i64) -> Result<(), NetsError> {
        let path = format!("/v1/terminal/{terminal}/transaction");
        let body = serde_json::to_vec(&serde_json::json!({ "amount": amount_minor })).unwrap_or_default();
        let a = self.call(login, "void", Method::DELETE, &path, Some(body), self.timeouts.void).await?;
        check(&a)
    }

    /// A GET, retried with capped backoff on transport errors and 5xx (reads are idempotent —
    /// but never the last-result lookup, which has a side effect).
    async fn read(&self, login: &NetsLogin, op: &'static str, path: String) -> Result<Answer, NetsError> {
        let mut delay = Duration::from_millis(100);
        for attempt in 0..3 {
            match self.call(login, op, Method::GET, &path, None, self.timeouts.request).await {
                Ok(a) if a.status < 500 => return Ok(a),
                Ok(a) if attempt == 2 => return Ok(a),
                Err(e) if attempt == 2 => return Err(e),
                Err(NetsError::Unavailable(_) | NetsError::Unreachable(_)) | Ok(_) => {}
                Err(e) => return Err(e),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
        Err(NetsError::Unavailable("retries exhausted".into()))
    }

    /// One authenticated call; a 401 logs in again and repeats it once (a 401 means Nets did
    /// not act on it).
    async fn call(
        &self,
        login: &NetsLogin,
        op: &'static str,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Answer, NetsError> {
        for fresh in [false, true] {
            let token = self.token(login, fresh).await?;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .timeout(timeout)
                .bearer_auth(token.expose_secret());
            if let Some(b) = &body {
                req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.clone());
            }
            let answer = self.send(op, req).await?;
            if answer.status != StatusCode::UNAUTHORIZED.as_u16() {
                return Ok(answer);
            }
            tracing::info!(tenant = %login.tenant, operation = op, "Nets token refused; logging in again");
        }
        Err(NetsError::LoginRefused("token refused right after login".into()))
    }

    async fn send(&self, op: &'static str, req: reqwest::RequestBuilder) -> Result<Answer, NetsError> {
        let started = Instant::now();
        let result = match req.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(b) => Ok(Answer { status, body: b.to_vec() }),
                    Err(e) => Err(NetsError::Unavailable(format!("answer cut off: {e}"))),
                }
            }
            Err(e) if e.is_timeout() => Err(NetsError::Unavailable("timed out".into())),
            Err(e) if e.is_connect() => Err(NetsError::Unreachable(format!("cannot connect: {e}"))),
            Err(e) => Err(NetsError::Unavailable(format!("transport: {e}"))),
        };
        let outcome = match &result {
            Ok(a) if a.status < 400 => "ok",
            Ok(a) if a.status < 500 => "refused",
            Ok(_) => "error",
            Err(_) => "unavailable",
        };
        kit::metrics::external_call(SYSTEM, op, outcome, started.elapsed());
        result
    }

    /// The cached token, or a fresh login when none is cached or `fresh` is asked for.
    async fn token(&self, login: &NetsLogin, fresh: bool) -> Result<SecretString, NetsError> {
        let slot = self.lock_tokens().entry(login.tenant.clone()).or_default().clone();
        let mut cached = slot.lock().await;
        if let (false, Some(t)) = (fresh, cached.as_ref()) {
            return Ok(t.clone());
        }
        let token = self.login(login).await?;
        *cached = Some(token.clone());
        Ok(token)
    }

    async fn login(&self, login: &NetsLogin) -> Result<SecretString, NetsError> {
        let body = wire::LoginBody { username: &login.username, password: login.password.expose_secret() };
        let req = self.http.post(format!("{}/v1/login", self.base)).timeout(self.timeouts.login).json(&body);
        let a = self.send("login", req).await?;
        if a.status == 200 {
            let v: serde_json::Value = serde_json::from_slice(&a.body)
                .map_err(|_| NetsError::Unavailable("unreadable login answer".into()))?;
            return v
                .get("token")
                .and_then(serde_json::Value::as_str)
                .map(|t| SecretString::from(t.to_owned()))
                .ok_or_else(|| NetsError::Unavailable("login answer without token".into()));
        }
        if (400..500).contains(&a.status) {
            return Err(NetsError::LoginRefused(wire::error_text(&a.body)));
        }
        Err(NetsError::Unavailable(format!("login answered {}", a.status)))
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, TokenSlot>> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Maps a non-success answer of a read or an administration call to an error.
fn check(a: &Answer) -> Result<(), NetsError> {
    match a.status {
        200..=299 => Ok(()),
        404 => Err(NetsError::NotFound(wire::error_text(&a.body))),
        400..=499 => Err(NetsError::Refused { status: a.status, text: wire::error_text(&a.body) }),
        s => Err(NetsError::Unavailable(format!("answered {s}: {}", wire::error_text(&a.body)))),
    }
}
