//! The service's errors. Each maps to one gRPC status in `grpc/status.rs`.

use kit::grpc::status::Violations;

use crate::domain::Refusal;

/// Everything that can go wrong in invoice-checks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; every (field, reason) at once. Changes nothing.
    #[error("invalid input")]
    Invalid(Violations),
    /// A business refusal (FAILED_PRECONDITION with its reason). Changes nothing.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// Something named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The id exists with other content.
    #[error("{0}")]
    Conflict(String),
    /// The caller lacks the role.
    #[error("permission denied: {0}")]
    Forbidden(String),
    /// PostFinance could not be asked (transport, unreadable answer): retry later.
    #[error("PostFinance unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] kit::journal::JournalError),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
}

impl Error {
    /// A refusal with `reason` and `message`.
    pub fn refused(reason: &'static str, message: impl Into<String>) -> Self {
        Error::Refused(Refusal::new(reason, message))
    }

    /// A single field violation.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, reason);
        Error::Invalid(v)
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::Refused(r)
    }
}
