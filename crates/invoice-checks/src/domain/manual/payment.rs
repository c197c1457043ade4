//! The manual-payment state machine (MP-03 … MP-06, MP-10): `decide(&Payment, Command)` returns
//! the events a command causes or why it is refused; `apply(Payment, &Event)` moves the state.
//!
//! ```text
//!   open ──approve──▶ approved ──(booked with its net amount)──▶ completed
//!    │                   │                                          │
//!    ├──reject──▶ rejected                  refund ◀────────────────┘
//!    └──deadline passed (automatic)──▶ rejected     approved/completed ──refund──▶ refunded
//! ```
//!
//! Approval books the net amount at once. Seed 003 names the states a manager sees: a customer's
//! payment the manager confirms becomes "Разрешен" (approved) — a state of its own — while a
//! payment the manager recorded on the customer's card "получит статус «Завершен»" (completed)
//! when confirmed, so approving that one yields two events (approved, completed). Everything else
//! is illegal and refused with no change.

use chrono::{DateTime, NaiveDate, Utc};
use kit::grpc::status::Violations;
use kit::money::{Currency, Money};
use rust_decimal::Decimal;

use super::fees::{Fees, settle};
use super::merchant::Merchant;
use crate::domain::Refusal;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for a manager.
    Open,
    /// Approved by a manager.
    Approved,
    /// Approved and booked.
    Completed,
    /// Rejected (by a manager or after the deadline).
    Rejected,
    /// Refunded.
    Refunded,
}

impl State {
    /// Every state.
    pub const ALL: [State; 5] = [State::Open, State::Approved, State::Completed, State::Rejected, State::Refunded];

    /// Stable name for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Approved => "approved",
            State::Completed => "completed",
            State::Rejected => "rejected",
            State::Refunded => "refunded",
        }
    }

    /// Parses [`State::as_str`].
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A manual payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Order id (keys every event).
    pub order_id: kit::OrderId,
    /// Offer.
    pub offer_id: String,
    /// Manual-payment merchant.
    pub merchant_id: String,
    /// CRM customer id.
    pub customer_id: String,
    /// Price (after adjustments).
    pub price: Money,
    /// Payment date.
    pub payment_date: NaiveDate,
    /// The customer's comment.
    pub customer_comment: String,
    /// State.
    pub state: State,
    /// Automatic rejection instant.
    pub deadline: DateTime<Utc>,
    /// "customer" or the recording manager.
    pub created_by: String,
    /// The last manager comment.
    pub manager_comment: String,
    /// Settlement once approved.
    pub fees: Option<Fees>,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

impl Payment {
    /// Whether a manager recorded it on the customer's behalf (MP-07), not the customer.
    pub fn recorded_by_manager(&self) -> bool {
        self.created_by != CUSTOMER
    }
}

/// `created_by` of a payment the customer made.
pub const CUSTOMER: &str = "customer";

/// A manager's corrections (MP-04).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Adjust {
    /// New price.
    pub price: Option<Money>,
    /// New payment date.
    pub payment_date: Option<NaiveDate>,
    /// Comment.
    pub comment: Option<String>,
    /// Rates into the account currency.
    pub rates: Vec<(Currency, Decimal)>,
}

/// What is asked of a payment.
#[derive(Debug, Clone)]
pub enum Command<'a> {
    /// A manager approves.
    Approve {
        /// Manager name.
        actor: &'a str,
        /// Corrections.
        adjust: Adjust,
        /// The payment's merchant (for currencies and fees).
        merchant: &'a Merchant,
        /// Now.
        now: DateTime<Utc>,
    },
    /// A manager rejects.
    Reject {
        /// Manager name.
        actor: &'a str,
        /// Corrections.
        adjust: Adjust,
    },
    /// The scheduled job rejects an open payment whose deadline passed (MP-05).
    Expire {
        /// Now.
        now: DateTime<Utc>,
    },
    /// A manager refunds (MP-06).
    Refund {
        /// Manager name.
        actor: &'a str,
        /// Why.
        comment: Option<String>,
    },
}

/// What happened to a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Approved with these (adjusted) values and fees.
    Approved {
        /// Manager.
        actor: String,
        /// Price.
        price: Money,
        /// Payment date.
        payment_date: NaiveDate,
        /// Comment.
        comment: Option<String>,
        /// Settlement.
        fees: Fees,
    },
    /// Booked.
    Completed {
        /// Manager.
        actor: String,
    },
    /// Rejected.
    Rejected {
        /// Manager, or "system".
        actor: String,
        /// True when the deadline passed.
        automatic: bool,
        /// Price after adjustments.
        price: Money,
        /// Payment date after adjustments.
        payment_date: NaiveDate,
        /// Comment or reason.
        comment: Option<String>,
    },
    /// Refunded.
    Refunded {
        /// Manager.
        actor: String,
        /// Why.
        comment: Option<String>,
    },
}

impl Event {
    /// The event type on the bus.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::Approved { .. } => "manual_payment_approved",
            Event::Completed { .. } => "manual_payment_completed",
            Event::Rejected { .. } => "manual_payment_rejected",
            Event::Refunded { .. } => "manual_payment_refunded",
        }
    }

    /// Who caused it.
    pub fn actor(&self) -> &str {
        match self {
            Event::Approved { actor, .. }
            | Event::Completed { actor }
            | Event::Rejected { actor, .. }
            | Event::Refunded { actor, .. } => actor,
        }
    }

    /// The comment it carries.
    pub fn note(&self) -> &str {
        match self {
            Event::Approved { comment, .. } | Event::Rejected { comment, .. } | Event::Refunded { comment, .. } => {
                comment.as_deref().unwrap_or_default()
            }
            Event::Completed { .. } => "",
        }
    }

    /// Whether the system (not a person) caused it.
    pub fn automatic(&self) -> bool {
        matches!(self, Event::Rejected { automatic: true, .. })
    }
}

/// Why a command did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecideError {
    /// Refused (illegal transition, deadline passed …); nothing changes.
    Refused(Refusal),
    /// The corrections are invalid (field violations); nothing changes.
    Invalid(Violations),
}

fn illegal(what: &str, state: State) -> DecideError {
    DecideError::Refused(Refusal::new(
        "ILLEGAL_TRANSITION",
        format!("cannot {what} a payment that is {}", state.as_str()),
    ))
}

/// Decides `command` on `p`.
pub fn decide(p: &Payment, command: Command<'_>) -> Result<Vec<Event>, DecideError> {
    match command {
        Command::Approve { actor, adjust, merchant, now } => {
            if p.state != State::Open {
                return Err(illegal("approve", p.state));
            }
            if now >= p.deadline {
                return Err(DecideError::Refused(Refusal::new(
                    "DEADLINE_PASSED",
                    format!(
                        "the confirmation deadline {} has passed; the payment is rejected automatically",
                        p.deadline
                    ),
                )));
            }
            let price = adjust.price.unwrap_or(p.price);
            let mut v = Violations::new();
            if !merchant.supported_currencies.contains(&price.currency()) {
                v.add("adjustments.price.currency", format!("{} is not supported by the merchant", price.currency()));
            }
            if price.minor() <= 0 {
                v.add("adjustments.price.amount_minor", "must be more than zero");
            }
            if !v.is_empty() {
                return Err(DecideError::Invalid(v));
            }
            let fees = settle(price, merchant, &adjust.rates).map_err(DecideError::Invalid)?;
            let mut events = vec![Event::Approved {
                actor: actor.to_owned(),
                price,
                payment_date: adjust.payment_date.unwrap_or(p.payment_date),
                comment: adjust.comment,
                fees,
            }];
            if p.recorded_by_manager() {
                events.push(Event::Completed { actor: actor.to_owned() });
            }
            Ok(events)
        }
        Command::Reject { actor, adjust } => {
            if p.state != State::Open {
                return Err(illegal("reject", p.state));
            }
            Ok(vec![Event::Rejected {
                actor: actor.to_owned(),
                automatic: false,
                price: adjust.price.unwrap_or(p.price),
                payment_date: adjust.payment_date.unwrap_or(p.payment_date),
                comment: adjust.comment,
            }])
        }
        Command::Expire { now } => {
            if p.state != State::Open {
                return Err(illegal("expire", p.state));
            }
            if now < p.deadline {
                return Err(DecideError::Refused(Refusal::new("NOT_DUE", "the confirmation deadline has not passed")));
            }
            Ok(vec![Event::Rejected {
                actor: "system".into(),
                automatic: true,
                price: p.price,
                payment_date: p.payment_date,
                comment: Some(format!("not confirmed before the deadline {}", p.deadline.format("%Y-%m-%d %H:%M UTC"))),
            }])
        }
        Command::Refund { actor, comment } => {
            if !matches!(p.state, State::Approved | State::Completed) {
                return Err(illegal("refund", p.state));
            }
            Ok(vec![Event::Refunded { actor: actor.to_owned(), comment }])
        }
    }
}

/// The payment after `event`.
pub fn apply(mut p: Payment, event: &Event) -> Payment {
    match event {
        Event::Approved { price, payment_date, comment, fees, .. } => {
            p.state = State::Approved;
            p.price = *price;
            p.payment_date = *payment_date;
            p.fees = Some(fees.clone());
            if let Some(c) = comment {
                p.manager_comment.clone_from(c);
            }
        }
        Event::Completed { .. } => p.state = State::Completed,
        Event::Rejected { price, payment_date, comment, .. } => {
            p.state = State::Rejected;
            p.price = *price;
            p.payment_date = *payment_date;
            if let Some(c) = comment {
                p.manager_comment.clone_from(c);
            }
        }
        Event::Refunded { comment, .. } => {
            p.state = State::Refunded;
            if let Some(c) = comment {
                p.manager_comment.clone_from(c);
            }
        }
    }
    p
}

#[cfg(test)]
#[path = "payment_tests.rs"]
mod tests;
