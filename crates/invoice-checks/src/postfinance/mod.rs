//! The PostFinance e-payment adapter (legacy Ogone platform; contract cases in
//! `crates/sandbox/contracts/postfinance/`):
//! DirectLink maintenance (`maintenancedirect.asp`) and query (`querydirect.asp`) over
//! form-encoded HTTPS POSTs answered with XML, plus the hosted payment page's signed form and
//! return ([`hosted`]).
//!
//! - Endpoints are configuration per environment (IC-15): `POSTFINANCE_TEST_URL` must end in
//!   `/ncol/test/`, `POSTFINANCE_PROD_URL` in `/ncol/prod/`; a call takes the tenant and goes to
//!   the tenant's environment — there is no other way to choose a URL.
//! - Every request is signed with SHA-IN (IC-12) using the tenant's DirectLink passphrase and
//!   names the order by PAYID.
//! - Maintenance is never retried here (the journal decides, after asking PostFinance); a
//!   timeout, reset, 5xx or unreadable reply is "outcome unknown". Queries (by PAYID, level, or
//!   ORDERID) are idempotent reads and are retried with capped backoff (`kit::outbound`).
//! - Answers are read fail-closed ([`wire`]); a field the logic needs and does not get is a
//!   counted contract error (`payops_contract_violations_total`), never a default.
//! - Every attempt is measured by `kit::outbound` (`payops_external_requests_total{system=
//!   "postfinance",…}`, latency, a client span); the API password and passphrases are never
//!   logged.

pub mod hosted;
pub mod operation;
pub mod preflight;
pub mod sha;
mod signed;
pub mod tenant;
pub mod wire;
pub mod xml;

use std::sync::Arc;
use std::time::Duration;

use kit::config::{ConfigError, Env};
use kit::contract::ContractError;
use kit::outbound::{Outbound, OutboundConfig, describe, describe_reqwest};
use reqwest::Method;
use secrecy::ExposeSecret;

use crate::domain::swissbilling::{OpCode, PfEnv};
use tenant::Tenant;
use wire::{Answer, Reply};

/// System name in metrics.
pub const SYSTEM: &str = "postfinance";

/// Adapter settings.
#[derive(Debug, Clone)]
pub struct PostFinanceConfig {
    /// `POSTFINANCE_TEST_URL`, default `https://e-payment.postfinance.ch/ncol/test/`.
    pub test_url: String,
    /// `POSTFINANCE_PROD_URL`, default `https://e-payment.postfinance.ch/ncol/prod/`.
    pub prod_url: String,
    /// `POSTFINANCE_TIMEOUT`: per request, default 30s.
    pub timeout: Duration,
    /// `POSTFINANCE_QUERY_ATTEMPTS`: tries per query, default 3.
    pub query_attempts: u32,
}

impl PostFinanceConfig {
    /// Reads and validates the adapter variables. Plain `http://` is accepted only for loopback
    /// hosts (the sandbox) unless `POSTFINANCE_ALLOW_HTTP=true`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let allow_http = env.bool_or("POSTFINANCE_ALLOW_HTTP", false)?;
        let test_url =
            endpoint(env, "POSTFINANCE_TEST_URL", "https://e-payment.postfinance.ch/ncol/test/", "test", allow_http)?;
        let prod_url =
            endpoint(env, "POSTFINANCE_PROD_URL", "https://e-payment.postfinance.ch/ncol/prod/", "prod", allow_http)?;
        let query_attempts = env.or("POSTFINANCE_QUERY_ATTEMPTS", 3u32)?;
        if !(1..=10).contains(&query_attempts) {
            return Err(ConfigError::new("POSTFINANCE_QUERY_ATTEMPTS", "must be between 1 and 10"));
        }
        Ok(PostFinanceConfig {
            test_url,
            prod_url,
            timeout: env.duration_or("POSTFINANCE_TIMEOUT", Duration::from_secs(30))?,
            query_attempts,
        })
    }
}

fn endpoint(env: &Env, var: &str, default: &str, which: &str, allow_http: bool) -> Result<String, ConfigError> {
    let mut url: String = env.or(var, default.to_owned())?;
    if !url.ends_with('/') {
        url.push('/');
    }
    let parsed = reqwest::Url::parse(&url).map_err(|e| ConfigError::new(var, format!("not a URL: {e}")))?;
    if !parsed.path().ends_with(&format!("/ncol/{which}/")) {
        return Err(ConfigError::new(
            var,
            format!("must end in /ncol/{which}/ (a {which} tenant never talks to another environment)"),
        ));
    }
    let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]" | "::1"));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        _ => {
            return Err(ConfigError::new(
                var,
                "must be https:// (http:// only for loopback or with POSTFINANCE_ALLOW_HTTP)",
            ));
        }
    }
    if parsed.query().is_some() || parsed.username() != "" || parsed.password().is_some() {
        return Err(ConfigError::new(var, "must not carry credentials or a query"));
    }
    Ok(url)
}

/// Why a call produced no answer we can use. For maintenance every one of these means "it may
/// have happened".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// Timeout, connection refused or reset.
    #[error("transport: {0}")]
    Transport(String),
    /// An HTTP status other than 200.
    #[error("HTTP {0}")]
    Status(u16),
    /// The body is not a readable `ncresponse`.
    #[error("unreadable answer: {0}")]
    Unreadable(String),
    /// A field the logic needs is missing or unreadable (counted, CT-05).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

/// Which transaction a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// By PAYID (recommended), its latest state or one history level.
    PayId {
        /// `PAYID`.
        payid: u64,
        /// `PAYIDSUB`: one level (not signed).
        payidsub: Option<u32>,
    },
    /// By the merchant's ORDERID (DirectLink guide §5.1: "PAYID or ORDERID"), for an order
    /// whose PAYID never reached us (the browser return and the post-sale request were lost).
    OrderId(String),
}

/// The DirectLink client (one `kit::outbound` client: queries are reads, retried on transient
/// failures; maintenance is a write, sent once).
#[derive(Clone)]
pub struct PostFinance {
    http: Outbound,
    config: Arc<PostFinanceConfig>,
}

impl PostFinance {
    /// A client with the configured timeouts.
    pub fn new(config: PostFinanceConfig) -> Result<Self, reqwest::Error> {
        let outbound = OutboundConfig {
            read_retries: config.query_attempts.saturating_sub(1),
            ..OutboundConfig::with_timeout(config.timeout)
        };
        Ok(PostFinance { http: Outbound::new(SYSTEM, &outbound)?, config: Arc::new(config) })
    }

    /// Base URL of `env` (ends in `/ncol/<env>/`).
    pub fn base(&self, env: PfEnv) -> &str {
        match env {
            PfEnv::Test => &self.config.test_url,
            PfEnv::Prod => &self.config.prod_url,
        }
    }

    /// The UTF-8 payment page of `tenant`'s environment (SwissBilling needs the UTF-8 variant).
    pub fn page_url(&self, tenant: &Tenant) -> String {
        format!("{}orderstandard_utf8.asp", self.base(tenant.env))
    }

    /// Sends one maintenance request on `payid` (never retried here).
    pub async fn maintain(&self, tenant: &Tenant, payid: u64, op: OpCode, amount: i64) -> Result<Reply, CallFailure> {
        let params =
            vec![("PAYID", payid.to_string()), ("AMOUNT", amount.to_string()), ("OPERATION", op.code().to_owned())];
        let result = self.post(tenant, Answer::Maintenance, params).await;
        let outcome = match &result {
            Ok(r) => r.verdict().class(),
            Err(CallFailure::Contract(_)) => "contract_violation",
            Err(_) => "no_answer",
        };
        tracing::info!(tenant = %tenant.name, payid, operation = op.code(), amount, outcome, "DirectLink maintenance");
        result
    }

    /// Reads a transaction (its latest state, one level, or the order by ORDERID). Retried on
    /// transport errors, 429 and 502-504 with capped backoff.
    pub async fn query(&self, tenant: &Tenant, lookup: &Lookup) -> Result<Reply, CallFailure> {
        let params = match lookup {
            Lookup::PayId { payid, payidsub: None } => vec![("PAYID", payid.to_string())],
            Lookup::PayId { payid, payidsub: Some(sub) } => {
                vec![("PAYID", payid.to_string()), ("PAYIDSUB", sub.to_string())]
            }
            Lookup::OrderId(order_id) => vec![("ORDERID", order_id.clone())],
        };
        self.post(tenant, Answer::Query, params).await
    }

    async fn post(
        &self,
        tenant: &Tenant,
        answer: Answer,
        mut params: Vec<(&'static str, String)>,
    ) -> Result<Reply, CallFailure> {
        params.insert(0, ("PSPID", tenant.pspid.clone()));
        params.insert(1, ("USERID", tenant.userid.clone()));
        params.insert(2, ("PSWD", tenant.pswd.expose_secret().to_owned()));
        let shasign =
            sha::sign_in(tenant.algorithm, params.iter().map(|(k, v)| (*k, v.as_str())), &tenant.sha_in_directlink);
        params.push(("SHASIGN", shasign));
        let op = answer.operation();
        let request = match answer {
            Answer::Maintenance => {
                self.http.write(op, Method::POST, &format!("{}maintenancedirect.asp", self.base(tenant.env)))
            }
            Answer::Query => self.http.read(op, Method::POST, &format!("{}querydirect.asp", self.base(tenant.env))),
        };
        let response =
            request.form(&params).send().await.map_err(|e| CallFailure::Transport(describe(&e).to_owned()))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(CallFailure::Status(status.as_u16()));
        }
        let body = response.bytes().await.map_err(|e| CallFailure::Transport(describe_reqwest(&e).to_owned()))?;
        if body.len() > xml::MAX_BODY {
            return Err(CallFailure::Unreadable(xml::XmlError::TooLarge(body.len()).to_string()));
        }
        let x = xml::parse(&body).map_err(|e| CallFailure::Unreadable(e.to_string()))?;
        Ok(Reply::read(&x, answer)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ic_15_endpoints_are_configuration_and_cannot_point_at_the_other_environment() {
        let ok = PostFinanceConfig::from_env(&Env::default()).unwrap();
        assert_eq!(ok.test_url, "https://e-payment.postfinance.ch/ncol/test/");
        assert_eq!(ok.prod_url, "https://e-payment.postfinance.ch/ncol/prod/");
        let cases = [
            ("POSTFINANCE_PROD_URL", "https://e-payment.postfinance.ch/ncol/test/", false),
            ("POSTFINANCE_TEST_URL", "https://e-payment.postfinance.ch/ncol/prod/", false),
            ("POSTFINANCE_PROD_URL", "http://pf.example/ncol/prod/", false),
            ("POSTFINANCE_PROD_URL", "http://127.0.0.1:7007/ncol/prod", true),
            ("POSTFINANCE_TEST_URL", "https://u:p@pf.example/ncol/test/", false),
            ("POSTFINANCE_TEST_URL", "not a url", false),
        ];
        for (var, value, accepted) in cases {
            let r = PostFinanceConfig::from_env(&Env::from_pairs([(var, value)]));
            assert_eq!(r.is_ok(), accepted, "{var}={value}");
            if let Err(e) = r {
                assert_eq!(e.var, var);
            }
        }
        let c = PostFinanceConfig::from_env(&Env::from_pairs([(
            "POSTFINANCE_PROD_URL",
            "http://127.0.0.1:7007/ncol/prod",
        )]))
        .unwrap();
        let pf = PostFinance::new(c).unwrap();
        assert_eq!(pf.base(PfEnv::Prod), "http://127.0.0.1:7007/ncol/prod/");
        assert_eq!(pf.base(PfEnv::Test), "https://e-payment.postfinance.ch/ncol/test/");
    }
}
