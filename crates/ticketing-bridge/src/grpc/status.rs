//! The one place bridge errors become gRPC statuses. Refusals carry a machine-readable
//! `ErrorInfo` reason in the domain `ticketing-bridge`; a queued ticket also carries a
//! `RetryInfo` saying when a retry with the same request id is worthwhile.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;

/// Error domain of the reasons.
pub const DOMAIN: &str = "ticketing-bridge";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::NotFound(what) => Status::not_found(format!("{what} not found")),
            Error::Queued { retry_after } => {
                let mut details =
                    ErrorDetails::with_error_info("TICKET_QUEUED", DOMAIN, HashMap::<String, String>::new());
                details.set_retry_info(Some(retry_after));
                Status::with_error_details(
                    Code::Unavailable,
                    "Freshdesk cannot take the ticket right now; it is queued and will be created — retry with the same request_id",
                    details,
                )
            }
            Error::Rejected { fields, dead_letter_id } => {
                let mut details = ErrorDetails::with_error_info(
                    "FRESHDESK_REJECTED",
                    DOMAIN,
                    HashMap::from([("dead_letter_id".to_owned(), dead_letter_id.to_string())]),
                );
                for (field, reason) in fields {
                    details.add_bad_request_violation(field, reason);
                }
                Status::with_error_details(
                    Code::FailedPrecondition,
                    format!("Freshdesk refused the ticket; dead letter {dead_letter_id}"),
                    details,
                )
            }
            Error::DeadLettered(id) => {
                refused("TICKET_DEAD_LETTERED", id, format!("the request's ticket work is dead letter {id}"))
            }
            Error::NotReplayable(id) => refused(
                "DEAD_LETTER_NOT_REPLAYABLE",
                id,
                format!("dead letter {id} can never succeed or was already replayed"),
            ),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            other => kit::grpc::status::internal(&other),
        }
    }
}

fn refused(reason: &str, id: i64, message: String) -> Status {
    let details =
        ErrorDetails::with_error_info(reason, DOMAIN, HashMap::from([("dead_letter_id".to_owned(), id.to_string())]));
    Status::with_error_details(Code::FailedPrecondition, message, details)
}
