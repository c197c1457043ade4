//! How a Freshdesk call failed (cases `crates/sandbox/contracts/freshdesk/*`, CT-04): which
//! failures certainly changed nothing (refusals, 429, auth) and which may have (5xx, timeouts,
//! cut connections, unreadable answers), which decides between "call again" and "probe first".
//! Error bodies are `{"description":"Validation failed","errors":[{field,message,code}]}` (400)
//! or `{"code","message"}`; 404 has an empty body; 429 carries `Retry-After` in seconds.

use std::time::Duration;

use kit::contract::ContractError;
use serde::{Deserialize, Serialize};

use crate::domain::retry::FailureClass;

/// One entry of a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field (empty for body-level errors).
    #[serde(default)]
    pub field: String,
    /// Freshdesk's message (may echo the value sent: never logged).
    #[serde(default)]
    pub message: String,
    /// Code, e.g. `invalid_value`.
    #[serde(default)]
    pub code: String,
}

/// Freshdesk's error bodies: `{"description":…,"errors":[…]}` or `{"code":…,"message":…}`.
/// Read leniently: the status alone classifies the failure; the body only adds detail.
#[derive(Debug, Clone, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<FieldError>,
    #[serde(default)]
    code: Option<String>,
}

/// How a Freshdesk call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreshdeskError {
    /// 429: wait for `retry_after` (nothing was done).
    #[error("rate limited by Freshdesk, retry after {retry_after:?}")]
    RateLimited {
        /// Freshdesk's `Retry-After`, or what is left of the limiter's pause.
        retry_after: Duration,
    },
    /// 400: the body was refused.
    #[error("Freshdesk refused the request: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// 401/403: the key is wrong or lacks rights (configuration; retried until fixed).
    #[error("Freshdesk refused the credentials ({status} {code})")]
    Auth {
        /// HTTP status.
        status: u16,
        /// Freshdesk's code.
        code: String,
    },
    /// 404.
    #[error("not found at Freshdesk")]
    NotFound,
    /// Another 4xx (405, 406, 409, 415 …): the bridge sent something Freshdesk will never take.
    #[error("Freshdesk answered {0}")]
    Refused(u16),
    /// 5xx or an unexpected status: it may have happened.
    #[error("Freshdesk answered {0}")]
    Server(u16),
    /// No answer in time: it may have happened.
    #[error("Freshdesk did not answer in time")]
    Timeout,
    /// The connection broke (or the shared rate budget could not be read); `sent` is false
    /// when the request certainly did not leave.
    #[error("connection to Freshdesk failed ({kind})")]
    Transport {
        /// Whether the request may have reached Freshdesk.
        sent: bool,
        /// What broke, without URLs or bodies.
        kind: &'static str,
    },
    /// A success status with a body that is not JSON: it happened, the answer is lost.
    #[error("unreadable answer from Freshdesk")]
    Malformed,
    /// The answer breaks its contract (CT-05): a needed field missing, empty or mistyped;
    /// counted in `payops_contract_violations_total`. `acted` when the status said success.
    #[error("Freshdesk's answer breaks its contract: field {field}")]
    Contract {
        /// The field, as a path.
        field: String,
        /// The call succeeded at Freshdesk (so it may have acted).
        acted: bool,
    },
    /// Search found nothing, but the creation was sent too recently for search to know
    /// (Freshdesk indexes new tickets only after minutes): look again after `retry_after`.
    #[error("Freshdesk search cannot tell yet whether the ticket exists; looking again in {retry_after:?}")]
    NotIndexedYet {
        /// Until the attempt is older than the indexing delay.
        retry_after: Duration,
    },
}

impl FreshdeskError {
    /// A contract violation of an answer whose status said success (`acted`) or not.
    pub fn contract(e: ContractError, acted: bool) -> Self {
        FreshdeskError::Contract { field: e.field, acted }
    }

    /// True when Freshdesk may have acted although the call failed (probe before calling again).
    pub fn maybe_acted(&self) -> bool {
        match self {
            FreshdeskError::Server(_)
            | FreshdeskError::Timeout
            | FreshdeskError::Malformed
            | FreshdeskError::NotIndexedYet { .. } => true,
            FreshdeskError::Transport { sent, .. } => *sent,
            FreshdeskError::Contract { acted, .. } => *acted,
            _ => false,
        }
    }

    /// How the work should be retried.
    pub fn class(&self) -> FailureClass {
        match self {
            FreshdeskError::RateLimited { retry_after } => FailureClass::RateLimited { retry_after: *retry_after },
            FreshdeskError::NotIndexedYet { retry_after } => FailureClass::Wait { retry_after: *retry_after },
            FreshdeskError::Invalid(_) | FreshdeskError::Refused(_) => FailureClass::Permanent,
            _ => FailureClass::Transient,
        }
    }

    /// Metric label of the failure.
    pub fn label(&self) -> &'static str {
        match self {
            FreshdeskError::RateLimited { .. } => "rate_limited",
            FreshdeskError::Invalid(_) => "invalid",
            FreshdeskError::Auth { .. } => "auth",
            FreshdeskError::NotFound => "not_found",
            FreshdeskError::Refused(_) => "refused",
            FreshdeskError::Server(_) => "server_error",
            FreshdeskError::Timeout => "timeout",
            FreshdeskError::Transport { .. } => "transport",
            FreshdeskError::Malformed => "malformed",
            FreshdeskError::Contract { .. } => "contract",
            FreshdeskError::NotIndexedYet { .. } => "not_indexed",
        }
    }
}

/// Field names and codes of a validation error (no messages: they may echo personal data).
pub fn summary(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return "validation failed".into();
    }
    errors
        .iter()
        .map(|e| if e.field.is_empty() { e.code.clone() } else { format!("{} {}", e.field, e.code) })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a non-success `status` with `body`, other than 429 (see [`retry_after`]).
pub fn error_for(status: u16, body: &[u8]) -> FreshdeskError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    match status {
        400 => FreshdeskError::Invalid(parsed.errors),
        401 | 403 => FreshdeskError::Auth { status, code: parsed.code.unwrap_or_default() },
        404 => FreshdeskError::NotFound,
        405..=499 => FreshdeskError::Refused(status),
        _ => FreshdeskError::Server(status),
    }
}

/// `Retry-After` of a 429 in whole seconds (clamped to 1 s … 1 h); `None` when missing or not a
/// number, which breaks the documented contract.
pub fn retry_after(value: Option<&str>) -> Option<Duration> {
    value.and_then(|v| v.trim().parse::<u64>().ok()).map(|s| Duration::from_secs(s.clamp(1, 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tk_05_status_mapping_table() {
        let invalid = br#"{"description":"Validation failed","errors":[{"field":"email","message":"It is not in a valid email format (a@b)","code":"invalid_value"}]}"#;
        let cases: Vec<(u16, &[u8], FreshdeskError, bool)> = vec![
            (
                400,
                invalid,
                FreshdeskError::Invalid(vec![FieldError {
                    field: "email".into(),
                    message: "It is not in a valid email format (a@b)".into(),
                    code: "invalid_value".into(),
                }]),
                false,
            ),
            (
                401,
                br#"{"code":"invalid_credentials","message":"x"}"#,
                FreshdeskError::Auth { status: 401, code: "invalid_credentials".into() },
                false,
            ),
            (404, b"", FreshdeskError::NotFound, false),
            (415, b"{}", FreshdeskError::Refused(415), false),
            (500, b"injected fault", FreshdeskError::Server(500), true),
            (503, b"", FreshdeskError::Server(503), true),
            (504, b"", FreshdeskError::Server(504), true),
        ];
        for (status, body, want, acted) in cases {
            let got = error_for(status, body);
            assert_eq!(got, want, "{status}");
            assert_eq!(got.maybe_acted(), acted, "{status}");
        }
        assert!(FreshdeskError::Timeout.maybe_acted());
        assert!(FreshdeskError::Malformed.maybe_acted());
        assert!(FreshdeskError::Transport { sent: true, kind: "reset" }.maybe_acted());
        assert!(!FreshdeskError::Transport { sent: false, kind: "connect" }.maybe_acted());
        assert!(FreshdeskError::Contract { field: "id".into(), acted: true }.maybe_acted());
        assert!(!FreshdeskError::Contract { field: "header:retry-after".into(), acted: false }.maybe_acted());
        assert_eq!(retry_after(Some("34")), Some(Duration::from_secs(34)));
        assert_eq!(retry_after(Some("0")), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(Some("soon")), None);
        assert_eq!(retry_after(None), None);
    }

    #[test]
    fn tk_05_failure_classes_and_summaries_hold_no_personal_data() {
        let e = error_for(
            400,
            br#"{"errors":[{"field":"email","message":"It is not in a valid email format (anna@x)","code":"invalid_value"}]}"#,
        );
        assert_eq!(e.class(), FailureClass::Permanent);
        assert_eq!(e.to_string(), "Freshdesk refused the request: email invalid_value");
        assert_eq!(FreshdeskError::Server(502).class(), FailureClass::Transient);
        assert_eq!(FreshdeskError::Auth { status: 401, code: String::new() }.class(), FailureClass::Transient);
        let wait = FreshdeskError::NotIndexedYet { retry_after: Duration::from_secs(90) };
        assert_eq!(wait.class(), FailureClass::Wait { retry_after: Duration::from_secs(90) });
        assert!(wait.maybe_acted(), "the ticket may exist: never create again on it");
    }
}
