//! The ticketing bridge's errors.

use std::time::Duration;

use kit::grpc::status::Violations;

/// Everything that can go wrong in the bridge.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; every violation at once.
    #[error("invalid input")]
    Invalid(Violations),
    /// No such ticket or dead letter.
    #[error("{0} not found")]
    NotFound(String),
    /// Freshdesk cannot take the work now; it stays queued and the worker finishes it.
    #[error("ticket work queued; worth retrying after {retry_after:?}")]
    Queued {
        /// When a retry is worthwhile.
        retry_after: Duration,
    },
    /// Freshdesk refused the ticket; the work is dead-lettered.
    #[error("Freshdesk refused the ticket (dead letter {dead_letter_id})")]
    Rejected {
        /// Freshdesk's field errors as (field, reason), mapped to request fields.
        fields: Vec<(String, String)>,
        /// The dead letter.
        dead_letter_id: i64,
    },
    /// The request id belongs to dead-lettered work.
    #[error("request belongs to dead letter {0}")]
    DeadLettered(i64),
    /// The dead letter can never succeed or was already replayed.
    #[error("dead letter {0} cannot be replayed")]
    NotReplayable(i64),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The journal failed (or a test's fault point fired).
    #[error("journal: {0}")]
    Journal(#[from] kit::journal::JournalError),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
    /// A background task ended abnormally.
    #[error("background task failed: {0}")]
    Task(String),
}
