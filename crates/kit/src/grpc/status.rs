//! Building gRPC errors on purpose: INVALID_ARGUMENT with `google.rpc.BadRequest` field
//! violations for bad input (every violation at once), FAILED_PRECONDITION with
//! `google.rpc.ErrorInfo` for business refusals with a machine-readable reason, and INTERNAL
//! for our own faults with the cause logged but never sent.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Collects field violations; turns into INVALID_ARGUMENT if any were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    items: Vec<(String, String)>,
}

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a violation of `field` with a human-readable `reason`.
    pub fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.items.push((field.into(), reason.into()));
    }

    /// Adds a violation when `check` fails.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, check: Result<T, E>) -> Option<T> {
        match check {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The violations as (field, reason) pairs.
    pub fn items(&self) -> &[(String, String)] {
        &self.items
    }

    /// `Ok(())` when empty, else the INVALID_ARGUMENT status.
    pub fn into_result(self) -> Result<(), Status> {
        if self.items.is_empty() { Ok(()) } else { Err(self.into_status()) }
    }

    /// INVALID_ARGUMENT listing every violation in the message and as `BadRequest` details.
    pub fn into_status(self) -> Status {
        let message = self.items.iter().map(|(f, r)| format!("{f}: {r}")).collect::<Vec<_>>().join("; ");
        let mut details = ErrorDetails::new();
        for (field, reason) in &self.items {
            details.add_bad_request_violation(field.clone(), reason.clone());
        }
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

/// One field violation as a status.
pub fn invalid_field(field: &str, reason: impl Into<String>) -> Status {
    let mut v = Violations::new();
    v.add(field, reason);
    v.into_status()
}

/// A refusal with a machine-readable reason, e.g. `("TERMINAL_BUSY", "terminal-gateway")`.
pub fn refused(code: Code, reason: &str, domain: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, domain, std::collections::HashMap::<String, String>::new());
    Status::with_error_details(code, message, details)
}

/// INTERNAL: logs `error` with its chain, sends only a generic message.
pub fn internal(error: &(dyn std::error::Error + 'static)) -> Status {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %chain, "internal error");
    Status::internal("internal error")
}

/// The field violations of a status (clients and tests).
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| (v.field, v.description)).collect())
        .unwrap_or_default()
}

/// The `ErrorInfo` reason of a status (clients and tests).
pub fn error_reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|i| i.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_carry_every_field() {
        let mut v = Violations::new();
        v.add("amount", "must be positive");
        v.add("order_id", "must not be empty");
        let s = v.into_status();
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            field_violations(&s),
            vec![("amount".into(), "must be positive".into()), ("order_id".into(), "must not be empty".into())]
        );
        assert!(s.message().contains("amount: must be positive"));
        assert!(Violations::new().into_result().is_ok());
    }

    #[test]
    fn refusals_carry_a_reason() {
        let s = refused(Code::FailedPrecondition, "TERMINAL_BUSY", "terminal-gateway", "terminal is busy");
        assert_eq!(error_reason(&s).as_deref(), Some("TERMINAL_BUSY"));
    }
}
