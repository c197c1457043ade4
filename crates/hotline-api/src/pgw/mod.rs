//! The PGW client (smarpay's gateway; contract `crates/sandbox/openapi/pgw.yaml`): `X-API-Key`
//! of the configured environment, searches by paying mobile / TWINT reference / device and
//! local day, one transaction, the day listing, and code generation (PROD only) with an
//! `Idempotency-Key`. A search without match is 200 with no items ("not found"); any non-2xx
//! answer, timeout or unreadable body is an error — the two are never confused (HL-11).
//! Reads are retried once after a timeout, a connection failure or a 5xx.

pub mod wire;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use kit::journal::CallError;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::config::PgwConfig;
use crate::domain::payment::{Generation, Payment};
use wire::{ErrorWire, GenerationWire, ListWire, TransactionWire};

const SYSTEM: &str = "pgw";

/// Why a PGW read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgwError {
    /// Timeout, connection failure, 5xx or an unreadable answer: PGW failed.
    #[error("PGW unavailable: {0}")]
    Unavailable(String),
    /// PGW refused the request (4xx) with its error code.
    #[error("PGW refused ({status}): {code}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// PGW error code.
        code: String,
        /// PGW message.
        message: String,
    },
}

/// Search criteria; at least one of mobile, twint_ref, device.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Paying mobile (E.164).
    pub mobile: Option<String>,
    /// TWINT reference.
    pub twint_ref: Option<String>,
    /// Device b-code.
    pub device: Option<String>,
    /// Local day.
    pub date: Option<NaiveDate>,
    /// Local window start.
    pub from: Option<NaiveTime>,
}

/// A day listing: the payments and PGW's own total.
#[derive(Debug, Clone)]
pub struct DayListing {
    /// Completed payments of the day.
    pub payments: Vec<Payment>,
    /// PGW's total (cross-checked by the caller).
    pub total: Option<kit::money::Money>,
}

/// PGW API client.
#[derive(Clone)]
pub struct PgwClient {
    http: reqwest::Client,
    /// `<base>/<env>`.
    root: String,
    /// `X-API-Key` of the environment.
    key: SecretString,
}

impl PgwClient {
    /// A client for `config`.
    pub fn new(config: &PgwConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(3))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(PgwClient { http, root: format!("{}/{}", config.base_url, config.environment), key: config.api_key.clone() })
    }

    /// Payments matching `s`, oldest first; empty when nothing matches.
    pub async fn search(&self, s: &Search) -> Result<Vec<Payment>, PgwError> {
        let mut q: Vec<(&str, String)> = Vec::new();
        if let Some(m) = &s.mobile {
            q.push(("mobile", m.clone()));
        }
        if let Some(r) = &s.twint_ref {
            q.push(("twint_ref", r.clone()));
        }
        if let Some(d) = &s.device {
            q.push(("device", d.clone()));
        }
        if let Some(d) = s.date {
            q.push(("date", d.format("%Y-%m-%d").to_string()));
        }
        if let Some(t) = s.from {
            q.push(("from", t.format("%H:%M:%S").to_string()));
        }
        let list: ListWire = self.read("search", &format!("{}/transactions", self.root), &q).await?;
        list.items.into_iter().map(|t| t.into_domain().map_err(PgwError::Unavailable)).collect()
    }

    /// One payment; `None` when PGW does not know it.
    pub async fn transaction(&self, id: i64) -> Result<Option<Payment>, PgwError> {
        match self.read::<TransactionWire>("get_transaction", &format!("{}/transactions/{id}", self.root), &[]).await {
            Ok(t) => t.into_domain().map(Some).map_err(PgwError::Unavailable),
            Err(PgwError::Refused { status: 404, code, .. }) if code == "transaction_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The completed payments of a local day.
    pub async fn day(&self, date: NaiveDate) -> Result<DayListing, PgwError> {
        let url = format!("{}/days/{}/transactions", self.root, date.format("%Y-%m-%d"));
        let list: ListWire = self.read("day_transactions", &url, &[]).await?;
        let total = list.total.as_deref().map(|t| wire::chf("total", t)).transpose().map_err(PgwError::Unavailable)?;
        let payments =
            list.items.into_iter().map(|t| t.into_domain().map_err(PgwError::Unavailable)).collect::<Result<_, _>>()?;
        Ok(DayListing { payments, total })
    }

    /// Generates a new code for transaction `id` with `Idempotency-Key: key`. A 4xx is a
    /// refusal (nothing happened); a timeout, 5xx or unreadable 2xx is an unknown outcome.
    pub async fn generate(&self, id: i64, key: &str, requested_by: &str) -> Result<Generation, CallError> {
        let started = Instant::now();
        let body = serde_json::json!({ "requested_by": requested_by, "reason": "hotline: expired code replaced" });
        let sent = self
            .http
            .post(format!("{}/transactions/{id}/codes", self.root))
            .header("X-API-Key", self.key.expose_secret())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                kit::metrics::external_call(SYSTEM, "generate_code", outcome_of(&e), started.elapsed());
                return Err(CallError::Unknown(describe(&e)));
            }
        };
        let status = response.status();
        let text = response.text().await.map_err(|e| CallError::Unknown(describe(&e)))?;
        if status.is_success() {
            kit::metrics::external_call(SYSTEM, "generate_code", "ok", started.elapsed());
            let g: GenerationWire = serde_json::from_str(&text)
                .map_err(|e| CallError::Unknown(format!("unreadable generation answer: {e}")))?;
            return g.into_domain(id).map_err(CallError::Unknown);
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            kit::metrics::external_call(SYSTEM, "generate_code", "error", started.elapsed());
            return Err(CallError::Unknown(format!("PGW answered {status}")));
        }
        kit::metrics::external_call(SYSTEM, "generate_code", "rejected", started.elapsed());
        let (code, message) = error_body(&text);
        Err(CallError::Rejected(format!("{}:{code}:{message}", status.as_u16())))
    }

    async fn read<T: DeserializeOwned>(
        &self,
        op: &'static str,
        url: &str,
        q: &[(&str, String)],
    ) -> Result<T, PgwError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.read_once(op, url, q).await {
                Err(PgwError::Unavailable(e)) if attempt < 2 => {
                    tracing::warn!(operation = op, error = %e, "PGW read failed; retrying once");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => return other,
            }
        }
    }

    async fn read_once<T: DeserializeOwned>(
        &self,
        op: &'static str,
        url: &str,
        q: &[(&str, String)],
    ) -> Result<T, PgwError> {
        let started = Instant::now();
        let sent = self.http.get(url).header("X-API-Key", self.key.expose_secret()).query(q).send().await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                kit::metrics::external_call(SYSTEM, op, outcome_of(&e), started.elapsed());
                return Err(PgwError::Unavailable(describe(&e)));
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                kit::metrics::external_call(SYSTEM, op, "error", started.elapsed());
                return Err(PgwError::Unavailable(describe(&e)));
            }
        };
        if status.is_success() {
            return match serde_json::from_str(&text) {
                Ok(v) => {
                    kit::metrics::external_call(SYSTEM, op, "ok", started.elapsed());
                    Ok(v)
                }
                Err(e) => {
                    kit::metrics::external_call(SYSTEM, op, "error", started.elapsed());
                    Err(PgwError::Unavailable(format!("unreadable answer: {e}")))
                }
            };
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            kit::metrics::external_call(SYSTEM, op, "error", started.elapsed());
            return Err(PgwError::Unavailable(format!("PGW answered {status}")));
        }
        kit::metrics::external_call(SYSTEM, op, "rejected", started.elapsed());
        let (code, message) = error_body(&text);
        Err(PgwError::Refused { status: status.as_u16(), code, message })
    }
}

fn error_body(text: &str) -> (String, String) {
    serde_json::from_str::<ErrorWire>(text)
        .map(|e| (e.error.code, e.error.message))
        .unwrap_or_else(|_| ("unknown".into(), String::new()))
}

fn outcome_of(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() { "timeout" } else { "error" }
}

/// A transport error without its URL (the query string holds personal data).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "answer cut off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut chain = String::new();
    while let Some(s) = source {
        chain = s.to_string();
        source = s.source();
    }
    if chain.is_empty() { kind.to_owned() } else { format!("{kind}: {chain}") }
}
