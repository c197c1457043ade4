//! The pixi SOAP client: one method per call pixi-sync uses, Basic authentication, timeouts,
//! retries with capped backoff for reads only, a metric per call, and the quiet window
//! (PX-22) enforced here as a last line of defence: inside it no request leaves the process.
//!
//! Error mapping: HTTP 401 → [`PixiError::Unauthorized`]; a SOAP fault → [`PixiError::Fault`]
//! (pixi refused; nothing happened); timeouts, connection failures, 5xx without a SOAP body
//! and 503 → [`PixiError::Unavailable`] (the outcome of a write is unknown).

mod calls;
pub mod wire;

use std::time::{Duration, Instant};

use chrono_tz::Tz;
use kit::clock::SharedClock;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::quiet::QuietWindow;
use wire::{Answer, Param, Row};

pub use calls::{ChangedOrders, InvoiceRow, PaymentMethodRow};

/// pixi call failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixiError {
    /// Inside the nightly quiet window nothing is sent (PX-22).
    #[error("quiet window: no request goes to pixi now")]
    QuietWindow,
    /// The credentials were refused (HTTP 401).
    #[error("pixi refused the credentials")]
    Unauthorized,
    /// pixi answered with a SOAP fault: the call was refused.
    #[error("pixi fault {code}: {message}")]
    Fault {
        /// `faultcode`.
        code: String,
        /// `faultstring`.
        message: String,
    },
    /// pixi could not be reached or answered unreadably: a write may or may not have happened.
    #[error("pixi unavailable: {0}")]
    Unavailable(String),
}

impl PixiError {
    /// Worth retrying a read for.
    pub fn is_transient(&self) -> bool {
        matches!(self, PixiError::Unavailable(_))
    }
}

/// Where and how to reach one pixi installation.
#[derive(Clone)]
pub struct PixiTarget {
    /// SOAP endpoint.
    pub endpoint: String,
    /// API user.
    pub user: String,
    /// API password.
    pub password: SecretString,
    /// Zone of the installation.
    pub tz: Tz,
}

impl std::fmt::Debug for PixiTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PixiTarget").field("endpoint", &self.endpoint).field("user", &self.user).finish_non_exhaustive()
    }
}

/// A client for one pixi installation.
#[derive(Clone)]
pub struct PixiClient {
    http: reqwest::Client,
    target: PixiTarget,
    clock: SharedClock,
    quiet: QuietWindow,
}

/// Read retries after the first attempt.
const READ_RETRIES: u32 = 2;

impl PixiClient {
    /// A client for `target`; `http` carries the timeouts.
    pub fn new(http: reqwest::Client, target: PixiTarget, clock: SharedClock, quiet: QuietWindow) -> Self {
        PixiClient { http, target, clock, quiet }
    }

    /// The installation's zone.
    pub fn tz(&self) -> Tz {
        self.target.tz
    }

    /// True while the quiet window is on (nothing may be sent).
    pub fn quiet_now(&self) -> bool {
        self.quiet.contains(self.clock.now(), self.target.tz)
    }

    /// A read: retried with capped backoff on transient failures.
    pub(crate) async fn read(&self, call: &'static str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            match self.send(call, params).await {
                Err(e) if e.is_transient() && attempt < READ_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 4).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    /// A write: sent once; the journal decides about retries.
    pub(crate) async fn write(&self, call: &'static str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        self.send(call, params).await
    }

    async fn send(&self, call: &'static str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        if self.quiet_now() {
            kit::metrics::external_call("pixi", call, "quiet_window", Duration::ZERO);
            return Err(PixiError::QuietWindow);
        }
        let started = Instant::now();
        let result = self.exchange(call, params).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(PixiError::Fault { .. }) => "fault",
            Err(PixiError::Unauthorized) => "unauthorized",
            Err(PixiError::Unavailable(_)) => "unavailable",
            Err(PixiError::QuietWindow) => "quiet_window",
        };
        kit::metrics::external_call("pixi", call, outcome, started.elapsed());
        if let Err(e) = &result {
            tracing::debug!(call, error = %e, "pixi call failed");
        }
        result
    }

    async fn exchange(&self, call: &str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        let body = wire::envelope(call, params);
        let response = self
            .http
            .post(&self.target.endpoint)
            .basic_auth(&self.target.user, Some(self.target.password.expose_secret()))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{}{call}\"", wire::NS))
            .body(body)
            .send()
            .await
            .map_err(|e| PixiError::Unavailable(transport(&e)))?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(PixiError::Unauthorized);
        }
        let text = response.text().await.map_err(|e| PixiError::Unavailable(transport(&e)))?;
        match wire::parse(&text) {
            Some(Answer::Sets(sets)) if status.is_success() => Ok(sets),
            Some(Answer::Fault { code, message }) => Err(PixiError::Fault { code, message }),
            _ => Err(PixiError::Unavailable(format!("HTTP {status} without a readable SOAP answer"))),
        }
    }
}

/// A transport error without the URL (it may carry credentials).
fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "request"
    };
    format!("{kind} error")
}
