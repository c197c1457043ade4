//! The smallinvoice API v2 client (external-apis.md §4): OAuth2 client credentials with 12 h
//! access tokens and rotating refresh tokens, contact search (HL-20) and a contact's invoices
//! (HL-21). The token is refreshed shortly before it expires by our clock and at once when
//! smallinvoice says 401 (its clock is the one that counts); refreshes are single-flight,
//! because a rotated refresh token revokes the one a concurrent refresh would use. Invoices
//! are listed with `filter={"contact_id":…}` and the contact id is checked again on our side
//! (integrators report the filter does not always work). Reads are retried once.

pub mod wire;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::config::SmallinvoiceConfig;
use wire::{ContactWire, ErrorWire, InvoiceWire, ItemWire, ListWire, TokenWire};

pub use wire::Invoice;

const SYSTEM: &str = "smallinvoice";
/// Most invoice pages read for one contact.
const MAX_PAGES: usize = 10;

/// Why a smallinvoice call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiError {
    /// Timeout, 5xx, 429, auth that cannot be repaired, or an unreadable answer.
    #[error("smallinvoice unavailable: {0}")]
    Unavailable(String),
    /// 404 for a single item.
    #[error("not found")]
    NotFound,
}

/// A contact as the hotline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id.
    pub id: i64,
    /// Customer number.
    pub number: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Main address on one line.
    pub address: String,
}

impl From<ContactWire> for Contact {
    fn from(c: ContactWire) -> Self {
        Contact {
            id: c.id,
            number: c.number.unwrap_or_default(),
            name: c.name.unwrap_or_default(),
            email: c.email.unwrap_or_default(),
            phone: c.phone.unwrap_or_default(),
            address: c.main_address.map(|a| a.one_line()).unwrap_or_default(),
        }
    }
}

/// The current token pair.
struct Tokens {
    access: SecretString,
    refresh: Option<SecretString>,
    /// Refresh from this time on (by our clock).
    renew_at: DateTime<Utc>,
    /// Bumped on every new pair, so a caller that saw a 401 knows whether someone else
    /// already renewed it.
    generation: u64,
}

/// smallinvoice client.
pub struct SmallinvoiceClient {
    http: reqwest::Client,
    base: String,
    client_id: String,
    secret: SecretString,
    clock: SharedClock,
    /// The token pair; held across the refresh call so refreshes are single-flight.
    tokens: Mutex<Option<Tokens>>,
}

impl SmallinvoiceClient {
    /// A client for `config`.
    pub fn new(config: &SmallinvoiceConfig, clock: SharedClock) -> Result<Self, reqwest::Error> {
        let http =
            reqwest::Client::builder().timeout(config.timeout).connect_timeout(Duration::from_secs(3)).build()?;
        Ok(SmallinvoiceClient {
            http,
            base: config.base_url.clone(),
            client_id: config.client_id.clone(),
            secret: config.client_secret.clone(),
            clock,
            tokens: Mutex::new(None),
        })
    }

    /// Contacts whose name (or number, e-mail, phone) contains every word of `q`, by name.
    pub async fn search_contacts(&self, q: &str, limit: u32) -> Result<Vec<Contact>, SiError> {
        let params = [
            ("q", q.to_owned()),
            ("limit", limit.to_string()),
            ("sort", "name".into()),
            ("with", "main_address".into()),
        ];
        let list: ListWire<ContactWire> = self.get("list_contacts", "/contacts", &params).await?;
        Ok(list.items.into_iter().map(Contact::from).collect())
    }

    /// One contact.
    pub async fn contact(&self, id: i64) -> Result<Contact, SiError> {
        let item: ItemWire<ContactWire> =
            self.get("get_contact", &format!("/contacts/{id}"), &[("with", "main_address".into())]).await?;
        Ok(item.item.into())
    }

    /// The contact's invoices, newest first (contact id re-checked on our side).
    pub async fn invoices(&self, contact_id: i64) -> Result<Vec<Invoice>, SiError> {
        let mut out = Vec::new();
        let filter = serde_json::json!({ "contact_id": contact_id }).to_string();
        for page in 0..MAX_PAGES {
            let params = [
                ("filter", filter.clone()),
                ("sort", "-date".to_owned()),
                ("limit", "200".to_owned()),
                ("offset", (page * 200).to_string()),
            ];
            let list: ListWire<InvoiceWire> = self.get("list_invoices", "/receivables/invoices", &params).await?;
            let more = list.pagination.as_ref().is_some_and(|p| p.next.is_some());
            for i in list.items {
                if i.contact_id != contact_id {
                    tracing::warn!(invoice = i.id, "smallinvoice returned an invoice of another contact; dropped");
                    continue;
                }
                out.push(i.into_invoice().map_err(SiError::Unavailable)?);
            }
            if !more {
                break;
            }
        }
        Ok(out)
    }

    async fn get<T: DeserializeOwned>(&self, op: &'static str, path: &str, q: &[(&str, String)]) -> Result<T, SiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (token, generation) = self.token(None).await?;
            match self.get_once(op, path, q, &token).await {
                Ok(v) => return Ok(v),
                Err(Failure::Unauthorized) if attempt < 3 => {
                    // smallinvoice's clock says the token is over: renew it unless another call already did.
                    self.token(Some(generation)).await?;
                }
                Err(Failure::Transient(e)) if attempt < 2 => {
                    tracing::warn!(operation = op, error = %e, "smallinvoice read failed; retrying once");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(Failure::Transient(e)) => return Err(SiError::Unavailable(e)),
                Err(Failure::Unauthorized) => return Err(SiError::Unavailable("access token refused".into())),
                Err(Failure::NotFound) => return Err(SiError::NotFound),
            }
        }
    }

    async fn get_once<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &str,
        q: &[(&str, String)],
        token: &SecretString,
    ) -> Result<T, Failure> {
        let started = Instant::now();
        let sent = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token.expose_secret())
            .header("Accept", "application/json")
            .query(q)
            .send()
            .await;
        let r = match sent {
            Ok(r) => r,
            Err(e) => {
                kit::metrics::external_call(
                    SYSTEM,
                    op,
                    if e.is_timeout() { "timeout" } else { "error" },
                    started.elapsed(),
                );
                return Err(Failure::Transient(if e.is_timeout() {
                    "timeout".into()
                } else {
                    "request failed".into()
                }));
            }
        };
        let status = r.status();
        let text = r.text().await.map_err(|_| Failure::Transient("answer cut off".into()))?;
        let outcome = match status {
            s if s.is_success() => "ok",
            StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND => "rejected",
            _ => "error",
        };
        kit::metrics::external_call(SYSTEM, op, outcome, started.elapsed());
        match status {
            s if s.is_success() => {
                serde_json::from_str(&text).map_err(|e| Failure::Transient(format!("unreadable answer: {e}")))
            }
            StatusCode::UNAUTHORIZED => Err(Failure::Unauthorized),
            StatusCode::NOT_FOUND => Err(Failure::NotFound),
            s => {
                let message = serde_json::from_str::<ErrorWire>(&text).map(|e| e.message).unwrap_or_default();
                Err(Failure::Transient(format!("smallinvoice answered {s}: {message}")))
            }
        }
    }

    /// A usable access token and its generation. With `stale = Some(g)` the pair of
    /// generation `g` was refused: renew it (refresh token first, client credentials when the
    /// refresh token is refused), unless it was renewed meanwhile.
    async fn token(&self, stale: Option<u64>) -> Result<(SecretString, u64), SiError> {
        let mut guard = self.tokens.lock().await;
        let now = self.clock.now();
        if let Some(t) = guard.as_ref()
            && stale != Some(t.generation)
            && (stale.is_some() || now < t.renew_at)
        {
            return Ok((t.access.clone(), t.generation));
        }
        let generation = guard.as_ref().map_or(1, |t| t.generation + 1);
        let refresh = guard.as_ref().and_then(|t| t.refresh.clone());
        let mut answer = None;
        if let Some(rt) = refresh {
            match self.request_token("refresh_token", Some(&rt)).await {
                Ok(t) => answer = Some(t),
                Err(e) => tracing::info!(error = %e, "smallinvoice refresh refused; using client credentials"),
            }
        }
        let t = match answer {
            Some(t) => t,
            None => self.request_token("client_credentials", None).await?,
        };
        // Renew at 90 % of the lifetime by our clock; a 401 renews earlier.
        let lifetime = chrono::Duration::seconds(t.expires_in.max(60) * 9 / 10);
        let tokens = Tokens {
            access: SecretString::from(t.access_token),
            refresh: t.refresh_token.map(SecretString::from),
            renew_at: now + lifetime,
            generation,
        };
        let out = (tokens.access.clone(), generation);
        *guard = Some(tokens);
        Ok(out)
    }

    async fn request_token(&self, grant: &str, refresh: Option<&SecretString>) -> Result<TokenWire, SiError> {
        let started = Instant::now();
        let mut body = serde_json::json!({
            "grant_type": grant,
            "client_id": self.client_id,
            "client_secret": self.secret.expose_secret(),
        });
        if let Some(rt) = refresh {
            body["refresh_token"] = rt.expose_secret().into();
        } else {
            body["scope"] = "contact invoice".into();
        }
        let r = self.http.post(format!("{}/auth/access-tokens", self.base)).json(&body).send().await;
        let r = r.map_err(|e| {
            kit::metrics::external_call(SYSTEM, "access_token", "error", started.elapsed());
            SiError::Unavailable(if e.is_timeout() {
                "token request timed out".into()
            } else {
                "token request failed".into()
            })
        })?;
        let status = r.status();
        let text = r.text().await.map_err(|_| SiError::Unavailable("token answer cut off".into()))?;
        let ok = status.is_success();
        kit::metrics::external_call(SYSTEM, "access_token", if ok { "ok" } else { "rejected" }, started.elapsed());
        if !ok {
            return Err(SiError::Unavailable(format!("token request answered {status}")));
        }
        serde_json::from_str(&text).map_err(|e| SiError::Unavailable(format!("unreadable token answer: {e}")))
    }
}

enum Failure {
    Unauthorized,
    NotFound,
    Transient(String),
}
