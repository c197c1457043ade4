//! The one outbound HTTP client every partner adapter uses (reqwest behind reqwest-middleware).
//! Each attempt gets an OpenTelemetry HTTP client span and the `payops_external_*` metrics;
//! reads ([`Outbound::read`]) are retried on transient failures with capped exponential
//! backoff (and `Retry-After` on 429/503), writes ([`Outbound::write`]) are sent exactly once —
//! a write whose answer is lost is the journal's to resolve, never the transport's to repeat.
//!
//! Spans and metrics carry the partner (`system`), the adapter's operation name, the method,
//! the server and the path — never the query string or a body (they may hold credentials or
//! personal data). Errors are described by [`describe`] without the URL for the same reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Extensions;
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next, RequestBuilder};
use tracing::Instrument;

/// Timeouts and the read-retry policy of one partner's client.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Whole-request timeout (connect + send + answer).
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retries of a read after the first attempt.
    pub read_retries: u32,
    /// First backoff; each retry waits four times longer, up to `backoff_cap`.
    pub backoff_base: Duration,
    /// Longest wait between two attempts (also caps `Retry-After`).
    pub backoff_cap: Duration,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            read_retries: 2,
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_secs(2),
        }
    }
}

impl OutboundConfig {
    /// The default with another whole-request timeout.
    pub fn with_timeout(timeout: Duration) -> Self {
        OutboundConfig { timeout, ..OutboundConfig::default() }
    }
}

/// The operation name of a request (set by [`Outbound::read`] / [`Outbound::write`]).
#[derive(Debug, Clone, Copy)]
struct Operation(&'static str);

/// A partner's HTTP client: one connection pool, two middleware chains.
#[derive(Debug, Clone)]
pub struct Outbound {
    system: &'static str,
    writes: ClientWithMiddleware,
    reads: ClientWithMiddleware,
}

impl Outbound {
    /// A client for `system` (`unzer`, `pixi`, …).
    pub fn new(system: &'static str, config: &OutboundConfig) -> Result<Self, reqwest::Error> {
        Self::build(system, config, None)
    }

    /// A client whose every attempt (each retry of a read too) first passes `gate`, e.g. a rate
    /// limiter the partner's budget is shared through: it runs inside the read retries and
    /// outside the telemetry, so time spent waiting for it is not counted as the partner's.
    pub fn with_gate(
        system: &'static str,
        config: &OutboundConfig,
        gate: Arc<dyn Middleware>,
    ) -> Result<Self, reqwest::Error> {
        Self::build(system, config, Some(gate))
    }

    fn build(
        system: &'static str,
        config: &OutboundConfig,
        gate: Option<Arc<dyn Middleware>>,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("payops/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let telemetry = Telemetry { system };
        let mut writes = ClientBuilder::new(http.clone());
        let mut reads = ClientBuilder::new(http).with(Retry {
            retries: config.read_retries,
            base: config.backoff_base,
            cap: config.backoff_cap,
        });
        if let Some(g) = gate {
            writes = writes.with_arc(g.clone());
            reads = reads.with_arc(g);
        }
        let writes = writes.with(telemetry.clone()).build();
        let reads = reads.with(telemetry).build();
        Ok(Outbound { system, writes, reads })
    }

    /// The partner this client calls.
    pub fn system(&self) -> &'static str {
        self.system
    }

    /// A request that changes nothing at the partner: retried on transient failures.
    pub fn read(&self, operation: &'static str, method: Method, url: &str) -> RequestBuilder {
        self.reads.request(method, url).with_extension(Operation(operation))
    }

    /// A request that may change something at the partner: sent once.
    pub fn write(&self, operation: &'static str, method: Method, url: &str) -> RequestBuilder {
        self.writes.request(method, url).with_extension(Operation(operation))
    }
}

/// A transport failure in words that carry no URL, query or body: `timeout`, `connect`,
/// `body`, `redirect`, `request` or `middleware`.
pub fn describe(e: &reqwest_middleware::Error) -> &'static str {
    match e {
        reqwest_middleware::Error::Reqwest(e) => describe_reqwest(e),
        reqwest_middleware::Error::Middleware(_) => "middleware",
    }
}

/// [`describe`] for a plain reqwest error (reading an answer body).
pub fn describe_reqwest(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else if e.is_redirect() {
        "redirect"
    } else {
        "request"
    }
}

/// The metric outcome of one attempt.
fn outcome(result: &reqwest_middleware::Result<Response>) -> &'static str {
    match result {
        Ok(r) if r.status().is_success() => "ok",
        Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        Ok(r) if r.status().is_client_error() => "rejected",
        Ok(r) if r.status().is_server_error() => "error",
        Ok(_) => "unknown",
        Err(e) if describe(e) == "timeout" => "timeout",
        Err(_) => "error",
    }
}

/// One span and one metric sample per attempt.
#[derive(Debug, Clone)]
struct Telemetry {
    system: &'static str,
}

#[async_trait::async_trait]
impl Middleware for Telemetry {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let op = extensions.get::<Operation>().map_or("call", |o| o.0);
        let url = req.url();
        let span = tracing::info_span!(
            "http client",
            otel.name = format!("{} {op}", req.method()),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %req.method(),
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port_or_known_default().unwrap_or(0),
            url.path = url.path(),
            http.response.status_code = tracing::field::Empty,
            error.r#type = tracing::field::Empty,
            payops.system = self.system,
            payops.operation = op,
        );
        let started = Instant::now();
        let result = next.run(req, extensions).instrument(span.clone()).await;
        let o = outcome(&result);
        match &result {
            Ok(r) => {
                span.record("http.response.status_code", r.status().as_u16());
                if r.status().is_server_error() {
                    span.record("otel.status_code", "ERROR");
                    span.record("error.type", r.status().as_str());
                }
            }
            Err(e) => {
                span.record("otel.status_code", "ERROR");
                span.record("error.type", describe(e));
            }
        }
        crate::metrics::external_call(self.system, op, o, started.elapsed());
        result
    }
}

/// Retries reads on connect failures, timeouts, 429, 502, 503 and 504.
#[derive(Debug, Clone)]
struct Retry {
    retries: u32,
    base: Duration,
    cap: Duration,
}

fn retry_after(r: &Response) -> Option<Duration> {
    let v = r.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[async_trait::async_trait]
impl Middleware for Retry {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let mut delay = self.base;
        let mut attempt = 0;
        loop {
            // A body that cannot be cloned (a stream) is sent once.
            let Some(copy) = req.try_clone().filter(|_| attempt < self.retries) else {
                return next.run(req, extensions).await;
            };
            let result = next.clone().run(copy, extensions).await;
            let wait = match &result {
                Ok(r) if matches!(r.status().as_u16(), 429 | 502..=504) => Some(retry_after(r).unwrap_or(delay)),
                Err(e) if matches!(describe(e), "timeout" | "connect") => Some(delay),
                _ => None,
            };
            let Some(wait) = wait else { return result };
            attempt += 1;
            tokio::time::sleep(wait.min(self.cap)).await;
            delay = (delay * 4).min(self.cap);
        }
    }
}

/// `true` when `m` is safe to repeat by HTTP's own definition.
pub fn idempotent(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::StatusCode as S;
    use axum::routing::{get, post};

    use super::*;

    async fn serve(router: Router) -> String {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, router).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn reads_are_retried_on_503_and_writes_are_sent_once() {
        let hits = Arc::new(AtomicUsize::new(0));
        let (h1, h2) = (hits.clone(), hits.clone());
        let router = Router::new()
            .route(
                "/r",
                get(move || {
                    let n = h1.fetch_add(1, Ordering::SeqCst);
                    async move { if n < 2 { S::SERVICE_UNAVAILABLE } else { S::OK } }
                }),
            )
            .route(
                "/w",
                post(move || {
                    h2.fetch_add(100, Ordering::SeqCst);
                    async { S::SERVICE_UNAVAILABLE }
                }),
            );
        let base = serve(router).await;
        let c = Outbound::new("unit", &OutboundConfig { backoff_base: Duration::from_millis(1), ..Default::default() })
            .unwrap();
        let r = c.read("probe", Method::GET, &format!("{base}/r")).send().await.unwrap();
        assert_eq!((r.status(), hits.load(Ordering::SeqCst)), (StatusCode::OK, 3));
        let r = c.write("act", Method::POST, &format!("{base}/w")).send().await.unwrap();
        assert_eq!((r.status(), hits.load(Ordering::SeqCst)), (StatusCode::SERVICE_UNAVAILABLE, 103));
    }

    #[tokio::test]
    async fn errors_are_described_without_the_url() {
        let c = Outbound::new("unit", &OutboundConfig { read_retries: 0, ..Default::default() }).unwrap();
        let e = c.read("probe", Method::GET, "http://127.0.0.1:9/secret?password=x").send().await.unwrap_err();
        assert_eq!(describe(&e), "connect");
    }
}
