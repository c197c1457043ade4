//! The limiter as a step of the outbound client (`kit::outbound`): every attempt — each retry
//! of a read too — first takes a slot of the shared rate budget; a 429 pauses the budget for
//! `Retry-After`; every answer's `X-RateLimit-Remaining` goes to a gauge. A call the limiter
//! refuses is never sent.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::Extensions;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};

use super::error::retry_after;
use super::limiter::{CallKind, Limiter, Refusal};

/// Payops metric: 429 answers from Freshdesk.
pub const RATE_LIMITED: &str = "payops_freshdesk_rate_limited_total";
/// Payops metric: `X-RateLimit-Remaining` of Freshdesk's last answer.
pub const RATE_REMAINING: &str = "payops_freshdesk_ratelimit_remaining";

/// How long everything pauses after a 429 whose `Retry-After` cannot be read: a whole window
/// (the adapter reports the broken header as a contract error besides).
const PAUSE_WITHOUT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The middleware; the request's [`CallKind`] extension says what it costs (a call by default).
pub struct Gate {
    /// The shared budget.
    pub limiter: Arc<Limiter>,
}

#[async_trait]
impl Middleware for Gate {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let kind = extensions.get::<CallKind>().copied().unwrap_or(CallKind::Call);
        self.limiter.acquire(kind).await.map_err(reqwest_middleware::Error::middleware)?;
        let result = next.run(req, extensions).await;
        if let Ok(r) = &result {
            let header = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok());
            if let Some(left) = header("x-ratelimit-remaining").and_then(|v| v.trim().parse::<f64>().ok()) {
                metrics::gauge!(RATE_REMAINING).set(left);
            }
            if r.status() == StatusCode::TOO_MANY_REQUESTS {
                metrics::counter!(RATE_LIMITED).increment(1);
                let wait = retry_after(header("retry-after")).unwrap_or(PAUSE_WITHOUT_RETRY_AFTER);
                self.limiter.pause(wait).await;
            }
        }
        result
    }
}

/// The limiter's refusal inside a middleware error, if that is what it is.
pub fn refusal(e: &reqwest_middleware::Error) -> Option<Refusal> {
    match e {
        reqwest_middleware::Error::Middleware(e) => e.downcast_ref::<Refusal>().cloned(),
        reqwest_middleware::Error::Reqwest(_) => None,
    }
}
