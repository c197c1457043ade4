//! What Nets reports and how a payment ends: the card data, the terminal's outcomes (the
//! contract cases' decision table), refusals, the reasons of final states, voids of late
//! approvals and why a payment given up on lets go of its terminal.

use serde::{Deserialize, Serialize};

/// Who asked the terminal to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelBy {
    /// An operator through CancelPayment (TG-12).
    Operator,
    /// The gateway's timeout (TG-22).
    Timeout,
}

impl CancelBy {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelBy::Operator => "operator",
            CancelBy::Timeout => "timeout",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<CancelBy> {
        match s {
            "operator" => Some(CancelBy::Operator),
            "timeout" => Some(CancelBy::Timeout),
            _ => None,
        }
    }
}

/// What the terminal reports about an approved card. The number is masked by the terminal.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Card {
    /// Brand, e.g. `VISA`.
    pub brand: String,
    /// Masked number, e.g. `************4711`.
    pub masked_pan: String,
    /// The acquirer's reference (Nets `StanAuth`).
    pub acquirer_reference: String,
    /// Cardholder verification (`pin`, `signature`, `none`, `consumer_device`, ``).
    pub verification: String,
}

/// Why a refused start never reached the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Another transaction runs on the terminal.
    Busy,
    /// The terminal is offline.
    NotConnected,
    /// Nets does not know the terminal.
    UnknownTerminal,
    /// Nets refused the request itself.
    Rejected,
}

/// What Nets says about the transaction of a payment (the decision table is the contract
/// cases `crates/sandbox/contracts/nets/purchase.json` and `lookup.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalOutcome {
    /// Approved, with card data.
    Approved(Card),
    /// Declined by the issuer or offline by the terminal (detail from Nets).
    Declined(String),
    /// Ended with the cancel key: by the customer, or by our `cancelAction` (Nets answers
    /// both alike; whether we asked tells them apart).
    Cancelled(String),
    /// The terminal refused or never ran it; nothing was charged.
    Refused(Refusal, String),
    /// The outcome is unknown (Result 99, lost or unreadable answer): find out by lookup.
    Unknown(String),
}

/// How a void of a late approval ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidState {
    /// Committed before the void is sent (a crash after it never sends a second one).
    Requested,
    /// The terminal reversed the approval.
    Voided,
    /// The terminal refused the reversal.
    Refused,
    /// The void's answer was lost or unreadable: a person checks.
    Unknown,
}

impl VoidState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VoidState::Requested => "requested",
            VoidState::Voided => "voided",
            VoidState::Refused => "refused",
            VoidState::Unknown => "unknown",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<VoidState> {
        [VoidState::Requested, VoidState::Voided, VoidState::Refused, VoidState::Unknown]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Why a payment that ended unconfirmed let go of its terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// A lookup matched it to a transaction that was not approved: nothing was charged.
    Confirmed,
    /// The terminal's last transaction is another one, from before this payment: this one
    /// never ran.
    NeverRan,
    /// The terminal's last transaction is another one that may be later than this one: its
    /// outcome can no longer be read (a person checks).
    Overwritten,
    /// Nets gave no final answer within the hold limit (a person checks).
    HoldLimit,
}

impl Release {
    /// True when a person must check the terminal's journal.
    pub fn needs_attention(self) -> bool {
        matches!(self, Release::Overwritten | Release::HoldLimit)
    }
}

/// Machine-readable reason of a final state (the proto's `PaymentOutcome.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Approved.
    Approved,
    /// Declined.
    Declined,
    /// The customer cancelled on the terminal (TG-21).
    CancelledAtTerminal,
    /// Cancelled through the gateway (TG-12).
    CancelledByGateway,
    /// The gateway's timeout cancelled it (TG-22).
    PaymentTimedOut,
    /// The terminal's own timeout ended it (stored by earlier versions; no public source shows
    /// how Nets reports it, so the adapter no longer tells it apart).
    TerminalTimedOut,
    /// The terminal was busy.
    TerminalBusy,
    /// The terminal was offline.
    TerminalNotConnected,
    /// Nets does not know the terminal.
    TerminalUnknownAtNets,
    /// Nets refused the request.
    RejectedByNets,
    /// The transaction was aborted (stored by earlier versions, see `TerminalTimedOut`).
    Aborted,
    /// The gateway gave up without learning the outcome.
    OutcomeUnconfirmed,
}

impl Reason {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Approved => "APPROVED",
            Reason::Declined => "DECLINED",
            Reason::CancelledAtTerminal => "CANCELLED_AT_TERMINAL",
            Reason::CancelledByGateway => "CANCELLED_BY_GATEWAY",
            Reason::PaymentTimedOut => "PAYMENT_TIMED_OUT",
            Reason::TerminalTimedOut => "TERMINAL_TIMED_OUT",
            Reason::TerminalBusy => "TERMINAL_BUSY",
            Reason::TerminalNotConnected => "TERMINAL_NOT_CONNECTED",
            Reason::TerminalUnknownAtNets => "TERMINAL_UNKNOWN_AT_NETS",
            Reason::RejectedByNets => "REJECTED_BY_NETS",
            Reason::Aborted => "ABORTED",
            Reason::OutcomeUnconfirmed => "OUTCOME_UNCONFIRMED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Reason> {
        use Reason::*;
        [
            Approved,
            Declined,
            CancelledAtTerminal,
            CancelledByGateway,
            PaymentTimedOut,
            TerminalTimedOut,
            TerminalBusy,
            TerminalNotConnected,
            TerminalUnknownAtNets,
            RejectedByNets,
            Aborted,
            OutcomeUnconfirmed,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// True for endings that count as a failure of the terminal (attention after repeats).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Reason::PaymentTimedOut
                | Reason::TerminalTimedOut
                | Reason::TerminalBusy
                | Reason::TerminalNotConnected
                | Reason::TerminalUnknownAtNets
                | Reason::RejectedByNets
                | Reason::Aborted
                | Reason::OutcomeUnconfirmed
        )
    }
}

/// How a payment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Machine-readable reason.
    pub reason: Reason,
    /// Nets' text or our explanation; no personal data.
    pub detail: String,
}
