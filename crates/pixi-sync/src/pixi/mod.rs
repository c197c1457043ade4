//! The pixi SOAP client: one method per call pixi-sync makes (contract cases:
//! `crates/sandbox/contracts/pixi/`), sent through `kit::outbound` (reads retried, writes sent
//! once, spans and `payops_external_*` metrics), every answer column read fail-closed
//! (`kit::contract::Fields`), optional parameters sent only where the installation's revision
//! has them, and the quiet window (PX-22) enforced here as a last line of defence: inside it no
//! request leaves the process.
//!
//! Error classes (CT-04), from what pixi's SQL Server native web services answer:
//! - [`PixiError::Refused`]: definitely nothing happened — a SOAP fault of the request
//!   (`SOAP-ENV:Client`: unknown or uninstalled call, bad envelope), an `SqlMessage` from
//!   binding the parameters (201 missing, 8145 unknown, 8143 repeated, 8144 too many, 8114/241/245
//!   conversion, 2812 no such procedure), or a documented business refusal (`ReturnCode` ERROR).
//! - [`PixiError::Transient`]: nothing happened, try later — SQL 1205 (deadlock victim: the
//!   batch was rolled back), HTTP 503/429 without a SOAP answer, no connection.
//! - [`PixiError::Unknown`]: it may have happened — a `SOAP-ENV:Server` fault, any other
//!   `SqlMessage` error (a procedure's `RAISERROR` may come after part of its work), timeouts,
//!   answers that are not SOAP. Never a refusal: the journal probes pixi before anything is
//!   sent again.
//! - [`PixiError::Contract`]: the answer lacks a column the logic needs (CT-05).
//! - Informational `SqlMessage`s (class ≤ 10) arrive with rows and are no error.

pub mod meter;
mod reads;
mod rows;
pub mod wire;
mod writes;

use chrono_tz::Tz;
use kit::clock::SharedClock;
use kit::contract::ContractError;
use kit::outbound::Outbound;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::quiet::QuietWindow;
use wire::{Answer, Param, Row, SqlMessage};

pub use reads::{ChangedOrders, Header, InvoiceRow, PaymentMethodRow};

/// pixi call failures, by what they mean for the caller (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixiError {
    /// Inside the nightly quiet window nothing is sent (PX-22).
    #[error("quiet window: no request goes to pixi now")]
    QuietWindow,
    /// The credentials were refused (HTTP 401/403).
    #[error("pixi refused the credentials")]
    Unauthorized,
    /// pixi refused the call: nothing happened.
    #[error("pixi refused {code}: {message}")]
    Refused {
        /// What refused it (`SOAP-ENV:Client`, `SQL 8145`, `ReturnCode=ERROR`, …).
        code: String,
        /// pixi's text.
        message: String,
    },
    /// Nothing happened, but trying again later may work.
    #[error("pixi temporarily failed: {0}")]
    Transient(String),
    /// The call may or may not have taken effect.
    #[error("pixi outcome unknown: {0}")]
    Unknown(String),
    /// The answer breaks its contract (a column the logic needs is missing or malformed).
    #[error(transparent)]
    Contract(#[from] ContractError),
}

impl PixiError {
    /// pixi is (probably) unavailable now: back off and try again (a read may be retried; a
    /// write's outcome must be probed first).
    pub fn is_transient(&self) -> bool {
        matches!(self, PixiError::Transient(_) | PixiError::Unknown(_))
    }

    /// The class name used in contract tests and logs.
    pub fn class(&self) -> &'static str {
        match self {
            PixiError::QuietWindow => "quiet_window",
            PixiError::Unauthorized => "unauthorized",
            PixiError::Refused { .. } => "refused",
            PixiError::Transient(_) => "transient",
            PixiError::Unknown(_) => "unknown",
            PixiError::Contract(_) => "contract",
        }
    }
}

/// SQL Server errors raised while binding parameters or finding the procedure, before any of
/// its work: a refusal.
const BINDING_ERRORS: [i64; 9] = [201, 241, 245, 2812, 8114, 8115, 8143, 8144, 8145];
/// Deadlock victim: the batch was terminated and its transaction rolled back.
const DEADLOCK: i64 = 1205;

/// Classifies the first error message of an answer (see the module docs).
pub fn classify(m: &SqlMessage) -> PixiError {
    let text = format!("SQL {} (class {}): {}", m.number, m.class, m.message);
    if m.number == DEADLOCK {
        PixiError::Transient(text)
    } else if BINDING_ERRORS.contains(&m.number) && m.class <= 16 {
        PixiError::Refused { code: format!("SQL {}", m.number), message: m.message.clone() }
    } else {
        PixiError::Unknown(text)
    }
}

/// A pixi API revision (`23.3.0.36397`), compared part by part.
pub type Revision = [u32; 4];

/// Parses `a.b.c.d` (2 to 4 dotted numbers; missing parts are 0).
pub fn parse_revision(text: &str) -> Option<Revision> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let mut out = [0u32; 4];
    for (i, p) in parts.iter().enumerate() {
        out[i] = p.parse().ok()?;
    }
    Some(out)
}

/// `RowCount`/`FromInvoiceId` of the payment lists: 22.06 (22.6.0.28129).
pub const PAY_PAGING: Revision = [22, 6, 0, 28129];
/// `Reason`/`UserName` of `pixiSetOrderShippingLock`: 23.03 (23.3.0.36397).
pub const LOCK_REASON: Revision = [23, 3, 0, 36397];

/// What the installation's API revision allows. An unknown revision allows only what every
/// supported revision (LOU Update 46 on) has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Caps {
    /// The revision, when known.
    pub revision: Option<Revision>,
}

impl Caps {
    /// Capabilities of `revision`.
    pub fn of(revision: Option<Revision>) -> Self {
        Caps { revision }
    }

    fn has(&self, since: Revision) -> bool {
        self.revision.is_some_and(|r| r >= since)
    }

    /// The payment lists take `RowCount` and `FromInvoiceId`.
    pub fn pay_paging(&self) -> bool {
        self.has(PAY_PAGING)
    }

    /// `pixiSetOrderShippingLock` takes `Reason` and `UserName`.
    pub fn lock_reason(&self) -> bool {
        self.has(LOCK_REASON)
    }
}

/// Where and how to reach one pixi installation.
#[derive(Clone)]
pub struct PixiTarget {
    /// SOAP endpoint (also the namespace of the call element).
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
    http: Outbound,
    target: PixiTarget,
    clock: SharedClock,
    quiet: QuietWindow,
    caps: Caps,
    meter: Option<meter::Meter>,
}

impl PixiClient {
    /// A client for `target` with the capabilities of its revision.
    pub fn new(http: Outbound, target: PixiTarget, clock: SharedClock, quiet: QuietWindow, caps: Caps) -> Self {
        PixiClient { http, target, clock, quiet, caps, meter: None }
    }

    /// The same client counting its calls for `tenant` into `stats`.
    pub fn with_meter(mut self, tenant: uuid::Uuid, stats: std::sync::Arc<meter::CallStats>) -> Self {
        self.meter = Some(meter::Meter { tenant, stats });
        self
    }

    /// The installation's zone.
    pub fn tz(&self) -> Tz {
        self.target.tz
    }

    /// What the installation's revision allows.
    pub fn caps(&self) -> Caps {
        self.caps
    }

    /// The same client with other capabilities (after detecting the revision).
    pub fn with_caps(mut self, caps: Caps) -> Self {
        self.caps = caps;
        self
    }

    /// True while the quiet window is on (nothing may be sent).
    pub fn quiet_now(&self) -> bool {
        self.quiet.contains(self.clock.now(), self.target.tz)
    }

    /// A read: retried by the transport on 429/502/503/504, timeouts and connection failures.
    pub(crate) async fn read(&self, call: &'static str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        self.send(call, params, false).await
    }

    /// A write: sent once; the journal decides about retries.
    pub(crate) async fn write(&self, call: &'static str, params: &[(&str, Param)]) -> Result<Vec<Vec<Row>>, PixiError> {
        self.send(call, params, true).await
    }

    async fn send(
        &self,
        call: &'static str,
        params: &[(&str, Param)],
        write: bool,
    ) -> Result<Vec<Vec<Row>>, PixiError> {
        if self.quiet_now() {
            return Err(PixiError::QuietWindow);
        }
        if let Some(m) = &self.meter {
            m.stats.count(m.tenant, self.clock.now());
        }
        let result = self.exchange(call, params, write).await;
        if let Err(e) = &result {
            tracing::debug!(call, class = e.class(), error = %e, "pixi call failed");
        }
        result
    }

    /// pixi's clock: the HTTP `Date` of an answer to the credentials call (preflight).
    pub async fn server_date(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, PixiError> {
        if self.quiet_now() {
            return Err(PixiError::QuietWindow);
        }
        let response = self.post("pixiGetPaymenttypes", &[], false).await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(PixiError::Unauthorized);
        }
        Ok(response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&chrono::Utc)))
    }

    async fn post(
        &self,
        call: &'static str,
        params: &[(&str, Param)],
        write: bool,
    ) -> Result<reqwest::Response, PixiError> {
        let endpoint = self.target.endpoint.as_str();
        let builder = if write {
            self.http.write(call, Method::POST, endpoint)
        } else {
            self.http.read(call, Method::POST, endpoint)
        };
        builder
            .basic_auth(&self.target.user, Some(self.target.password.expose_secret()))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{endpoint}{call}\""))
            .body(wire::envelope(endpoint, call, params))
            .send()
            .await
            .map_err(|e| match kit::outbound::describe(&e) {
                "connect" => PixiError::Transient("no connection".into()),
                kind => PixiError::Unknown(format!("{kind} error")),
            })
    }

    async fn exchange(
        &self,
        call: &'static str,
        params: &[(&str, Param)],
        write: bool,
    ) -> Result<Vec<Vec<Row>>, PixiError> {
        let response = self.post(call, params, write).await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(PixiError::Unauthorized);
        }
        let text = response
            .text()
            .await
            .map_err(|e| PixiError::Unknown(format!("{} error", kit::outbound::describe_reqwest(&e))))?;
        answer(status, &text)
    }
}

/// Turns an HTTP answer into result sets or the error class it means.
pub fn answer(status: StatusCode, text: &str) -> Result<Vec<Vec<Row>>, PixiError> {
    match wire::parse(text) {
        Some(Answer::Fault { code, message }) => {
            let local = code.rsplit(':').next().unwrap_or(&code);
            if matches!(local, "Client" | "Sender" | "VersionMismatch" | "MustUnderstand") {
                Err(PixiError::Refused { code, message })
            } else {
                Err(PixiError::Unknown(format!("{code}: {message}")))
            }
        }
        Some(Answer::Result { sets, messages }) => {
            if let Some(m) = messages.iter().find(|m| m.is_error()) {
                return Err(classify(m));
            }
            if status.is_success() { Ok(sets) } else { Err(PixiError::Unknown(format!("HTTP {status} with a result"))) }
        }
        None if matches!(status.as_u16(), 429 | 503) => Err(PixiError::Transient(format!("HTTP {status}"))),
        None => Err(PixiError::Unknown(format!("HTTP {status} without a SOAP answer"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(class: i64, number: i64) -> SqlMessage {
        SqlMessage { class, number, message: "m".into(), procedure: "pipiX".into() }
    }

    #[test]
    fn ct_04_pixi_sql_messages_are_classified_refused_transient_or_unknown() {
        let cases = [
            (msg(13, 1205), "transient"),
            (msg(16, 8145), "refused"),
            (msg(16, 201), "refused"),
            (msg(16, 8114), "refused"),
            (msg(16, 50000), "unknown"),
            (msg(14, 547), "unknown"),
            (msg(20, 8145), "unknown"),
        ];
        for (m, class) in cases {
            assert_eq!(classify(&m).class(), class, "{m:?}");
        }
    }

    #[test]
    fn revisions_compare_part_by_part() {
        assert_eq!(parse_revision("23.3.0.36397"), Some([23, 3, 0, 36397]));
        assert_eq!(parse_revision("8.4.43.34931"), Some([8, 4, 43, 34931]));
        assert_eq!(parse_revision("36397"), None);
        assert_eq!(parse_revision("not-a-value"), None);
        assert!(!Caps::of(parse_revision("8.4.43.34931")).pay_paging());
        assert!(Caps::of(parse_revision("22.6.0.28129")).pay_paging());
        assert!(!Caps::of(parse_revision("22.6.0.28129")).lock_reason());
        assert!(Caps::of(parse_revision("26.6.0.11854")).lock_reason());
        assert!(!Caps::default().pay_paging() && !Caps::default().lock_reason());
    }
}
