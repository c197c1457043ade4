//! The smallinvoice API v2 client, held to the cases under
//! `crates/sandbox/contracts/smallinvoice/` (CT-01 … CT-05): OAuth2 client credentials
//! (`POST /auth/access-tokens`, 12 h tokens; no refresh token for this grant — a new token is
//! requested the same way), contact search (HL-20), one contact, and a contact's invoices
//! (HL-21). Sent through `kit::outbound` (reads retried on timeouts and 502–504), answers read
//! through `kit::contract` (a needed field missing is a counted contract error).
//!
//! - The token is renewed shortly before it expires by our clock and at once when smallinvoice
//!   answers 401 (its clock is the one that counts); renewals are single-flight.
//! - Invoices are listed with `filter={"contact_id":…}` and `sort=-number`, the documented
//!   default: which other sort keys invoices take is not public, and an unknown key is a 400
//!   (2102) that would make every list fail. The contact id is checked again on our side
//!   (integrators report the filter does not always work) and the list is sorted by date here.
//! - Errors are told apart by status and smallinvoice's application code: 400/402/403 are
//!   refusals (waiting does not help), 429 is the spent hourly budget (not retried until
//!   `X-Rate-Limit-Reset`, see [`gate`]), 5xx and 503/8000 are transient.

pub mod gate;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use kit::contract::{ContractError, Json, Problem};
use kit::outbound::{Outbound, OutboundConfig, describe, describe_reqwest};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use crate::config::SmallinvoiceConfig;
pub use gate::{Budget, RateLimited};
pub use wire::{Contact, Invoice};

const SYSTEM: &str = "smallinvoice";
/// Most invoice pages read for one contact (200 invoices each).
const MAX_PAGES: usize = 10;
/// Invoices per page (the documented maximum).
const PAGE: usize = 200;

/// Why a smallinvoice call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiError {
    /// Timeout or connection failure.
    #[error("smallinvoice unavailable: {0}")]
    Unavailable(String),
    /// smallinvoice failed (5xx; 503 with code 8000 is maintenance): transient.
    #[error("smallinvoice failed ({status}{}){}", .code.map(|c| format!(", code {c}")).unwrap_or_default(), if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    ServerError {
        /// HTTP status.
        status: u16,
        /// smallinvoice's application code, when the body has one.
        code: Option<i64>,
        /// Its message.
        message: String,
    },
    /// The hourly budget is spent (429).
    #[error(transparent)]
    RateLimited(RateLimited),
    /// smallinvoice refused the request (400 bad parameter, 402 plan limit, 403 scope): waiting
    /// does not help.
    #[error("smallinvoice refused ({status}{}): {message}", .code.map(|c| format!(", code {c}")).unwrap_or_default())]
    Refused {
        /// HTTP status.
        status: u16,
        /// smallinvoice's application code.
        code: Option<i64>,
        /// Its message.
        message: String,
    },
    /// The credentials or the token were refused (401).
    #[error("smallinvoice refused the credentials: {0}")]
    Unauthorized(String),
    /// 404 for a single item.
    #[error("not found")]
    NotFound,
    /// The answer breaks its contract.
    #[error(transparent)]
    Contract(ContractError),
}

impl From<ContractError> for SiError {
    fn from(e: ContractError) -> Self {
        SiError::Contract(e)
    }
}

/// The current access token.
struct Token {
    access: SecretString,
    /// Renew from this time on (by our clock).
    renew_at: DateTime<Utc>,
    /// Bumped on every new token, so a caller that saw a 401 knows whether someone else
    /// already renewed it.
    generation: u64,
}

/// smallinvoice client.
pub struct SmallinvoiceClient {
    http: Outbound,
    gate: Arc<gate::Gate>,
    base: String,
    client_id: String,
    secret: SecretString,
    clock: SharedClock,
    /// The token; held across the token request so renewals are single-flight.
    token: Mutex<Option<Token>>,
}

impl SmallinvoiceClient {
    /// A client for `config`.
    pub fn new(config: &SmallinvoiceConfig, clock: SharedClock) -> Result<Self, reqwest::Error> {
        Self::with_outbound(config, clock, &OutboundConfig::with_timeout(config.timeout))
    }

    /// A client with its own transport settings (tests: no retries).
    pub fn with_outbound(
        config: &SmallinvoiceConfig,
        clock: SharedClock,
        out: &OutboundConfig,
    ) -> Result<Self, reqwest::Error> {
        let gate = Arc::new(gate::Gate::default());
        Ok(SmallinvoiceClient {
            http: Outbound::with_gate(SYSTEM, out, gate.clone())?,
            gate,
            base: config.base_url.clone(),
            client_id: config.client_id.clone(),
            secret: config.client_secret.clone(),
            clock,
            token: Mutex::new(None),
        })
    }

    /// The rate budget of the last answer that carried the headers.
    pub fn budget(&self) -> Option<Budget> {
        self.gate.budget()
    }

    /// Requests a new access token now (the preflight's credentials check); its lifetime.
    pub async fn authenticate(&self) -> Result<Duration, SiError> {
        let mut guard = self.token.lock().await;
        let generation = guard.as_ref().map_or(1, |t| t.generation + 1);
        let (token, lifetime) = self.request_token(generation).await?;
        *guard = Some(token);
        Ok(lifetime)
    }

    /// Contacts matching `q` (full-text), by name.
    pub async fn search_contacts(&self, q: &str, limit: u32) -> Result<Vec<Contact>, SiError> {
        const OP: &str = "list_contacts";
        let params = [
            ("q", q.to_owned()),
            ("limit", limit.to_string()),
            ("sort", "name".to_owned()),
            ("with", "main_address".to_owned()),
        ];
        let v = self.get(OP, "/contacts", &params).await?;
        Ok(wire::contacts(&Json::new(SYSTEM, OP, &v))?)
    }

    /// One contact.
    pub async fn contact(&self, id: i64) -> Result<Contact, SiError> {
        const OP: &str = "get_contact";
        let v = self.get(OP, &format!("/contacts/{id}"), &[("with", "main_address".to_owned())]).await?;
        let j = Json::new(SYSTEM, OP, &v);
        Ok(wire::contact(&j.obj("item")?)?)
    }

    /// The contact's invoices, newest first (contact id re-checked on our side).
    pub async fn invoices(&self, contact_id: i64) -> Result<Vec<Invoice>, SiError> {
        const OP: &str = "list_invoices";
        let filter = serde_json::json!({ "contact_id": contact_id }).to_string();
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let params = [
                ("filter", filter.clone()),
                ("sort", "-number".to_owned()),
                ("limit", PAGE.to_string()),
                ("offset", (page * PAGE).to_string()),
            ];
            let v = self.get(OP, "/receivables/invoices", &params).await?;
            let (rows, more) = wire::invoice_page(&Json::new(SYSTEM, OP, &v))?;
            for r in rows {
                if r.contact_id != contact_id {
                    tracing::warn!(
                        invoice = r.invoice.id,
                        "smallinvoice returned an invoice of another contact; dropped"
                    );
                    continue;
                }
                out.push(r.invoice);
            }
            if !more {
                break;
            }
            if page + 1 == MAX_PAGES {
                tracing::warn!(
                    contact_id,
                    shown = out.len(),
                    "more invoices than the hotline lists; the oldest are left out"
                );
            }
        }
        out.sort_by(|a, b| (&b.date, &b.number).cmp(&(&a.date, &a.number)));
        Ok(out)
    }

    /// A GET answered as JSON: renews the token once when smallinvoice says 401.
    async fn get(&self, op: &'static str, path: &str, q: &[(&str, String)]) -> Result<serde_json::Value, SiError> {
        let (token, generation) = self.token(None).await?;
        match self.get_once(op, path, q, &token).await {
            Err(SiError::Unauthorized(_)) => {
                // smallinvoice's clock says the token is over: renew it unless another call
                // already did, and try once more.
                let (token, _) = self.token(Some(generation)).await?;
                self.get_once(op, path, q, &token).await
            }
            other => other,
        }
    }

    async fn get_once(
        &self,
        op: &'static str,
        path: &str,
        q: &[(&str, String)],
        token: &SecretString,
    ) -> Result<serde_json::Value, SiError> {
        let sent = self
            .http
            .read(op, Method::GET, &format!("{}{path}", self.base))
            .bearer_auth(token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .query(q)
            .send()
            .await;
        answer(op, sent).await
    }

    /// A usable access token and its generation. With `stale = Some(g)` the token of
    /// generation `g` was refused: renew it unless it was renewed meanwhile.
    async fn token(&self, stale: Option<u64>) -> Result<(SecretString, u64), SiError> {
        let mut guard = self.token.lock().await;
        if let Some(t) = guard.as_ref()
            && stale != Some(t.generation)
            && (stale.is_some() || self.clock.now() < t.renew_at)
        {
            return Ok((t.access.clone(), t.generation));
        }
        let generation = guard.as_ref().map_or(1, |t| t.generation + 1);
        let (token, _) = self.request_token(generation).await?;
        let out = (token.access.clone(), generation);
        *guard = Some(token);
        Ok(out)
    }

    async fn request_token(&self, generation: u64) -> Result<(Token, Duration), SiError> {
        const OP: &str = "access_token";
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.secret.expose_secret(),
            "scope": "contact invoice",
        });
        let url = format!("{}/auth/access-tokens", self.base);
        // Asking for a token changes nothing at smallinvoice: a read, retried when transient.
        let sent = self.http.read(OP, Method::POST, &url).json(&body).send().await;
        let v = answer(OP, sent).await?;
        let (access, expires_in) = wire::token(&Json::new(SYSTEM, OP, &v))?;
        // Renew at 90 % of the lifetime by our clock; a 401 renews earlier.
        let renew_at = self.clock.now() + chrono::Duration::seconds(expires_in * 9 / 10);
        let lifetime = Duration::from_secs(expires_in.unsigned_abs());
        Ok((Token { access: SecretString::from(access), renew_at, generation }, lifetime))
    }
}

/// Turns a sent request into its JSON answer or the error smallinvoice's status and
/// application code say.
async fn answer(
    op: &'static str,
    sent: reqwest_middleware::Result<reqwest::Response>,
) -> Result<serde_json::Value, SiError> {
    let r = match sent {
        Ok(r) => r,
        Err(e) => {
            return Err(match gate::rate_limited(&e) {
                Some(limited) => SiError::RateLimited(limited),
                None => SiError::Unavailable(describe(&e).to_owned()),
            });
        }
    };
    let status = r.status();
    let text = r.text().await.map_err(|e| SiError::Unavailable(format!("answer {}", describe_reqwest(&e))))?;
    if status.is_success() {
        return serde_json::from_str(&text)
            .map_err(|_| SiError::Contract(ContractError::new(SYSTEM, op, "body", Problem::WrongType("JSON"))));
    }
    let body = wire::error_body(&text);
    Err(match status {
        StatusCode::UNAUTHORIZED => SiError::Unauthorized(body.message),
        StatusCode::NOT_FOUND => SiError::NotFound,
        s if s.is_server_error() => SiError::ServerError { status: s.as_u16(), code: body.code, message: body.message },
        s => SiError::Refused { status: s.as_u16(), code: body.code, message: body.message },
    })
}
