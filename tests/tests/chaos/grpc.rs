//! gRPC access to services that come and go: the address of each service (a restarted process
//! listens on the same port), the bearer token, and a retry loop for calls made while a
//! service is down. Every call the suite retries carries an idempotency key (request id,
//! order id), so a retry after a lost answer is the same request, not a new one.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tonic::Code;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::{Channel, Endpoint};

/// Where each service listens now, and the token to call it with.
#[derive(Debug, Default)]
pub struct Services {
    urls: BTreeMap<String, String>,
    token: Option<String>,
}

impl Services {
    /// Addresses by service name (`pixi-sync`, `terminal-gateway` …) and the service token.
    pub fn new(urls: BTreeMap<String, String>, token: Option<String>) -> Self {
        Services { urls, token }
    }

    /// The gRPC URL of `service`.
    pub fn url(&self, service: &str) -> String {
        self.urls.get(service).cloned().unwrap_or_default()
    }

    /// A lazily connecting channel to `service` (never blocks, fails on first use when down).
    pub fn channel(&self, service: &str) -> anyhow::Result<Channel> {
        let url = self.url(service);
        Ok(Endpoint::from_shared(url.clone())
            .with_context(|| format!("{service}: bad url {url:?}"))?
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(20))
            .connect_lazy())
    }

    /// The bearer interceptor.
    pub fn auth(&self) -> Auth {
        Auth(self.token.as_ref().map(|t| {
            MetadataValue::from_str(&format!("Bearer {t}"))
                .unwrap_or_else(|_| MetadataValue::from_static("Bearer invalid"))
        }))
    }
}

/// Adds `authorization: Bearer <token>` when a token is configured.
#[derive(Clone, Debug)]
pub struct Auth(Option<MetadataValue<Ascii>>);

impl Interceptor for Auth {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// True for failures a restart or a partner fault explains (worth retrying with the same key).
pub fn transient(s: &tonic::Status) -> bool {
    matches!(
        s.code(),
        Code::Unavailable
            | Code::Unknown
            | Code::DeadlineExceeded
            | Code::Internal
            | Code::Cancelled
            | Code::ResourceExhausted
            | Code::Aborted
    )
}

/// Calls `f` until it succeeds, a non-transient error comes back, or `limit` passes.
pub async fn retry<T, F, Fut>(what: &str, limit: Duration, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let started = Instant::now();
    let mut wait = Duration::from_millis(100);
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(s) if transient(&s) && started.elapsed() < limit => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(s) => bail!("{what}: {} {}", s.code(), s.message()),
        }
    }
}

/// A channel with the bearer interceptor.
pub type Intercepted = tonic::service::interceptor::InterceptedService<Channel, Auth>;
