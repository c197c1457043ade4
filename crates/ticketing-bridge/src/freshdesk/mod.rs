//! The Freshdesk API v2 client (external-apis.md §3, §8.3; the sandbox's `freshdesk` module
//! docs): Basic auth with the API key as user name and `X` as password, JSON in and out, one
//! method per operation — create a ticket, view a ticket, add a note, list a ticket's
//! conversations, search tickets by the external reference.
//!
//! Every call first takes a slot from the process-wide [`Limiter`]; a 429 pauses the limiter
//! for `Retry-After`, and calls asked for during the pause fail as rate-limited without being
//! sent. Reads (view, conversations, search) are retried in place on 5xx, timeouts
//! and broken connections with a short capped backoff; writes (create, note) are never retried
//! here — the journal decides, after a probe. The creation probe relies on Freshdesk's search:
//! the sandbox indexes at once; a real account may index with a delay, so keep
//! `FRESHDESK_BACKOFF_BASE` above that delay (the first probe comes at least half of it after
//! the unknown outcome). Every call is counted with
//! `kit::metrics::external_call("freshdesk", …)`; bodies are never logged (they carry personal
//! data) and the key never leaves the `Authorization` header.

pub mod limiter;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use limiter::{CallKind, Limiter};
pub use wire::FreshdeskError;

use crate::config::FreshdeskConfig;

/// Payops metric: 429 answers from Freshdesk.
pub const RATE_LIMITED: &str = "payops_freshdesk_rate_limited_total";
/// Payops metric: `X-RateLimit-Remaining` of Freshdesk's last answer.
pub const RATE_REMAINING: &str = "payops_freshdesk_ratelimit_remaining";

/// Attempts of a read before giving up.
const READ_ATTEMPTS: u32 = 3;
/// Conversations per page when probing for a note.
const NOTES_PER_PAGE: u32 = 100;
/// Pages of conversations a probe reads at most.
const NOTE_PAGES: u32 = 20;

/// A Freshdesk account client; cheap to clone.
#[derive(Clone)]
pub struct Freshdesk {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    /// The API key; only ever written into the Basic auth header.
    key: SecretString,
    ticket_url: String,
    /// Shared by every call of the process.
    limiter: Arc<Limiter>,
}

impl Freshdesk {
    /// A client for `config`, pacing its calls with `limiter`.
    pub fn new(config: &FreshdeskConfig, limiter: Arc<Limiter>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent("payops-ticketing-bridge")
            .build()?;
        Ok(Freshdesk {
            inner: Arc::new(Inner {
                http,
                base: config.base_url.clone(),
                key: config.api_key.clone(),
                ticket_url: config.ticket_url.clone(),
                limiter,
            }),
        })
    }

    /// The agent link of ticket `id`.
    pub fn ticket_url(&self, id: u64) -> String {
        self.inner.ticket_url.replace("{id}", &id.to_string())
    }

    /// The limiter this client paces its calls with.
    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.inner.limiter
    }

    /// `POST /api/v2/tickets` (not retried).
    pub async fn create_ticket(&self, body: &wire::NewTicket) -> Result<wire::Ticket, FreshdeskError> {
        let (_, answer) =
            self.call(Method::POST, "/api/v2/tickets", &[], Some(body), "create_ticket", CallKind::Create).await?;
        decode(&answer)
    }

    /// `POST /api/v2/tickets/{id}/notes` (not retried).
    pub async fn add_note(&self, id: u64, body: &wire::NewNote) -> Result<wire::Conversation, FreshdeskError> {
        let path = format!("/api/v2/tickets/{id}/notes");
        let (_, answer) = self.call(Method::POST, &path, &[], Some(body), "add_note", CallKind::Call).await?;
        decode(&answer)
    }

    /// `GET /api/v2/tickets/{id}`.
    pub async fn view_ticket(&self, id: u64) -> Result<wire::Ticket, FreshdeskError> {
        self.read(&format!("/api/v2/tickets/{id}"), &[], "view_ticket").await
    }

    /// Tickets whose text custom field `field` equals `reference` (search, then an exact
    /// comparison, since search matching is Freshdesk's business).
    pub async fn find_by_reference(&self, field: &str, reference: &str) -> Result<Vec<wire::Ticket>, FreshdeskError> {
        let query = crate::domain::reference::search_query(field, reference);
        let page: wire::SearchPage = self.read("/api/v2/search/tickets", &[("query", query)], "search").await?;
        let mut found: Vec<wire::Ticket> =
            page.results.into_iter().filter(|t| t.custom_text(field) == Some(reference)).collect();
        found.sort_by_key(|t| t.id);
        Ok(found)
    }

    /// The id of the note of `ticket_id` whose body contains `marker`, if any.
    pub async fn find_note(&self, ticket_id: u64, marker: &str) -> Result<Option<u64>, FreshdeskError> {
        for page in 1..=NOTE_PAGES {
            let path = format!("/api/v2/tickets/{ticket_id}/conversations");
            let params = [("page", page.to_string()), ("per_page", NOTES_PER_PAGE.to_string())];
            let notes: Vec<wire::Conversation> = self.read(&path, &params, "view_ticket").await?;
            if let Some(n) = notes.iter().find(|n| n.body.contains(marker) || n.body_text.contains(marker)) {
                return Ok(Some(n.id));
            }
            if notes.len() < NOTES_PER_PAGE as usize {
                break;
            }
        }
        Ok(None)
    }

    /// A GET retried on failures that may pass (5xx, timeouts, broken connections), with a
    /// capped backoff in real time; 429 and refusals are returned at once.
    async fn read<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        operation: &'static str,
    ) -> Result<T, FreshdeskError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.call::<()>(Method::GET, path, query, None, operation, CallKind::Call).await;
            match result {
                Ok((_, answer)) => return decode(&answer),
                Err(e) if attempt < READ_ATTEMPTS && e.maybe_acted() => {
                    let delay = Duration::from_millis(100u64 << attempt).min(Duration::from_secs(1));
                    tracing::debug!(operation, attempt, error = %e, "Freshdesk read failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One call: limiter slot, request, metrics, rate-limit headers, error mapping.
    async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        operation: &'static str,
        kind: CallKind,
    ) -> Result<(StatusCode, bytes::Bytes), FreshdeskError> {
        if let Err(retry_after) = self.inner.limiter.acquire(kind).await {
            // Paused after a 429: not sent at all.
            return Err(FreshdeskError::RateLimited { retry_after });
        }
        let mut request = self
            .inner
            .http
            .request(method, format!("{}{path}", self.inner.base))
            .basic_auth(self.inner.key.expose_secret(), Some("X"))
            .header("accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        let started = Instant::now();
        let result = self.exchange(request).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.label(),
        };
        kit::metrics::external_call("freshdesk", operation, outcome, started.elapsed());
        if let Err(e) = &result {
            tracing::info!(operation, path, outcome, error = %e, "Freshdesk call failed");
        }
        result
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<(StatusCode, bytes::Bytes), FreshdeskError> {
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(remaining) = headers.get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()?.parse::<f64>().ok())
        {
            metrics::gauge!(RATE_REMAINING).set(remaining);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| if status.is_success() { FreshdeskError::Malformed } else { transport(e) })?;
        if status.is_success() {
            return Ok((status, bytes));
        }
        let retry_after = headers.get("retry-after").and_then(|v| v.to_str().ok());
        let error = wire::error_for(status.as_u16(), &bytes, retry_after);
        if let FreshdeskError::RateLimited { retry_after } = &error {
            metrics::counter!(RATE_LIMITED).increment(1);
            self.inner.limiter.pause(*retry_after);
        }
        Err(error)
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, FreshdeskError> {
    serde_json::from_slice(bytes).map_err(|_| FreshdeskError::Malformed)
}

/// A reqwest failure: a timeout, a connection that never opened (the request did not leave),
/// or a connection that broke (it may have been handled).
fn transport(e: reqwest::Error) -> FreshdeskError {
    if e.is_timeout() {
        FreshdeskError::Timeout
    } else if e.is_connect() {
        FreshdeskError::Transport { sent: false, kind: "connect" }
    } else if e.is_body() || e.is_decode() {
        FreshdeskError::Transport { sent: true, kind: "body" }
    } else {
        FreshdeskError::Transport { sent: true, kind: "request" }
    }
}
