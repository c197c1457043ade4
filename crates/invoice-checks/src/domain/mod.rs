//! Pure rules: types, validations and state machines with no I/O, no clock reads and no id
//! generation — callers pass the time and the ids in. `swissbilling` holds the invoice-on-account
//! pre-checks (IC-01 … IC-07) and the maintenance state machine (IC-10 … IC-17); `manual` holds
//! manual payments (MP-01 … MP-10).

pub mod manual;
pub mod swissbilling;

/// A business refusal: a machine-readable reason (the gRPC `ErrorInfo` reason) and a message
/// for people. Refusals change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// e.g. `PARTIAL_CAPTURE_NOT_ALLOWED`.
    pub reason: &'static str,
    /// One sentence saying why.
    pub message: String,
}

impl Refusal {
    /// A refusal with `reason` and `message`.
    pub fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Refusal { reason, message: message.into() }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

/// An amount as received: minor units and a currency code not yet validated, so a check can
/// report a bad currency as one violation among others.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawMoney {
    /// Minor units.
    pub minor: i64,
    /// Currency code as sent.
    pub currency: String,
}
