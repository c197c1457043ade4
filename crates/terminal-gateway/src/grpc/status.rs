//! The one place terminal-gateway errors become gRPC statuses: a distinct code and
//! `ErrorInfo` reason per refusal (documented on the services in the proto), field violations
//! for bad input, UNAVAILABLE for transient faults, INTERNAL (cause logged, not sent) otherwise.

use kit::grpc::status::{internal, refused};
use tonic::{Code, Status};

use crate::error::Error;

/// ErrorInfo domain.
pub const DOMAIN: &str = "terminal-gateway";

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        let msg = e.to_string();
        let r = |code: Code, reason: &str| refused(code, reason, DOMAIN, msg.clone());
        match e {
            Error::Invalid(v) => v.into_status(),
            Error::TerminalUnknown(_) => r(Code::NotFound, "TERMINAL_UNKNOWN"),
            Error::PaymentUnknown(_) => r(Code::NotFound, "PAYMENT_UNKNOWN"),
            Error::TerminalExists(_) => r(Code::AlreadyExists, "TERMINAL_ALREADY_REGISTERED"),
            Error::TerminalBusy { .. } => r(Code::FailedPrecondition, "TERMINAL_BUSY"),
            Error::TerminalInactive(_) => r(Code::FailedPrecondition, "TERMINAL_INACTIVE"),
            Error::TerminalNotConnected(_) => r(Code::FailedPrecondition, "TERMINAL_NOT_CONNECTED"),
            Error::TerminalUnknownAtNets(_) => r(Code::FailedPrecondition, "TERMINAL_UNKNOWN_AT_NETS"),
            Error::CurrencyMismatch { .. } => r(Code::FailedPrecondition, "CURRENCY_MISMATCH"),
            Error::NetsNotConfigured(_) => r(Code::FailedPrecondition, "NETS_NOT_CONFIGURED"),
            Error::NetsLoginFailed(_) => r(Code::FailedPrecondition, "NETS_LOGIN_FAILED"),
            Error::NetsUnavailable(_) => r(Code::Unavailable, "NETS_UNAVAILABLE"),
            Error::RequestIdReused(_) => r(Code::AlreadyExists, "REQUEST_ID_REUSED"),
            Error::PaymentFinished(_) => r(Code::FailedPrecondition, "PAYMENT_FINISHED"),
            Error::PaymentNotRefundable(_) => r(Code::FailedPrecondition, "PAYMENT_NOT_REFUNDABLE"),
            Error::RefundExceedsPayment { .. } => r(Code::FailedPrecondition, "REFUND_EXCEEDS_PAYMENT"),
            Error::TerminalInUse(_) => r(Code::FailedPrecondition, "TERMINAL_IN_USE"),
            Error::Db(e) if kit::db::is_transient(&e) => Status::unavailable("database unavailable, retry"),
            other => internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use kit::grpc::status::error_reason;

    use super::*;

    #[test]
    fn tg_20_every_refusal_has_a_distinct_code_and_reason() {
        let cases = [
            (Error::TerminalBusy { terminal: "T".into(), payment: None }, Code::FailedPrecondition, "TERMINAL_BUSY"),
            (Error::TerminalInactive("T".into()), Code::FailedPrecondition, "TERMINAL_INACTIVE"),
            (Error::TerminalUnknown("T".into()), Code::NotFound, "TERMINAL_UNKNOWN"),
            (Error::TerminalNotConnected("T".into()), Code::FailedPrecondition, "TERMINAL_NOT_CONNECTED"),
            (Error::TerminalUnknownAtNets("T".into()), Code::FailedPrecondition, "TERMINAL_UNKNOWN_AT_NETS"),
            (Error::NetsUnavailable("x".into()), Code::Unavailable, "NETS_UNAVAILABLE"),
            (Error::RequestIdReused("r".into()), Code::AlreadyExists, "REQUEST_ID_REUSED"),
            (Error::PaymentNotRefundable("x".into()), Code::FailedPrecondition, "PAYMENT_NOT_REFUNDABLE"),
            (Error::TerminalInUse("T".into()), Code::FailedPrecondition, "TERMINAL_IN_USE"),
            (
                Error::PaymentFinished(crate::domain::payment::State::Approved),
                Code::FailedPrecondition,
                "PAYMENT_FINISHED",
            ),
        ];
        for (e, code, reason) in cases {
            let s = Status::from(e);
            assert_eq!((s.code(), error_reason(&s).as_deref()), (code, Some(reason)));
        }
        let s = Status::from(Error::TerminalInactive("T-1".into()));
        assert!(s.message().contains("inactive"), "names the terminal's state: {}", s.message());
    }
}
