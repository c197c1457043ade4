//! pixi-sync's errors. `grpc/status.rs` turns them into gRPC statuses.

use kit::grpc::status::Violations;

/// Everything that can go wrong in pixi-sync.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; every violation at once.
    #[error("invalid input")]
    Invalid(Violations),
    /// An unknown tenant, configuration, order or run.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A business refusal with a machine-readable reason (FAILED_PRECONDITION).
    #[error("{message}")]
    Refused {
        /// ErrorInfo reason, e.g. `PIXI_API_CONFIG_LIMIT`.
        reason: &'static str,
        /// For people.
        message: String,
    },
    /// A unique name or key is taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// A partner or the database cannot be reached now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
    /// A stored secret could not be opened.
    #[error("secret: {0}")]
    Secret(#[from] crate::secrets::SecretError),
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] kit::journal::JournalError),
    /// Stored data is inconsistent.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

impl Error {
    /// A refusal.
    pub fn refused(reason: &'static str, message: impl Into<String>) -> Self {
        Error::Refused { reason, message: message.into() }
    }

    /// One field violation.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let mut v = Violations::new();
        v.add(field, reason);
        Error::Invalid(v)
    }
}

/// The crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
