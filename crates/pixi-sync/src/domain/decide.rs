//! `decide`: given the pixi order, the unzer payment and the order's progress, the next thing
//! to do. Pure: no I/O, no clock. The executor performs the action, applies the resulting
//! event and asks again until nothing is left; after a crash it asks again and gets the same
//! action with the same idempotency key, so the journal finds what was already done.
//!
//! Order of concerns: pending comments (PX-21), problems to flag (PX-32), merged orders
//! (PX-24), documents pixi marked paid by itself (PX-26), release (PX-10 … PX-12), then
//! per-family processing of invoices (PX-13 … PX-16), credit notes (PX-19), cancellations
//! (PX-17, PX-18), balancing, and completion.

use std::collections::BTreeSet;

use super::cancel;
use super::documents;
use super::facts::{Bank, PaymentFacts, PixiOrder, PixiStatus};
use super::payment_type::PaymentType;
use super::progress::{Event, LockPurpose, ProblemNote, Progress, Purpose, Severity};
use super::release;
use super::settings::Mode;

/// What the decision needs besides the facts.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// `<pixi api config id>:<order nr>`: part of every idempotency key.
    pub scope: &'a str,
    /// Configured mode (effective only for card-like types, PX-07).
    pub mode: Mode,
    /// Rounding tolerance (PX-23).
    pub tolerance_minor: i64,
    /// Booking event for invoices.
    pub invoice_event: &'a str,
    /// Booking event for returns.
    pub return_event: &'a str,
    /// Keys that have a journal entry (something was attempted under them).
    pub attempted: &'a BTreeSet<String>,
}

impl Ctx<'_> {
    /// The idempotency key of `what` for `doc` of this order, e.g.
    /// `charge:<api>:4711:DEM0000021`.
    pub fn key(&self, what: &str, doc: &str) -> String {
        format!("{what}:{}:{doc}", self.scope)
    }
}

/// Refund reason codes (`CancelReasonCodes.php`).
pub const RETURN: &str = "RETURN";
/// A cancellation.
pub const CANCEL: &str = "CANCEL";

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// pixi: HOLD → OPEN. Accepted payments through `pixiPaySetAuthorizationStatus`
    /// (Success=1), refused ones through `pixiReleaseOrder` (after the lock).
    Release {
        /// Key.
        key: String,
        /// The payment was accepted.
        accepted: bool,
        /// Transaction id for `AuthCode`.
        auth_code: String,
        /// Message for pixi's log.
        message: String,
    },
    /// pixi: set or lift the order's shipping lock.
    SetLock {
        /// Key.
        key: String,
        /// Lock or lift.
        locked: bool,
        /// Why.
        purpose: LockPurpose,
        /// Reason text.
        reason: String,
    },
    /// pixi: write the transfer data into the customer-service bank fields (PX-12).
    WriteBank {
        /// Key.
        key: String,
        /// The data.
        bank: Bank,
    },
    /// pixi: mark an invoice captured (books the invoice event, PX-13).
    MarkCaptured {
        /// Key.
        key: String,
        /// Invoice.
        invoice: String,
        /// Amount.
        amount_minor: i64,
        /// The unzer charge that pays the invoice.
        charge_id: String,
        /// Its `processing.uniqueId`, pixi's `PayID` ("Unique TransactionID"); empty when
        /// pixi-sync did not make the charge (the shop did): the executor reads it from unzer.
        pay_id: String,
        /// Booking event.
        event: String,
    },
    /// pixi: book a credit note with the returns event (PX-19).
    BookReturn {
        /// Key.
        key: String,
        /// Credit note.
        credit: String,
        /// Amount.
        amount_minor: i64,
        /// Booking event.
        event: String,
    },
    /// pixi: write an order comment (PX-21): the actions of one sync, one line each.
    Comment {
        /// Key within the order (of the first action); the journal key is
        /// `comment:<scope>:<key>`.
        key: String,
        /// Keys of every pending comment it carries.
        keys: Vec<String>,
        /// Text.
        text: String,
    },
    /// unzer: charge (part of) the authorisation.
    Charge {
        /// Key (also the paymentReference).
        key: String,
        /// Why.
        purpose: Purpose,
        /// Amount.
        amount_minor: i64,
        /// invoiceId to send.
        invoice_id: Option<String>,
    },
    /// unzer: report a shipment (starts the payment period of invoice types).
    Ship {
        /// Key.
        key: String,
        /// Invoice.
        invoice: String,
    },
    /// unzer: re-authorise a paylater installment or direct debit whose authorisation expired
    /// before an invoice's charge (`PATCH …/authorize`).
    Reauthorize {
        /// Key.
        key: String,
        /// The invoice waiting for its charge.
        invoice: String,
        /// The authorised total to ask for.
        amount_minor: i64,
    },
    /// unzer: reverse (part of) the authorisation.
    Reverse {
        /// Key.
        key: String,
        /// Why.
        purpose: Purpose,
        /// Amount.
        amount_minor: i64,
    },
    /// unzer: refund a charge (or cancel an unpaid one); `charge_id` `None` is the paylater
    /// payment-level refund.
    Refund {
        /// Key.
        key: String,
        /// Why.
        purpose: Purpose,
        /// Charge to refund.
        charge_id: Option<String>,
        /// Amount.
        amount_minor: i64,
        /// `reasonCode`.
        reason: &'static str,
    },
    /// Record an incident for the problem at `index`: dashboard, mail, attention event.
    Flag {
        /// Index in `Progress::problems`.
        index: usize,
        /// The problem.
        problem: ProblemNote,
    },
    /// A state change without a partner call.
    Record(Event),
}

/// Why there is nothing to do right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Follow pixi changes (released, not yet closed, or blocked by an error).
    Follow,
    /// unzer has not decided about the payment yet: look again soon.
    Payment,
    /// Prepayment: waiting for the customer's transfer.
    Funds,
    /// Completed or not processed: only a pixi change or a webhook brings work.
    Done,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Do this next.
    Act(Action),
    /// Nothing to do now.
    Idle(Wait),
}

pub(super) fn act(a: Action) -> Option<Decision> {
    Some(Decision::Act(a))
}

pub(super) fn record(e: Event) -> Option<Decision> {
    act(Action::Record(e))
}

pub(super) fn problem(severity: Severity, code: &str, doc: Option<&str>, title: &str, description: String) -> Event {
    Event::Problem(ProblemNote {
        code: code.into(),
        doc: doc.map(Into::into),
        severity,
        title: title.into(),
        description,
        flagged: false,
    })
}

/// Longest comment text pixi-sync writes at once.
const MAX_COMMENT: usize = 2000;

/// The next thing to do for `order`. The comments of the actions taken (PX-21) are written
/// once nothing else is left, one line per action, in one pixi comment.
pub fn decide(ctx: &Ctx<'_>, order: &PixiOrder, payment: &PaymentFacts, s: &Progress) -> Decision {
    match next(ctx, order, payment, s) {
        Decision::Idle(_) if !s.comments.is_empty() => {
            let mut text = String::new();
            let mut keys = Vec::new();
            for c in &s.comments {
                if !text.is_empty() && text.len() + c.text.len() + 1 > MAX_COMMENT {
                    break;
                }
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&c.text);
                keys.push(c.key.clone());
            }
            Decision::Act(Action::Comment { key: keys[0].clone(), keys, text })
        }
        other => other,
    }
}

fn next(ctx: &Ctx<'_>, order: &PixiOrder, payment: &PaymentFacts, s: &Progress) -> Decision {
    if let Some((index, p)) = s.problems.iter().enumerate().find(|(_, p)| !p.flagged) {
        return Decision::Act(Action::Flag { index, problem: p.clone() });
    }
    if order.merged {
        if !s.has_problem("MERGED", None) {
            let e = problem(
                Severity::Hint,
                "MERGED",
                None,
                "merged order: not processed",
                "pixi merged this order with another one; merging is not supported, so pixi-sync does not process it (PX-24)"
                    .into(),
            );
            return Decision::Act(Action::Record(e));
        }
        return Decision::Idle(Wait::Done);
    }
    for d in order.manual_docs() {
        if !s.has_problem("MANUAL_DOCUMENT", Some(&d.nr)) {
            let what = if d.kind == super::facts::DocKind::Invoice { "invoice" } else { "credit note" };
            let e = problem(
                Severity::Hint,
                "MANUAL_DOCUMENT",
                Some(&d.nr),
                "manual document: not processed automatically",
                format!(
                    "{what} {} was written by hand in pixi (no order lines{}); pixi-sync does not {} it at unzer \
                     nor book it: do that by hand and balance the customer account",
                    d.nr,
                    if what == "invoice" { "" } else { " returned" },
                    if what == "invoice" { "charge" } else { "refund" }
                ),
            );
            return Decision::Act(Action::Record(e));
        }
    }
    for d in order.docs.iter().filter(|d| !d.manual) {
        let ours = s.balanced(&d.nr)
            || ctx.attempted.contains(&ctx.key("balance", &d.nr))
            || ctx.attempted.contains(&ctx.key("book", &d.nr));
        if d.paid_minor > 0 && !ours && !s.has_problem("PAID_BY_PIXI", Some(&d.nr)) {
            let e = problem(
                Severity::Error,
                "PAID_BY_PIXI",
                Some(&d.nr),
                "configuration error: pixi marked a document paid",
                format!(
                    "pixi marked {} paid by itself: payment method {} must not match invoices or credit notes automatically nor behave like a credit-card method (PX-26)",
                    d.nr, order.payment_method
                ),
            );
            return Decision::Act(Action::Record(e));
        }
    }
    if s.released.is_none() {
        // An order we released ourselves (the record of it lost in a crash) goes through the
        // release step again, whose journal entry answers with what was done.
        let ours = ctx.attempted.contains(&ctx.key("release", "order"));
        if order.status != PixiStatus::Hold && !ours {
            if !s.has_problem("NOT_ON_HOLD", None) {
                return Decision::Act(Action::Record(problem(
                    Severity::Error,
                    "NOT_ON_HOLD",
                    None,
                    "configuration error: order not imported on HOLD",
                    format!(
                        "order {} of payment method {} arrived in pixi as {}, not HOLD: it could be shipped before \
                         pixi-sync checked the payment. pixi must import orders of this method with status HAL (the \
                         method's initial order status); an order released by hand before pixi-sync saw it looks the same",
                        order.order_nr,
                        order.payment_method,
                        order.status.as_str()
                    ),
                )));
            }
            return Decision::Act(Action::Record(Event::ReleasedExternally));
        }
        return release::release(ctx, order, payment, s);
    }
    if s.refusal.is_some() {
        // Released with a lock because the payment was refused: a person takes over.
        return Decision::Idle(Wait::Follow);
    }
    let p = match payment {
        PaymentFacts::Found(p) => p,
        PaymentFacts::NotFound(reason) => {
            if !s.has_problem("PAYMENT_NOT_FOUND", None) {
                let d = format!("unzer does not know the order's payment: {reason}");
                return Decision::Act(Action::Record(problem(
                    Severity::Error,
                    "PAYMENT_NOT_FOUND",
                    None,
                    "unzer payment not found",
                    d,
                )));
            }
            return Decision::Idle(Wait::Follow);
        }
        PaymentFacts::NoPaymentId => {
            if !s.has_problem("NO_PAYMENT_ID", None) {
                return Decision::Act(Action::Record(problem(
                    Severity::Error,
                    "NO_PAYMENT_ID",
                    None,
                    "order without unzer payment id",
                    "the order has no unzer payment id in KK-ID nor in its import XML".into(),
                )));
            }
            return Decision::Idle(Wait::Follow);
        }
    };
    let kind: PaymentType = match &p.kind {
        Ok(k) => *k,
        Err(e) => {
            if !s.has_problem("UNSUPPORTED_TYPE", None) {
                return Decision::Act(Action::Record(problem(
                    Severity::Error,
                    "UNSUPPORTED_TYPE",
                    None,
                    "configuration error: unsupported payment type",
                    format!("{e} on payment method {} (PX-06)", order.payment_method),
                )));
            }
            return Decision::Idle(Wait::Follow);
        }
    };
    if let Some(d) = release::after_release(ctx, order, p, kind, s) {
        return d;
    }
    if let Some(d) = documents::invoices(ctx, order, p, kind, s) {
        return d;
    }
    if let Some(d) = documents::credit_notes(ctx, order, p, kind, s) {
        return d;
    }
    if let Some(d) = cancel::cancellations(ctx, order, p, kind, s) {
        return d;
    }
    if let Some(d) = documents::deferred_balancing(ctx, order, p, kind, s) {
        return d;
    }
    let blocked = s.invoices.values().any(|i| i.failed) || s.credits.values().any(|c| c.failed) || s.cancel.failed;
    if order.status == PixiStatus::Closed && !blocked {
        if !s.completed {
            return Decision::Act(Action::Record(Event::Completed));
        }
        return Decision::Idle(Wait::Done);
    }
    if kind == PaymentType::Prepayment && !p.funds_received() && !s.manual_balance {
        return Decision::Idle(Wait::Funds);
    }
    Decision::Idle(Wait::Follow)
}
