//! The events that move an order's progress, and `apply`, which is pure: the executor performs
//! an action at a partner, turns the outcome into an [`Event`], applies it and stores the
//! result in one transaction with the outbox event.

use serde::{Deserialize, Serialize};

use super::progress::{
    MoveKind, Moved, PendingComment, ProblemNote, Progress, Purpose, Released, Severity, format_minor as money,
};

/// A pixi write that can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PixiWrite {
    /// Release the order.
    Release,
    /// Lock after a refused payment.
    LockRefused,
    /// Lock while the prepayment is awaited.
    LockPrepayment,
    /// Lift the prepayment lock.
    LockLift,
    /// Write the transfer data.
    Bank,
    /// Mark an invoice captured.
    Balance,
    /// Book a credit note.
    Book,
}

impl PixiWrite {
    /// Code suffix.
    pub fn code(self) -> &'static str {
        match self {
            PixiWrite::Release => "RELEASE",
            PixiWrite::LockRefused | PixiWrite::LockPrepayment => "LOCK",
            PixiWrite::LockLift => "UNLOCK",
            PixiWrite::Bank => "BANK_DATA",
            PixiWrite::Balance => "CAPTURE_MARK",
            PixiWrite::Book => "BOOKING",
        }
    }

    /// For people.
    pub fn describe(self) -> &'static str {
        match self {
            PixiWrite::Release => "releasing the order",
            PixiWrite::LockRefused | PixiWrite::LockPrepayment => "setting the shipping lock",
            PixiWrite::LockLift => "lifting the shipping lock",
            PixiWrite::Bank => "writing the transfer data",
            PixiWrite::Balance => "marking the invoice captured",
            PixiWrite::Book => "booking the credit note",
        }
    }
}

/// An authorisation that expired before a charge, by what can be done about it (PX-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expiry {
    /// An invoice type whose payment period cannot start (paylater invoice: no
    /// re-authorisation through pixi; installment and direct debit once re-authorising failed).
    PaymentPeriod,
    /// A card (or PayPal, Apple Pay) authorisation: unzer documents no re-authorisation.
    Card,
}

/// Why a lock changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockPurpose {
    /// Refused or erroneous payment (PX-10).
    Refused,
    /// Prepayment not yet received (PX-12).
    Prepayment,
    /// Prepayment received: lift (PX-12).
    Lift,
}

/// A state change of the order's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Someone released the order in pixi before pixi-sync did.
    ReleasedExternally,
    /// The payment is refused or erroneous: release with a lock and flag (PX-10).
    Refusal {
        /// Code.
        code: String,
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
    /// The order was released.
    Released {
        /// With a lock.
        locked: bool,
    },
    /// A shipping lock was set or lifted.
    LockChanged {
        /// Locked now.
        locked: bool,
        /// Why.
        purpose: LockPurpose,
        /// Reason text.
        reason: String,
    },
    /// Transfer data written.
    BankWritten,
    /// Money moved (or a shipment was reported).
    Moved {
        /// Why.
        purpose: Purpose,
        /// What.
        kind: MoveKind,
        /// The movement.
        moved: Moved,
    },
    /// unzer refused a movement for good.
    MoveFailed {
        /// Why it was attempted.
        purpose: Purpose,
        /// What.
        kind: MoveKind,
        /// Key.
        key: String,
        /// unzer's reason.
        reason: String,
        /// The authorisation had expired (PX-15), and what can be done about it.
        expired: Option<Expiry>,
    },
    /// A charge of an invoice was refused because the authorisation expired, and the type can
    /// be re-authorised (paylater installment, direct debit): re-authorise, then charge again.
    AuthorizationExpired {
        /// The invoice.
        invoice: String,
        /// The refused charge's key.
        key: String,
    },
    /// The authorisation was re-authorised for an invoice's charge.
    Reauthorized {
        /// The invoice.
        invoice: String,
        /// The authorisation's transaction id.
        txn_id: String,
        /// The authorised total asked for.
        amount_minor: i64,
    },
    /// STANDARD: the invoice sum check passed (PX-14).
    SumChecked {
        /// Invoice.
        invoice: String,
    },
    /// STANDARD: the invoices exceed the order amount (PX-14).
    SumExceeded {
        /// Invoice.
        invoice: String,
        /// Sum of invoices.
        invoiced_minor: i64,
        /// The ceiling.
        limit_minor: i64,
    },
    /// An invoice was marked captured in pixi (booked with the invoice event).
    InvoiceBalanced {
        /// Invoice.
        invoice: String,
        /// Amount.
        amount_minor: i64,
    },
    /// A credit note was booked with the returns event.
    CreditBooked {
        /// Credit note.
        credit: String,
        /// Amount.
        amount_minor: i64,
    },
    /// pixi refused a write for good.
    PixiRefused {
        /// What was attempted.
        what: PixiWrite,
        /// Document concerned.
        doc: Option<String>,
        /// pixi's message.
        reason: String,
    },
    /// A comment was written.
    Commented {
        /// The keys of the comments written (several actions in one pixi comment).
        keys: Vec<String>,
    },
    /// A problem was noted.
    Problem(ProblemNote),
    /// The problem at this index was flagged.
    Flagged {
        /// Index into `problems`.
        index: usize,
    },
    /// Prepayment shipped before the money came (PX-16).
    ManualBalance {
        /// The invoice shipped.
        invoice: String,
    },
    /// CLOSED and everything done.
    Completed,
}

fn note(severity: Severity, code: &str, doc: Option<&str>, title: String, description: String) -> ProblemNote {
    ProblemNote { code: code.into(), doc: doc.map(Into::into), severity, title, description, flagged: false }
}

fn comment(s: &mut Progress, key: &str, at: &str, text: String) {
    s.comments.push(PendingComment { key: format!("comment:{key}"), text: format!("payops unzer {at}: {text}") });
    s.last_action = text;
}

/// Applies `event` (happened at local time `at`, used in comments) to `s`.
pub fn apply(mut s: Progress, event: &Event, at: &str) -> Progress {
    match event {
        Event::ReleasedExternally => {
            s.released = Some(Released { by_us: false, locked: false });
            s.last_action = "released in pixi by someone else".into();
        }
        Event::Refusal { code, title, description } => {
            s.refusal = Some(code.clone());
            s.problems.push(note(Severity::Error, code, None, title.clone(), description.clone()));
        }
        Event::Released { locked } => {
            s.released = Some(Released { by_us: true, locked: *locked });
            let text = if *locked { "order released with a shipping lock" } else { "order released" };
            comment(&mut s, "released", at, text.into());
        }
        Event::LockChanged { locked, purpose, reason } => {
            match purpose {
                LockPurpose::Refused => s.locked_by_us = true,
                LockPurpose::Prepayment => {
                    s.locked_by_us = true;
                    s.prepay_locked = true;
                }
                LockPurpose::Lift => s.prepay_lifted = true,
            }
            let what = if *locked { "shipping lock set" } else { "shipping lock lifted" };
            let key = format!(
                "lock-{}",
                serde_json::to_value(purpose).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
            );
            comment(&mut s, &key, at, format!("{what}: {reason}"));
        }
        Event::BankWritten => {
            s.bank_written = true;
            comment(&mut s, "bank", at, "transfer data written to the customer-service bank fields".into());
        }
        Event::Moved { purpose, kind, moved } => apply_moved(&mut s, purpose, *kind, moved, at),
        Event::MoveFailed { purpose, kind, key, reason, expired } => {
            let doc = match purpose {
                Purpose::Invoice(nr) | Purpose::Credit(nr) => Some(nr.as_str()),
                _ => None,
            };
            match purpose {
                Purpose::Invoice(nr) => s.invoices.entry(nr.clone()).or_default().failed = true,
                Purpose::Credit(nr) => s.credits.entry(nr.clone()).or_default().failed = true,
                Purpose::Cancel | Purpose::Close => s.cancel.failed = true,
                Purpose::Release => {
                    s.refusal = Some("CAPTURE_FAILED".into());
                }
            }
            let (code, title) = match (kind, expired) {
                (_, Some(Expiry::Card)) => {
                    ("AUTHORIZATION_EXPIRED", "card authorisation expired: unzer cannot capture the amount".to_owned())
                }
                (_, Some(Expiry::PaymentPeriod)) => {
                    ("AUTHORIZATION_EXPIRED", "authorisation expired; the payment period cannot start".to_owned())
                }
                (MoveKind::Charge, _) => {
                    ("CAPTURE_FAILED", format!("capture of {} failed at unzer", purpose.document()))
                }
                (MoveKind::Refund, _) => {
                    ("REFUND_FAILED", format!("refund for {} failed at unzer", purpose.document()))
                }
                (MoveKind::Reverse, _) => ("CANCEL_FAILED", format!("cancel ({}) failed at unzer", purpose.document())),
                (MoveKind::Ship, _) => {
                    ("SHIPMENT_FAILED", format!("shipment report of {} failed at unzer", purpose.document()))
                }
            };
            let advice = match expired {
                Some(Expiry::Card) => {
                    ". unzer keeps a card authorisation for at least 7 days and documents no re-authorisation for cards: \
                     ask the customer for a new payment of the open amount (a new checkout), or cancel the undelivered \
                     goods in pixi; then mark the problem solved"
                }
                Some(Expiry::PaymentPeriod) => {
                    ". The authorisation cannot be renewed through pixi: agree the open amount with unzer support or the \
                     customer; then mark the problem solved"
                }
                None => "",
            };
            let description = format!("unzer refused {} ({key}): {reason}{advice}", kind.as_str());
            s.problems.push(note(Severity::Error, code, doc, title, description));
            s.last_action = format!("{} failed", kind.as_str());
        }
        Event::AuthorizationExpired { invoice, .. } => {
            s.invoices.entry(invoice.clone()).or_default().expired = true;
            comment(
                &mut s,
                &format!("expired-{invoice}"),
                at,
                format!("invoice {invoice}: the authorisation expired; re-authorising at unzer"),
            );
        }
        Event::Reauthorized { invoice, txn_id, amount_minor } => {
            let i = s.invoices.entry(invoice.clone()).or_default();
            i.reauthorized = true;
            i.expired = false;
            comment(
                &mut s,
                &format!("reauth-{invoice}"),
                at,
                format!("invoice {invoice}: re-authorised {} at unzer ({txn_id})", money(*amount_minor)),
            );
        }
        Event::SumChecked { invoice } => {
            s.invoices.entry(invoice.clone()).or_default().sum_ok = true;
        }
        Event::SumExceeded { invoice, invoiced_minor, limit_minor } => {
            s.invoices.entry(invoice.clone()).or_default().failed = true;
            s.problems.push(note(
                Severity::Error,
                "INVOICES_EXCEED_ORDER",
                Some(invoice),
                "invoices exceed the captured order amount".into(),
                format!(
                    "the pixi invoices of the order sum to {} but only {} was captured (plus tolerance)",
                    money(*invoiced_minor),
                    money(*limit_minor)
                ),
            ));
        }
        Event::InvoiceBalanced { invoice, amount_minor } => {
            s.invoices.entry(invoice.clone()).or_default().balanced = true;
            comment(
                &mut s,
                &format!("balance-{invoice}"),
                at,
                format!("invoice {invoice} marked paid ({})", money(*amount_minor)),
            );
        }
        Event::CreditBooked { credit, amount_minor } => {
            s.credits.entry(credit.clone()).or_default().booked = true;
            comment(
                &mut s,
                &format!("book-{credit}"),
                at,
                format!("credit note {credit} booked ({})", money(*amount_minor)),
            );
        }
        Event::PixiRefused { what, doc, reason } => {
            // Mark the step as settled so it is not attempted again; a person takes over. A
            // refused shipping lock is never taken as set: without it the order is not
            // released (fail closed).
            match what {
                PixiWrite::Release => s.released = Some(Released { by_us: false, locked: s.locked_by_us }),
                PixiWrite::LockRefused => s.lock_refused = true,
                PixiWrite::LockPrepayment => s.prepay_lock_refused = true,
                PixiWrite::LockLift => s.prepay_lifted = true,
                PixiWrite::Bank => s.bank_written = true,
                PixiWrite::Balance => {
                    if let Some(d) = doc {
                        s.invoices.entry(d.clone()).or_default().failed = true;
                    }
                }
                PixiWrite::Book => {
                    if let Some(d) = doc {
                        s.credits.entry(d.clone()).or_default().failed = true;
                    }
                }
            }
            let code = format!("PIXI_REFUSED_{}", what.code());
            if !s.has_problem(&code, doc.as_deref()) {
                s.problems.push(note(
                    Severity::Error,
                    &code,
                    doc.as_deref(),
                    format!("pixi refused: {}", what.describe()),
                    format!("pixi answered: {reason}"),
                ));
            }
        }
        Event::Commented { keys } => s.comments.retain(|c| !keys.contains(&c.key)),
        Event::Problem(p) => s.problems.push(p.clone()),
        Event::Flagged { index } => {
            if let Some(p) = s.problems.get_mut(*index) {
                p.flagged = true;
            }
        }
        Event::ManualBalance { invoice } => {
            s.manual_balance = true;
            s.problems.push(note(
                Severity::Hint,
                "BALANCE_BY_HAND",
                Some(invoice),
                "prepayment: shipped before the payment arrived".into(),
                "the goods were shipped before unzer reported the prepayment; pixi-sync does not balance the customer account of this order, balance it by hand".into(),
            ));
        }
        Event::Completed => {
            s.completed = true;
            s.last_action = "completed".into();
        }
    }
    s
}

fn apply_moved(s: &mut Progress, purpose: &Purpose, kind: MoveKind, moved: &Moved, at: &str) {
    let m = money(moved.amount_minor);
    let text = match (purpose, kind) {
        (Purpose::Release, _) => {
            s.release_charge = Some(moved.clone());
            format!("captured {m} at unzer before release ({})", moved.txn_id)
        }
        (Purpose::Invoice(nr), MoveKind::Ship) => {
            s.invoices.entry(nr.clone()).or_default().shipment = Some(moved.txn_id.clone());
            format!("shipment of invoice {nr} reported to unzer ({})", moved.txn_id)
        }
        (Purpose::Invoice(nr), _) => {
            s.invoices.entry(nr.clone()).or_default().charge = Some(moved.clone());
            format!("invoice {nr}: captured {m} at unzer ({})", moved.txn_id)
        }
        (Purpose::Credit(nr), _) => {
            let c = s.credits.entry(nr.clone()).or_default();
            c.refunded_minor += moved.amount_minor;
            c.refunds.push(moved.clone());
            format!("credit note {nr}: refunded {m} at unzer ({})", moved.txn_id)
        }
        (Purpose::Cancel, MoveKind::Reverse) => {
            s.cancel.done_minor += moved.amount_minor;
            s.cancel.moves.push(moved.clone());
            format!("cancelled {m} of the authorisation at unzer ({})", moved.txn_id)
        }
        (Purpose::Cancel, _) => {
            s.cancel.done_minor += moved.amount_minor;
            s.cancel.moves.push(moved.clone());
            format!("cancellation: {m} refunded/cancelled at unzer ({})", moved.txn_id)
        }
        (Purpose::Close, _) => {
            s.cancel.closed = Some(moved.clone());
            format!("order closed at unzer: open rest of {m} released ({})", moved.txn_id)
        }
    };
    // Keyed by the movement's idempotency key: cancel ids repeat under other parents.
    comment(s, &format!("{}:{}", kind.as_str(), moved.key), at, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_move_progress_and_queue_one_comment_per_action() {
        let s = Progress::default();
        let s = apply(s, &Event::Released { locked: false }, "2026-01-05 11:00");
        assert_eq!(s.released, Some(Released { by_us: true, locked: false }));
        assert_eq!(s.comments.len(), 1);
        assert!(s.comments[0].text.starts_with("payops unzer 2026-01-05 11:00: order released"));
        let moved = Moved {
            key: "charge:a:1:INV1".into(),
            txn_id: "s-chg-1".into(),
            amount_minor: 1250,
            unique_id: String::new(),
        };
        let s = apply(
            s,
            &Event::Moved { purpose: Purpose::Invoice("INV1".into()), kind: MoveKind::Charge, moved },
            "2026-01-05 11:01",
        );
        assert_eq!(s.invoices["INV1"].charge.as_ref().map(|m| m.amount_minor), Some(1250));
        assert!(s.comments[1].text.contains("captured 12.50"));
        let key = s.comments[0].key.clone();
        let s = apply(s, &Event::Commented { keys: vec![key] }, "x");
        assert_eq!(s.comments.len(), 1);
    }

    #[test]
    fn failures_become_problems_with_distinct_codes() {
        let s = apply(
            Progress::default(),
            &Event::MoveFailed {
                purpose: Purpose::Invoice("INV1".into()),
                kind: MoveKind::Charge,
                key: "k".into(),
                reason: "expired".into(),
                expired: Some(Expiry::PaymentPeriod),
            },
            "t",
        );
        assert!(s.invoices["INV1"].failed);
        assert_eq!(s.problems[0].code, "AUTHORIZATION_EXPIRED");
        assert_eq!(s.worst(), Some(Severity::Error));
        let s = apply(Progress::default(), &Event::ManualBalance { invoice: "INV1".into() }, "t");
        assert_eq!(s.worst(), Some(Severity::Hint));
    }
}
