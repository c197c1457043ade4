//! The payment state machine (purchases and refunds alike). A payment starts `waiting` and ends
//! exactly once; states only move forward. `decide` turns an observation or a request into
//! events, `apply` folds them.
//!
//! A payment **holds its terminal** from the start until Nets has told how its transaction
//! ended: the purchase answer, or a last-result lookup matched to it. A payment the gateway
//! gave up on (timed out, outcome unconfirmed) keeps holding it, because the terminal may
//! still run it and its outcome is readable only as the terminal's *last* result — a next sale
//! would overwrite it. An approval found then never reopens the payment: it is recorded as a
//! late approval and voided; only then is the terminal released.

pub use super::outcome::{CancelBy, Card, Outcome, Reason, Refusal, Release, TerminalOutcome, VoidState};

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The terminal shows the amount and waits for the customer.
    Waiting,
    /// The card was charged.
    Approved,
    /// The issuer declined.
    Declined,
    /// Cancelled at the terminal or by the gateway.
    Cancelled,
    /// Not completed in time.
    TimedOut,
    /// Refused by the terminal or broken off.
    Failed,
}

impl State {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Approved => "approved",
            State::Declined => "declined",
            State::Cancelled => "cancelled",
            State::TimedOut => "timed_out",
            State::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<State> {
        [State::Waiting, State::Approved, State::Declined, State::Cancelled, State::TimedOut, State::Failed]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// True for every state but `waiting`.
    pub fn is_final(self) -> bool {
        self != State::Waiting
    }
}

/// The state of one payment as the machine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Current state.
    pub state: State,
    /// A cancel was sent to the terminal, and by whom.
    pub cancel_requested: Option<CancelBy>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// Card data of an approval.
    pub card: Option<Card>,
    /// Card data of an approval that arrived after the gateway gave up.
    pub late_approval: Option<Card>,
    /// The purchase call's answer was lost; the outcome is found by polling and lookup.
    pub detached: bool,
    /// The payment holds its terminal: no other payment starts there and only this one may
    /// look up or void (see the module docs).
    pub holds_terminal: bool,
    /// The void of a late approval.
    pub void: Option<VoidState>,
    /// Bumped by every state change others can see.
    pub version: i64,
}

impl Payment {
    /// A payment that just started.
    pub fn waiting() -> Payment {
        Payment {
            state: State::Waiting,
            cancel_requested: None,
            outcome: None,
            card: None,
            late_approval: None,
            detached: false,
            holds_terminal: true,
            void: None,
            version: 1,
        }
    }

    /// True while Nets may still tell something about this payment's transaction.
    pub fn needs_truth(&self) -> bool {
        self.state == State::Waiting || self.holds_terminal
    }
}

/// What happened, or what someone asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Nets reported on the transaction (purchase answer or lookup).
    Observe(TerminalOutcome),
    /// Someone asks the terminal to cancel.
    RequestCancel(CancelBy),
    /// The timeout plus grace passed without an outcome.
    GiveUp,
    /// The terminal's last transaction is not this payment's; `maybe_later` when it may have
    /// run after this one started.
    NotOurs {
        /// The other transaction may be later than this payment.
        maybe_later: bool,
    },
    /// Nets gave no final answer within the hold limit.
    HoldLimit,
    /// A void of the late approval is about to be sent.
    RequestVoid,
    /// The void's outcome.
    VoidAnswered(VoidState),
    /// The void was certainly not sent (no connection, login refused): it may be sent again.
    VoidNotSent,
}

/// What the machine decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A cancel is sent to the terminal.
    CancelRequested(CancelBy),
    /// The payment ended.
    Ended {
        /// Final state.
        state: State,
        /// Why.
        outcome: Outcome,
        /// Card data (approvals).
        card: Option<Card>,
    },
    /// The terminal approved after the payment had timed out.
    ApprovedAfterTimeout(Card),
    /// The answer was lost; track by polling (internal: no version bump, no bus event).
    Detached(String),
    /// The payment let go of its terminal (internal).
    Released(Release),
    /// A void is about to be sent (internal; committed first).
    VoidRequested,
    /// The void was certainly not sent (internal).
    VoidNotSent,
    /// The void's outcome (visible: the order's timeline shows it).
    VoidEnded(VoidState),
}

impl Event {
    /// True for changes others see (version bump, bus event, watchers).
    pub fn is_visible(&self) -> bool {
        !matches!(self, Event::Detached(_) | Event::Released(_) | Event::VoidRequested | Event::VoidNotSent)
    }
}

/// A request the machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    /// The payment already ended.
    #[error("payment already ended as {}", .0.as_str())]
    Finished(State),
}

/// Decides what `command` means for `payment`.
pub fn decide(payment: &Payment, command: Command) -> Result<Vec<Event>, DecideError> {
    let waiting = payment.state == State::Waiting;
    // Closed, still holding the terminal, no late approval found yet: Nets' word is awaited.
    let unconfirmed = !waiting && payment.holds_terminal && payment.late_approval.is_none();
    Ok(match command {
        Command::Observe(outcome) if waiting => observe_waiting(payment, outcome),
        Command::Observe(TerminalOutcome::Approved(card)) if unconfirmed => vec![Event::ApprovedAfterTimeout(card)],
        Command::Observe(TerminalOutcome::Unknown(_)) => vec![],
        Command::Observe(_) if unconfirmed => vec![Event::Released(Release::Confirmed)],
        Command::Observe(_) => vec![],
        Command::NotOurs { .. } if waiting => vec![],
        Command::NotOurs { maybe_later } if unconfirmed => {
            vec![Event::Released(if maybe_later { Release::Overwritten } else { Release::NeverRan })]
        }
        Command::NotOurs { .. } => vec![],
        Command::HoldLimit if unconfirmed => vec![Event::Released(Release::HoldLimit)],
        Command::HoldLimit => vec![],
        Command::RequestVoid if payment.late_approval.is_some() && payment.void.is_none() => {
            vec![Event::VoidRequested]
        }
        Command::RequestVoid => vec![],
        Command::VoidAnswered(v) if payment.void == Some(VoidState::Requested) && v != VoidState::Requested => {
            vec![Event::VoidEnded(v)]
        }
        Command::VoidAnswered(_) => vec![],
        Command::VoidNotSent if payment.void == Some(VoidState::Requested) => vec![Event::VoidNotSent],
        Command::VoidNotSent => vec![],
        Command::RequestCancel(_) if waiting && payment.cancel_requested.is_some() => vec![],
        Command::RequestCancel(by) if waiting => vec![Event::CancelRequested(by)],
        Command::RequestCancel(CancelBy::Timeout) => vec![],
        Command::RequestCancel(CancelBy::Operator) => return Err(DecideError::Finished(payment.state)),
        Command::GiveUp if waiting => vec![ended(
            State::TimedOut,
            Reason::OutcomeUnconfirmed,
            "no answer from the terminal within the timeout and grace period",
            None,
        )],
        Command::GiveUp => vec![],
    })
}

fn observe_waiting(payment: &Payment, outcome: TerminalOutcome) -> Vec<Event> {
    let by_us = |detail: &str| match payment.cancel_requested {
        Some(CancelBy::Timeout) => ended(State::TimedOut, Reason::PaymentTimedOut, detail, None),
        _ => ended(State::Cancelled, Reason::CancelledByGateway, detail, None),
    };
    let event = match outcome {
        TerminalOutcome::Approved(card) => ended(State::Approved, Reason::Approved, "", Some(card)),
        TerminalOutcome::Declined(d) => ended(State::Declined, Reason::Declined, &d, None),
        // Nets answers our cancelAction like the customer's cancel key: we know which it was.
        TerminalOutcome::Cancelled(d) if payment.cancel_requested.is_some() => by_us(&d),
        TerminalOutcome::Cancelled(_) => {
            ended(State::Cancelled, Reason::CancelledAtTerminal, "cancelled by the customer on the terminal", None)
        }
        TerminalOutcome::Refused(r, d) => {
            let reason = match r {
                Refusal::Busy => Reason::TerminalBusy,
                Refusal::NotConnected => Reason::TerminalNotConnected,
                Refusal::UnknownTerminal => Reason::TerminalUnknownAtNets,
                Refusal::Rejected => Reason::RejectedByNets,
            };
            ended(State::Failed, reason, &d, None)
        }
        TerminalOutcome::Unknown(_) if payment.detached => return vec![],
        TerminalOutcome::Unknown(d) => Event::Detached(d),
    };
    vec![event]
}

fn ended(state: State, reason: Reason, detail: &str, card: Option<Card>) -> Event {
    Event::Ended { state, outcome: Outcome { reason, detail: detail.to_owned() }, card }
}

/// Folds one event into the payment.
pub fn apply(mut payment: Payment, event: &Event) -> Payment {
    if event.is_visible() {
        payment.version += 1;
    }
    match event {
        Event::CancelRequested(by) => payment.cancel_requested = Some(*by),
        Event::Ended { state, outcome, card } => {
            payment.state = *state;
            // Given up without Nets' word: the terminal may still run it (module docs).
            payment.holds_terminal = outcome.reason == Reason::OutcomeUnconfirmed;
            payment.outcome = Some(outcome.clone());
            payment.card = card.clone();
        }
        Event::ApprovedAfterTimeout(card) => payment.late_approval = Some(card.clone()),
        Event::Detached(_) => payment.detached = true,
        Event::Released(_) => payment.holds_terminal = false,
        Event::VoidRequested => payment.void = Some(VoidState::Requested),
        Event::VoidNotSent => payment.void = None,
        Event::VoidEnded(v) => {
            payment.void = Some(*v);
            payment.holds_terminal = false;
        }
    }
    payment
}

#[cfg(test)]
#[path = "payment_tests.rs"]
mod tests;
