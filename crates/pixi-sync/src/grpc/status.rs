//! The one place pixi-sync errors become gRPC statuses.

use kit::grpc::status::{internal, refused};
use tonic::{Code, Status};

use crate::error::Error;

/// ErrorInfo domain of pixi-sync's refusals.
pub const DOMAIN: &str = "pixi-sync";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::NotFound(what) => Status::not_found(format!("{what} not found")),
            Error::Refused { reason, message } => refused(Code::FailedPrecondition, reason, DOMAIN, message),
            Error::AlreadyExists(m) => Status::already_exists(m),
            Error::Unavailable(m) => Status::unavailable(m),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            other => internal(&other),
        }
    }
}
