//! The terminal gateway's errors. Each refusal a caller can act on is its own variant; the
//! gRPC mapping (`grpc/status.rs`) gives each a distinct code and ErrorInfo reason.

use kit::grpc::status::Violations;

use crate::domain::payment::State;
use crate::store::credentials::SealError;

/// Everything that can go wrong in the terminal gateway.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused; nothing changed.
    #[error("invalid input")]
    Invalid(Violations),
    /// No such terminal for the tenant.
    #[error("terminal {0} is not registered")]
    TerminalUnknown(String),
    /// The terminal is registered already.
    #[error("terminal {0} is already registered")]
    TerminalExists(String),
    /// No such payment for the tenant.
    #[error("payment {0} not found")]
    PaymentUnknown(String),
    /// Another payment is in progress on the terminal (TG-20).
    #[error("terminal {terminal} is busy with another payment{}", .payment.as_deref().map(|p| format!(" ({p})")).unwrap_or_default())]
    TerminalBusy {
        /// Terminal.
        terminal: String,
        /// The payment in progress, when it is one of ours.
        payment: Option<String>,
    },
    /// The terminal is deactivated (TG-23).
    #[error("terminal {0} is inactive (deactivated in the gateway); activate it to take payments")]
    TerminalInactive(String),
    /// Nets reports the terminal offline.
    #[error("terminal {0} is not connected to Nets Cloud")]
    TerminalNotConnected(String),
    /// Nets does not know the terminal id.
    #[error("Nets does not know terminal {0}; check the stored id against Nets")]
    TerminalUnknownAtNets(String),
    /// The amount's currency is not the terminal's.
    #[error("terminal {terminal} charges in {expected}, not {got}")]
    CurrencyMismatch {
        /// Terminal.
        terminal: String,
        /// Its currency.
        expected: String,
        /// The request's.
        got: String,
    },
    /// The tenant has no Nets credentials.
    #[error("no Nets credentials are stored for tenant {0}")]
    NetsNotConfigured(String),
    /// Nets refused the tenant's login.
    #[error("Nets refused the login: {0}")]
    NetsLoginFailed(String),
    /// Nets could not be reached; nothing was started.
    #[error("Nets unavailable: {0}")]
    NetsUnavailable(String),
    /// The request id was used before with different parameters.
    #[error("request id {0} was already used with different parameters")]
    RequestIdReused(String),
    /// The payment already ended.
    #[error("payment already ended as {}", .0.as_str())]
    PaymentFinished(State),
    /// A refund was asked for a payment that cannot be refunded on a terminal.
    #[error("the payment cannot be refunded on a terminal: {0}")]
    PaymentNotRefundable(String),
    /// A refund larger than what is left of the purchase.
    #[error("a refund of {asked} exceeds what is left of the purchase ({left})")]
    RefundExceedsPayment {
        /// The refund asked for.
        asked: kit::Money,
        /// The purchase minus its refunds.
        left: kit::Money,
    },
    /// A payment holds the terminal (remove or change its id later).
    #[error("terminal {0} is in use by a payment; try again when it has ended")]
    TerminalInUse(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// An event could not be built.
    #[error("event: {0}")]
    Event(#[from] kit::bus::EventError),
    /// Stored credentials do not open.
    #[error(transparent)]
    Seal(#[from] SealError),
}
