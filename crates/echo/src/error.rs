//! The echo service's errors.

/// Everything that can go wrong in echo.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; each entry is (field, reason).
    #[error("invalid input")]
    Invalid(kit::grpc::status::Violations),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
}
