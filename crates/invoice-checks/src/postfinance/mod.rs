//! The PostFinance e-payment adapter (legacy Ogone platform, `external-apis.md` §5, §8.5):
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
//!   timeout, reset, 5xx or unreadable reply is "outcome unknown". Queries are idempotent reads
//!   and are retried with capped backoff.
//! - Every call is measured with `payops_external_requests_total{system="postfinance",…}` and
//!   its latency histogram; the API password and passphrases are never logged.

pub mod hosted;
pub mod operation;
pub mod sha;
mod sha_lists;
pub mod tenant;
pub mod wire;
pub mod xml;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kit::config::{ConfigError, Env};
use kit::money::Currency;
use secrecy::ExposeSecret;

use crate::domain::swissbilling::{OpCode, PfEnv};
use tenant::Tenant;
use wire::{Reply, Verdict};

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

/// Why a call produced no reply we can read. For maintenance every one of these means "it may
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
    #[error("unreadable reply: {0}")]
    Unreadable(String),
}

/// The DirectLink client.
#[derive(Clone)]
pub struct PostFinance {
    http: reqwest::Client,
    config: Arc<PostFinanceConfig>,
}

impl PostFinance {
    /// A client with the configured timeouts (rustls).
    pub fn new(config: PostFinanceConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(config.timeout)
            .user_agent("payops-invoice-checks")
            .build()?;
        Ok(PostFinance { http, config: Arc::new(config) })
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
    pub async fn maintain(
        &self,
        tenant: &Tenant,
        payid: u64,
        op: OpCode,
        amount: i64,
        currency: Currency,
    ) -> Result<Reply, CallFailure> {
        let params =
            vec![("PAYID", payid.to_string()), ("AMOUNT", amount.to_string()), ("OPERATION", op.code().to_owned())];
        let started = Instant::now();
        let result = self.post(tenant, "maintenancedirect.asp", params, currency).await;
        let outcome = match &result {
            Ok(r) => match r.verdict() {
                Verdict::Ok => "accepted",
                Verdict::NotInCorrectStatus => "not_in_correct_status",
                Verdict::Refused => "refused",
                Verdict::Uncertain => "uncertain",
            },
            Err(CallFailure::Transport(_)) => "transport_error",
            Err(CallFailure::Status(_)) => "http_error",
            Err(CallFailure::Unreadable(_)) => "unreadable",
        };
        kit::metrics::external_call(SYSTEM, "maintenance", outcome, started.elapsed());
        tracing::info!(tenant = %tenant.name, payid, operation = op.code(), amount, outcome, "DirectLink maintenance");
        result
    }

    /// Reads the transaction `payid` (its latest level, or level `payidsub`). Retried on
    /// transport errors, 5xx and 429 with capped backoff.
    pub async fn query(
        &self,
        tenant: &Tenant,
        payid: u64,
        payidsub: Option<u32>,
        currency: Currency,
    ) -> Result<Reply, CallFailure> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 1;
        loop {
            let mut params = vec![("PAYID", payid.to_string())];
            if let Some(sub) = payidsub {
                params.push(("PAYIDSUB", sub.to_string()));
            }
            let started = Instant::now();
            let result = self.post(tenant, "querydirect.asp", params, currency).await;
            let retry = matches!(&result, Err(CallFailure::Transport(_)))
                || matches!(&result, Err(CallFailure::Status(s)) if *s >= 500 || *s == 429);
            let outcome = match &result {
                Ok(r) if r.verdict() == Verdict::Ok => "ok",
                Ok(_) => "refused",
                Err(_) => "error",
            };
            kit::metrics::external_call(SYSTEM, "query", outcome, started.elapsed());
            if !retry || attempt >= self.config.query_attempts {
                return result;
            }
            tracing::warn!(payid, attempt, error = ?result.as_ref().err(), "DirectLink query failed; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
            attempt += 1;
        }
    }

    async fn post(
        &self,
        tenant: &Tenant,
        page: &str,
        mut params: Vec<(&'static str, String)>,
        currency: Currency,
    ) -> Result<Reply, CallFailure> {
        params.insert(0, ("PSPID", tenant.pspid.clone()));
        params.insert(1, ("USERID", tenant.userid.clone()));
        params.insert(2, ("PSWD", tenant.pswd.expose_secret().to_owned()));
        let shasign =
            sha::sign_in(tenant.algorithm, params.iter().map(|(k, v)| (*k, v.as_str())), &tenant.sha_in_directlink);
        params.push(("SHASIGN", shasign));
        let url = format!("{}{page}", self.base(tenant.env));
        let response =
            self.http.post(&url).form(&params).send().await.map_err(|e| CallFailure::Transport(describe(&e)))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(CallFailure::Status(status.as_u16()));
        }
        let body = response.bytes().await.map_err(|e| CallFailure::Transport(describe(&e)))?;
        if body.len() > xml::MAX_BODY {
            return Err(CallFailure::Unreadable(xml::XmlError::TooLarge(body.len()).to_string()));
        }
        let x = xml::parse(&body).map_err(|e| CallFailure::Unreadable(e.to_string()))?;
        Reply::from_xml(&x, currency).map_err(|e| CallFailure::Unreadable(e.to_string()))
    }
}

/// A transport error in words, without the URL or anything the request carried.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else if e.is_body() || e.is_decode() {
        "reading the body failed".into()
    } else {
        "request failed".into()
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
