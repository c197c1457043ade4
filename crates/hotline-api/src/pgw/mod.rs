//! The PGW client, held to the cases under `crates/sandbox/contracts/pgw/` (CT-01 … CT-05).
//! PGW publishes no documentation: every case is our own contract
//! (`crates/sandbox/openapi/pgw.yaml`), marked unverified, and the preflight
//! lists what must be confirmed with the gateway's operator (`crate::preflight`).
//!
//! `X-API-Key` of the configured environment; searches by paying mobile / TWINT reference /
//! device and local day, one transaction, the day listing, and code generation (PROD only)
//! with an `Idempotency-Key`. A search without match is 200 with no items ("not found"); any
//! non-2xx answer, timeout or broken answer is an error — the two are never confused (HL-11).
//! Reads go through `kit::outbound` (retried on timeouts and 502–504); the generation is a
//! write, sent once. Whether PGW honours `Idempotency-Key` is unknown, so nothing relies on
//! it: a generation whose answer was lost is settled by reading the transaction
//! ([`PgwClient::transaction`]) — see `service::codes`.

pub mod wire;

use chrono::NaiveDate;
use kit::contract::{ContractError, Json, Problem};
use kit::journal::CallError;
use kit::outbound::{Outbound, OutboundConfig, describe, describe_reqwest};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use crate::config::PgwConfig;
use crate::domain::payment::{Generation, Payment};

const SYSTEM: &str = "pgw";

/// Why a PGW read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PgwError {
    /// Timeout, connection failure or 5xx: PGW failed.
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
    /// The answer breaks its contract (counted in `payops_contract_violations_total`).
    #[error(transparent)]
    Contract(ContractError),
}

impl From<ContractError> for PgwError {
    fn from(e: ContractError) -> Self {
        PgwError::Contract(e)
    }
}

/// Why a code generation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// PGW refused it (4xx but 429): nothing happened. `<status>:<code>:<message>`.
    #[error("PGW refused the generation: {0}")]
    Refused(String),
    /// Timeout, 429 or 5xx: a code may or may not exist.
    #[error("PGW generation outcome unknown: {0}")]
    Unknown(String),
    /// A 2xx that breaks its contract: a code exists but we cannot read it (outcome unknown).
    #[error(transparent)]
    Contract(ContractError),
}

impl From<GenerateError> for CallError {
    fn from(e: GenerateError) -> Self {
        match e {
            GenerateError::Refused(r) => CallError::Rejected(r),
            other => CallError::Unknown(other.to_string()),
        }
    }
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
}

/// A day listing: the payments and PGW's own total.
#[derive(Debug, Clone)]
pub struct DayListing {
    /// The payments of the day (completed, or with a status PGW did not name to us).
    pub payments: Vec<Payment>,
    /// PGW's total (cross-checked by the caller).
    pub total: kit::money::Money,
}

/// PGW API client.
#[derive(Clone)]
pub struct PgwClient {
    http: Outbound,
    /// `<base>/<env>`.
    root: String,
    /// `prod` or `test`.
    environment: String,
    /// `X-API-Key` of the environment.
    key: SecretString,
}

impl PgwClient {
    /// A client for `config`.
    pub fn new(config: &PgwConfig) -> Result<Self, reqwest::Error> {
        Self::with_outbound(config, &OutboundConfig::with_timeout(config.timeout))
    }

    /// A client with its own transport settings (tests: no retries).
    pub fn with_outbound(config: &PgwConfig, out: &OutboundConfig) -> Result<Self, reqwest::Error> {
        Ok(PgwClient {
            http: Outbound::new(SYSTEM, out)?,
            root: format!("{}/{}", config.base_url, config.environment),
            environment: config.environment.clone(),
            key: config.api_key.clone(),
        })
    }

    /// The configured environment (`prod` or `test`).
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// Payments matching `s`, oldest first; empty when nothing matches.
    pub async fn search(&self, s: &Search) -> Result<Vec<Payment>, PgwError> {
        const OP: &str = "search";
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
        let v = self.get(OP, &format!("{}/transactions", self.root), &q).await?;
        Ok(wire::payments(&Json::new(SYSTEM, OP, &v))?)
    }

    /// One payment with its current code; `None` when PGW does not know it.
    pub async fn transaction(&self, id: i64) -> Result<Option<Payment>, PgwError> {
        const OP: &str = "get_transaction";
        match self.get(OP, &format!("{}/transactions/{id}", self.root), &[]).await {
            Ok(v) => Ok(Some(wire::payment(&Json::new(SYSTEM, OP, &v))?)),
            Err(PgwError::Refused { status: 404, code, .. }) if code == "transaction_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The payments of a local day with PGW's total.
    pub async fn day(&self, date: NaiveDate) -> Result<DayListing, PgwError> {
        const OP: &str = "day_transactions";
        let url = format!("{}/days/{}/transactions", self.root, date.format("%Y-%m-%d"));
        let v = self.get(OP, &url, &[]).await?;
        let j = Json::new(SYSTEM, OP, &v);
        Ok(DayListing { payments: wire::payments(&j)?, total: wire::day_total(&j)? })
    }

    /// Generates a new code for transaction `id` with `Idempotency-Key: key`, sent once. A 4xx
    /// (but 429) is a refusal: nothing happened. A timeout, 429, 5xx or a broken 2xx is an
    /// unknown outcome — a code may exist — for the caller to settle by reading the
    /// transaction.
    pub async fn generate(&self, id: i64, key: &str, requested_by: &str) -> Result<Generation, GenerateError> {
        const OP: &str = "generate_code";
        let body = serde_json::json!({ "requested_by": requested_by, "reason": "hotline: expired code replaced" });
        let sent = self
            .http
            .write(OP, Method::POST, &format!("{}/transactions/{id}/codes", self.root))
            .header("X-API-Key", self.key.expose_secret())
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .map_err(|e| GenerateError::Unknown(format!("PGW: {}", describe(&e))))?;
        let status = sent.status();
        let text =
            sent.text().await.map_err(|e| GenerateError::Unknown(format!("PGW answer {}", describe_reqwest(&e))))?;
        if status.is_success() {
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
                GenerateError::Contract(ContractError::new(SYSTEM, OP, "body", Problem::WrongType("JSON")))
            })?;
            return wire::generation(&Json::new(SYSTEM, OP, &v), id).map_err(GenerateError::Contract);
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(GenerateError::Unknown(format!("PGW answered {status}")));
        }
        let (code, message) = wire::error_body(&text);
        Err(GenerateError::Refused(format!("{}:{code}:{message}", status.as_u16())))
    }

    async fn get(&self, op: &'static str, url: &str, q: &[(&str, String)]) -> Result<serde_json::Value, PgwError> {
        let r = self
            .http
            .read(op, Method::GET, url)
            .header("X-API-Key", self.key.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .query(q)
            .send()
            .await
            .map_err(|e| PgwError::Unavailable(describe(&e).to_owned()))?;
        let status = r.status();
        let text = r.text().await.map_err(|e| PgwError::Unavailable(format!("answer {}", describe_reqwest(&e))))?;
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|_| PgwError::Contract(ContractError::new(SYSTEM, op, "body", Problem::WrongType("JSON"))));
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(PgwError::Unavailable(format!("PGW answered {status}")));
        }
        let (code, message) = wire::error_body(&text);
        Err(PgwError::Refused { status: status.as_u16(), code, message })
    }
}
