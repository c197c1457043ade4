//! The one place errors become gRPC statuses: INVALID_ARGUMENT with field violations,
//! FAILED_PRECONDITION with a machine-readable reason, NOT_FOUND, ALREADY_EXISTS,
//! PERMISSION_DENIED, UNAVAILABLE for transient database trouble, INTERNAL (logged, never
//! detailed) for the rest.

use kit::grpc::status::{internal, refused};
use tonic::{Code, Status};

use crate::error::Error;

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "invoice-checks";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::Refused(r) => refused(Code::FailedPrecondition, r.reason, DOMAIN, r.message),
            Error::NotFound(what) => Status::not_found(format!("{what} not found")),
            Error::Conflict(what) => Status::already_exists(what),
            Error::Unavailable(what) => Status::unavailable(format!("PostFinance unavailable, retry: {what}")),
            Error::Forbidden(what) => refused(Code::PermissionDenied, "ROLE_REQUIRED", DOMAIN, what),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            Error::Journal(kit::journal::JournalError::Db(e)) if kit::db::is_transient(&e) => {
                Status::unavailable("database unavailable, retry")
            }
            other => internal(&other),
        }
    }
}
