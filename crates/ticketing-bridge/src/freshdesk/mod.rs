//! The Freshdesk API v2 client, one method per operation as its contract cases describe it
//! (`crates/sandbox/contracts/freshdesk/`): create a ticket, add a note, view a ticket, search
//! tickets by the external reference, list a ticket's conversations, list the ticket fields
//! (preflight). Basic auth with the API key as user name and `X` as password; JSON in and out.
//!
//! Calls go through `kit::outbound` (spans and `payops_external_*` metrics per attempt): reads
//! are retried there on 5xx, timeouts and broken connections; writes (create, note) are sent
//! once — the journal decides, after a probe. Every attempt first passes the [`gate::Gate`],
//! a slot of the rate budget all replicas share ([`Limiter`]); a 429 pauses it for
//! `Retry-After`. Answers are read fail-closed (`wire`, CT-05). Custom fields are named by
//! their API name, `cf_` included, also in search queries (the documented form). Bodies are
//! never logged (they carry personal data) and the key never leaves the `Authorization` header.

mod error;
pub mod gate;
pub mod limiter;
pub mod preflight;
pub mod wire;

use std::sync::Arc;

use kit::contract::Json;
use kit::outbound::{Outbound, OutboundConfig, describe};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub use error::{FieldError, FreshdeskError, summary};
pub use limiter::{CallKind, Limiter, Refusal};

use crate::config::FreshdeskConfig;
use wire::SYSTEM;

/// Conversations per page when probing for a note (the documented maximum).
const NOTES_PER_PAGE: usize = 100;
/// Pages of conversations a probe reads at most.
const NOTE_PAGES: usize = 20;

/// A Freshdesk account client; cheap to clone.
#[derive(Clone)]
pub struct Freshdesk {
    inner: Arc<Inner>,
}

struct Inner {
    http: Outbound,
    base: String,
    /// The API key; only ever written into the Basic auth header.
    key: SecretString,
    ticket_url: String,
    limiter: Arc<Limiter>,
}

/// A success answer: headers and body.
struct Answer {
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
}

impl Freshdesk {
    /// A client for `config`, taking its slots from `limiter`.
    pub fn new(config: &FreshdeskConfig, limiter: Arc<Limiter>) -> Result<Self, reqwest::Error> {
        let out = OutboundConfig::with_timeout(config.timeout);
        let http = Outbound::with_gate(SYSTEM, &out, Arc::new(gate::Gate { limiter: limiter.clone() }))?;
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

    /// The rate budget this client takes its slots from.
    pub fn limiter(&self) -> &Arc<Limiter> {
        &self.inner.limiter
    }

    /// `POST /api/v2/tickets` (sent once): 201 and the ticket.
    pub async fn create_ticket(&self, body: &wire::NewTicket) -> Result<wire::TicketRef, FreshdeskError> {
        const OP: &str = "create_ticket";
        let req = self.request(OP, Method::POST, "/api/v2/tickets").json(body).with_extension(CallKind::Create);
        let v = self.json(OP, req).await?;
        wire::ticket(&Json::new(SYSTEM, OP, &v)).map_err(|e| FreshdeskError::contract(e, true))
    }

    /// `POST /api/v2/tickets/{id}/notes` (sent once): the note's id.
    pub async fn add_note(&self, id: u64, body: &wire::NewNote) -> Result<u64, FreshdeskError> {
        const OP: &str = "add_note";
        let req = self.request(OP, Method::POST, &format!("/api/v2/tickets/{id}/notes")).json(body);
        let v = self.json(OP, req).await?;
        wire::id(&Json::new(SYSTEM, OP, &v), "id").map_err(|e| FreshdeskError::contract(e, true))
    }

    /// `GET /api/v2/tickets/{id}`: the ticket's current status.
    pub async fn view_ticket(&self, id: u64) -> Result<u8, FreshdeskError> {
        const OP: &str = "view_ticket";
        let v = self.json(OP, self.read(OP, &format!("/api/v2/tickets/{id}"))).await?;
        wire::status(&Json::new(SYSTEM, OP, &v)).map_err(|e| FreshdeskError::contract(e, false))
    }

    /// Tickets whose text custom field `field` (its API name, `cf_…`) equals `reference`:
    /// `GET /api/v2/search/tickets?query="cf_payops_ref:'…'"`, then an exact comparison. Search
    /// lags creation by minutes; what to make of "none" is the caller's business.
    pub async fn find_by_reference(
        &self,
        field: &str,
        reference: &str,
    ) -> Result<Vec<wire::TicketRef>, FreshdeskError> {
        const OP: &str = "search";
        let query = crate::domain::reference::search_query(field, reference);
        let req = self.read(OP, "/api/v2/search/tickets").query(&[("query", query)]);
        let v = self.json(OP, req).await?;
        wire::search_hits(&Json::new(SYSTEM, OP, &v), field, reference).map_err(|e| FreshdeskError::contract(e, false))
    }

    /// The id of the note of `ticket_id` whose body holds `marker`, if any.
    pub async fn find_note(&self, ticket_id: u64, marker: &str) -> Result<Option<u64>, FreshdeskError> {
        const OP: &str = "list_conversations";
        for page in 1..=NOTE_PAGES {
            let path = format!("/api/v2/tickets/{ticket_id}/conversations");
            let req =
                self.read(OP, &path).query(&[("page", page.to_string()), ("per_page", NOTES_PER_PAGE.to_string())]);
            let v = self.json(OP, req).await?;
            let (found, len) =
                wire::note_with(&Json::new(SYSTEM, OP, &v), marker).map_err(|e| FreshdeskError::contract(e, false))?;
            if found.is_some() || len < NOTES_PER_PAGE {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// `GET /api/v2/ticket_fields` with the plan's rate from the headers (preflight).
    pub async fn ticket_fields(&self) -> Result<wire::AccountFields, FreshdeskError> {
        const OP: &str = "ticket_fields";
        let a = self.send(OP, self.read(OP, "/api/v2/ticket_fields")).await?;
        let header = |name: &'static str| -> Result<u32, FreshdeskError> {
            let field = format!("header:{name}");
            let raw = a.headers.get(name).map(|v| v.to_str().unwrap_or_default().trim().to_owned());
            let problem = match raw.as_deref() {
                None => kit::contract::Problem::Missing,
                Some(v) => match v.parse::<u32>() {
                    Ok(n) => return Ok(n),
                    Err(_) => kit::contract::Problem::WrongType("a number"),
                },
            };
            Err(FreshdeskError::contract(kit::contract::ContractError::new(SYSTEM, OP, field, problem), false))
        };
        let rate_total = header("x-ratelimit-total")?;
        let rate_remaining = header("x-ratelimit-remaining")?;
        let v = decode(&a.body)?;
        let mut fields =
            wire::account_fields(&Json::new(SYSTEM, OP, &v)).map_err(|e| FreshdeskError::contract(e, false))?;
        fields.rate_total = rate_total;
        fields.rate_remaining = rate_remaining;
        Ok(fields)
    }

    fn request(&self, op: &'static str, method: Method, path: &str) -> reqwest_middleware::RequestBuilder {
        let url = format!("{}{path}", self.inner.base);
        let builder = if method == Method::GET {
            self.inner.http.read(op, method, &url)
        } else {
            self.inner.http.write(op, method, &url)
        };
        builder.basic_auth(self.inner.key.expose_secret(), Some("X")).header("accept", "application/json")
    }

    fn read(&self, op: &'static str, path: &str) -> reqwest_middleware::RequestBuilder {
        self.request(op, Method::GET, path)
    }

    /// Sends and returns a success answer's JSON.
    async fn json(&self, op: &'static str, req: reqwest_middleware::RequestBuilder) -> Result<Value, FreshdeskError> {
        decode(&self.send(op, req).await?.body)
    }

    /// Sends; a non-success status becomes its error.
    async fn send(&self, op: &'static str, req: reqwest_middleware::RequestBuilder) -> Result<Answer, FreshdeskError> {
        let result = self.exchange(op, req).await;
        if let Err(e) = &result {
            tracing::info!(operation = op, outcome = e.label(), error = %e, "Freshdesk call failed");
        }
        result
    }

    async fn exchange(
        &self,
        op: &'static str,
        req: reqwest_middleware::RequestBuilder,
    ) -> Result<Answer, FreshdeskError> {
        let response = req.send().await.map_err(|e| transport(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| if status.is_success() { FreshdeskError::Malformed } else { transport_body(&e) })?;
        if status.is_success() {
            return Ok(Answer { headers, body });
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let raw = headers.get("retry-after").map(|v| v.to_str().unwrap_or_default());
            return match error::retry_after(raw) {
                Some(retry_after) => Err(FreshdeskError::RateLimited { retry_after }),
                None => {
                    let problem = if raw.is_none() {
                        kit::contract::Problem::Missing
                    } else {
                        kit::contract::Problem::WrongType("whole seconds")
                    };
                    let e = kit::contract::ContractError::new(SYSTEM, op, "header:retry-after", problem);
                    Err(FreshdeskError::contract(e, false))
                }
            };
        }
        Err(error::error_for(status.as_u16(), &body))
    }
}

fn decode(bytes: &[u8]) -> Result<Value, FreshdeskError> {
    serde_json::from_slice(bytes).map_err(|_| FreshdeskError::Malformed)
}

/// A failure before an answer: the limiter refused (not sent), a timeout, a connection that
/// never opened (not sent), or one that broke (it may have been handled).
fn transport(e: &reqwest_middleware::Error) -> FreshdeskError {
    if let Some(r) = gate::refusal(e) {
        return match r {
            Refusal::Paused(retry_after) => FreshdeskError::RateLimited { retry_after },
            Refusal::Budget => FreshdeskError::Transport { sent: false, kind: "rate budget" },
        };
    }
    match describe(e) {
        "timeout" => FreshdeskError::Timeout,
        "connect" => FreshdeskError::Transport { sent: false, kind: "connect" },
        "middleware" => FreshdeskError::Transport { sent: false, kind: "middleware" },
        kind => FreshdeskError::Transport { sent: true, kind },
    }
}

fn transport_body(e: &reqwest::Error) -> FreshdeskError {
    match kit::outbound::describe_reqwest(e) {
        "timeout" => FreshdeskError::Timeout,
        kind => FreshdeskError::Transport { sent: true, kind },
    }
}
