//! The hotline's errors. gRPC statuses are chosen in `grpc/status.rs`, HTTP answers in
//! `web/error.rs`; both from this one enum, so the page and the API always agree.

use kit::grpc::status::Violations;

/// Everything that can go wrong in hotline-api.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; each entry is (field, reason).
    #[error("invalid input")]
    Invalid(Violations),
    /// No valid session or token.
    #[error("not logged in or session expired")]
    Unauthenticated,
    /// Wrong user name or password (one generic error, HL-03).
    #[error("invalid credentials")]
    BadCredentials,
    /// Too many failed attempts.
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    Throttled {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The caller's role does not allow this (HL-01).
    #[error("role {role} may not {action}")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
        /// What was refused.
        action: &'static str,
    },
    /// The step-up password was wrong (HL-02).
    #[error("step-up password wrong")]
    StepUpFailed,
    /// A named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request cannot be carried out in the current state.
    #[error("{message}")]
    Precondition {
        /// Machine-readable reason.
        reason: &'static str,
        /// German message for people.
        message: String,
    },
    /// A partner failed or timed out.
    #[error("{system} unavailable: {detail}")]
    Partner {
        /// `PGW`, `SMALLINVOICE` or `TICKETING`.
        system: &'static str,
        /// What happened (no personal data).
        detail: String,
    },
    /// A change at a partner may or may not have happened; repeating asks first.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// A user name is taken.
    #[error("agent exists")]
    AgentExists,
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] kit::journal::JournalError),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
    /// Something that should not happen.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// A partner failure.
    pub fn partner(system: &'static str, detail: impl Into<String>) -> Self {
        Error::Partner { system, detail: detail.into() }
    }

    /// One invalid field.
    pub fn field(field: &str, reason: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, reason);
        Error::Invalid(v)
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
