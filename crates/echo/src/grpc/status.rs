//! The one place echo errors become gRPC statuses.

use tonic::Status;

use crate::error::Error;

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            other => kit::grpc::status::internal(&other),
        }
    }
}
