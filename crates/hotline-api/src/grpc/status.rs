//! The one place hotline errors become gRPC statuses: codes chosen on purpose, ErrorInfo
//! reasons a caller can act on, field violations for bad input, internal causes logged and
//! never sent.

use tonic::{Code, Status};

use crate::error::Error;

const DOMAIN: &str = "hotline-api";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        use kit::grpc::status::refused;
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::Unauthenticated => {
                refused(Code::Unauthenticated, "UNAUTHENTICATED", DOMAIN, "missing, invalid or expired token")
            }
            Error::BadCredentials => {
                refused(Code::Unauthenticated, "INVALID_CREDENTIALS", DOMAIN, "Benutzername oder Passwort falsch")
            }
            Error::Throttled { retry_after_secs } => refused(
                Code::ResourceExhausted,
                "LOGIN_THROTTLED",
                DOMAIN,
                format!("zu viele Fehlversuche; erneut versuchen in {retry_after_secs} s"),
            ),
            Error::Forbidden { role, action } => {
                refused(Code::PermissionDenied, "ROLE_REQUIRED", DOMAIN, format!("role {role} may not {action}"))
            }
            Error::StepUpFailed => refused(Code::PermissionDenied, "STEP_UP_FAILED", DOMAIN, "Admin-Passwort falsch"),
            Error::NotFound(what) => refused(Code::NotFound, "NOT_FOUND", DOMAIN, format!("{what} not found")),
            Error::Precondition { reason, message } => refused(Code::FailedPrecondition, reason, DOMAIN, message),
            Error::Partner { system, detail } => {
                tracing::warn!(system, detail = %detail, "partner failed");
                refused(
                    Code::Unavailable,
                    &format!("{system}_UNAVAILABLE"),
                    DOMAIN,
                    format!("{system} nicht erreichbar oder fehlerhaft"),
                )
            }
            Error::OutcomeUnknown(detail) => {
                tracing::warn!(detail = %detail, "partner outcome unknown");
                refused(
                    Code::Aborted,
                    "OUTCOME_UNKNOWN",
                    DOMAIN,
                    "Ergebnis unbekannt; bitte erneut versuchen (es wird kein zweiter Code erstellt)",
                )
            }
            Error::AgentExists => refused(Code::AlreadyExists, "AGENT_EXISTS", DOMAIN, "user name taken"),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            other => kit::grpc::status::internal(&other),
        }
    }
}
