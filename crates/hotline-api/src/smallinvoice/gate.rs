//! smallinvoice's rate budget as a step of the outbound client (`kit::outbound`). Every answer
//! carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset` (seconds
//! left in the period; the introduction of the API documentation). A 429 is not retried at
//! once — the budget is spent until the reset, often most of an hour — but turned into
//! [`RateLimited`], and calls until the reset are refused here without being sent, so a busy
//! hotline cannot turn one 429 into a storm of them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use http::Extensions;
use reqwest::{Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};

/// The budget is spent; `reset` is what smallinvoice said (or what is left of it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("smallinvoice rate limit reached{}", .reset.map(|r| format!("; resets in {} s", r.as_secs())).unwrap_or_default())]
pub struct RateLimited {
    /// Time until the period resets, when smallinvoice said it.
    pub reset: Option<Duration>,
    /// The application code of the 429 body (6000), once read by the adapter.
    pub code: Option<i64>,
}

/// The last budget smallinvoice reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Calls per period.
    pub limit: u64,
    /// Calls left.
    pub remaining: u64,
    /// Seconds until the period resets.
    pub reset_secs: u64,
}

/// The middleware.
#[derive(Debug, Default)]
pub struct Gate {
    /// Until when calls are refused without being sent (after a 429).
    blocked_until: Mutex<Option<Instant>>,
    /// The budget of the last answer that carried the headers.
    last: Mutex<Option<Budget>>,
}

impl Gate {
    /// The budget of the last answer that carried the rate-limit headers.
    pub fn budget(&self) -> Option<Budget> {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn blocked(&self) -> Option<Duration> {
        let until = (*self.blocked_until.lock().unwrap_or_else(|p| p.into_inner()))?;
        until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
    }
}

fn header(r: &Response, name: &str) -> Option<u64> {
    r.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The budget of an answer, when it carries all three headers.
pub fn budget_of(r: &Response) -> Option<Budget> {
    Some(Budget {
        limit: header(r, "x-rate-limit-limit")?,
        remaining: header(r, "x-rate-limit-remaining")?,
        reset_secs: header(r, "x-rate-limit-reset")?,
    })
}

#[async_trait]
impl Middleware for Gate {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        if let Some(left) = self.blocked() {
            return Err(reqwest_middleware::Error::middleware(RateLimited { reset: Some(left), code: None }));
        }
        let r = next.run(req, extensions).await?;
        let budget = budget_of(&r);
        if let Some(b) = budget {
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(b);
        }
        if r.status() != StatusCode::TOO_MANY_REQUESTS {
            return Ok(r);
        }
        let reset = budget.map(|b| Duration::from_secs(b.reset_secs));
        if let Some(wait) = reset {
            *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now() + wait);
        }
        tracing::warn!(reset_secs = reset.map(|r| r.as_secs()), "smallinvoice rate limit reached");
        let code = r.json::<serde_json::Value>().await.ok().and_then(|v| v["code"].as_i64());
        Err(reqwest_middleware::Error::middleware(RateLimited { reset, code }))
    }
}

/// The [`RateLimited`] inside a middleware error, if that is what it is.
pub fn rate_limited(e: &reqwest_middleware::Error) -> Option<RateLimited> {
    match e {
        reqwest_middleware::Error::Middleware(e) => e.downcast_ref::<RateLimited>().cloned(),
        reqwest_middleware::Error::Reqwest(_) => None,
    }
}
