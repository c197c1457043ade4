//! An order's persisted progress: what pixi-sync did for it (stored as JSON on the order
//! row). The events that move it and `apply` are in [`super::events`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Why money moves (also the document a movement belongs to).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "purpose", content = "doc")]
pub enum Purpose {
    /// STANDARD mode: the full amount before release (PX-11).
    Release,
    /// An invoice (PX-13, PX-15).
    Invoice(String),
    /// A credit note (PX-19).
    Credit(String),
    /// Cancelled lines or the whole order (PX-17, PX-18).
    Cancel,
    /// The rest of the authorisation once the order is closed (PX-18, expert mode).
    Close,
}

impl Purpose {
    /// The document column of a movement: the document number or the purpose name.
    pub fn document(&self) -> String {
        match self {
            Purpose::Release => "release".into(),
            Purpose::Invoice(nr) | Purpose::Credit(nr) => nr.clone(),
            Purpose::Cancel => "cancel".into(),
            Purpose::Close => "close".into(),
        }
    }
}

/// The kind of a money movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// Charge of the authorisation.
    Charge,
    /// Refund of charged money, or cancel of an unpaid charge.
    Refund,
    /// Reversal of (part of) the authorisation.
    Reverse,
    /// Shipment notice.
    Ship,
}

impl MoveKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MoveKind::Charge => "charge",
            MoveKind::Refund => "refund",
            MoveKind::Reverse => "reversal",
            MoveKind::Ship => "shipment",
        }
    }
}

/// A movement that succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    /// Idempotency key.
    pub key: String,
    /// unzer transaction id.
    pub txn_id: String,
    /// Amount moved.
    pub amount_minor: i64,
    /// unzer's `processing.uniqueId` of the transaction (the id pixi's `PayID` wants); empty
    /// for movements recorded before it was kept.
    #[serde(default)]
    pub unique_id: String,
}

/// Error (a process failed, a person must act) or hint (someone should check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Needs a person now.
    Error,
    /// Nothing failed; check when convenient.
    Hint,
}

/// A problem noticed on the order; flagged (incident, mail, attention event) exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemNote {
    /// Machine-readable code, e.g. `CAPTURE_FAILED`.
    pub code: String,
    /// The document concerned, if any.
    pub doc: Option<String>,
    /// Error or hint.
    pub severity: Severity,
    /// Short title (no personal data).
    pub title: String,
    /// Description (no personal data).
    pub description: String,
    /// The incident was recorded.
    #[serde(default)]
    pub flagged: bool,
}

/// A comment waiting to be written to pixi (PX-21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingComment {
    /// Key within the order (`comment:released`); the journal key adds the order's scope.
    pub key: String,
    /// Text.
    pub text: String,
}

/// How the order was released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    /// By pixi-sync (false: someone released it in pixi before).
    pub by_us: bool,
    /// With a shipping lock.
    pub locked: bool,
}

/// Progress of one invoice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvoiceProgress {
    /// Charge at unzer (expert mode, paylater).
    pub charge: Option<Moved>,
    /// Shipment transaction (invoice types).
    pub shipment: Option<String>,
    /// STANDARD mode: the sum check passed (PX-14).
    pub sum_ok: bool,
    /// Booked in the pixi customer account.
    pub balanced: bool,
    /// A step failed for good; a person must act.
    pub failed: bool,
    /// The charge was refused because the authorisation expired; a re-authorisation is due
    /// (paylater installment and direct debit).
    pub expired: bool,
    /// The authorisation was re-authorised for this invoice; its charge is retried once.
    pub reauthorized: bool,
}

/// Progress of one credit note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreditProgress {
    /// Refunds at unzer.
    pub refunds: Vec<Moved>,
    /// Sum refunded.
    pub refunded_minor: i64,
    /// Booked with the returns event.
    pub booked: bool,
    /// A step failed for good.
    pub failed: bool,
}

/// Progress of cancellations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CancelProgress {
    /// Amount sent to unzer for cancellations (reversed, refunded or cancelled).
    pub done_minor: i64,
    /// The movements.
    pub moves: Vec<Moved>,
    /// The rest of the authorisation was released when the order closed.
    pub closed: Option<Moved>,
    /// A cancellation failed for good.
    pub failed: bool,
}

/// Everything pixi-sync did for one order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    /// Released (by us or externally).
    pub released: Option<Released>,
    /// The release was refused (code): lock, release, flag.
    pub refusal: Option<String>,
    /// We set a shipping lock (refusal or prepayment).
    pub locked_by_us: bool,
    /// The lock was for a prepayment not yet received (PX-12).
    pub prepay_locked: bool,
    /// pixi refused the shipping lock of a refused payment: the order stays on HOLD (never
    /// released without the lock) until a person acts or asks to try again.
    pub lock_refused: bool,
    /// pixi refused the prepayment lock: the order stays on HOLD until the money arrives.
    pub prepay_lock_refused: bool,
    /// The prepayment lock was lifted.
    pub prepay_lifted: bool,
    /// Transfer data written to pixi (PX-12).
    pub bank_written: bool,
    /// STANDARD mode: the capture before release (PX-11).
    pub release_charge: Option<Moved>,
    /// Invoices by number.
    pub invoices: BTreeMap<String, InvoiceProgress>,
    /// Credit notes by number.
    pub credits: BTreeMap<String, CreditProgress>,
    /// Cancellations.
    pub cancel: CancelProgress,
    /// Prepayment: shipped before the money came; someone balances by hand (PX-16).
    pub manual_balance: bool,
    /// Comments to write, oldest first.
    pub comments: Vec<PendingComment>,
    /// Problems noticed (flagged once each).
    pub problems: Vec<ProblemNote>,
    /// CLOSED and everything done.
    pub completed: bool,
    /// The last thing done, for the dashboard.
    pub last_action: String,
}

impl Progress {
    /// Whether a problem with `code` (and `doc`) was noted.
    pub fn has_problem(&self, code: &str, doc: Option<&str>) -> bool {
        self.problems.iter().any(|p| p.code == code && p.doc.as_deref() == doc)
    }

    /// Open problem severity: error beats hint.
    pub fn worst(&self) -> Option<Severity> {
        if self.problems.iter().any(|p| p.severity == Severity::Error) {
            Some(Severity::Error)
        } else if self.problems.is_empty() {
            None
        } else {
            Some(Severity::Hint)
        }
    }

    /// An operator asks to try again (RetryOrder): every pixi write pixi refused is marked not
    /// done, and its problem note dropped so a new refusal is flagged again. Returns what was
    /// reopened, for people ("booking DEM0000002"). Refused unzer movements stay refused.
    pub fn reopen_refused(&mut self) -> Vec<String> {
        let mut reopened = Vec::new();
        let refused: Vec<ProblemNote> =
            self.problems.iter().filter(|p| p.code.starts_with("PIXI_REFUSED_")).cloned().collect();
        for p in &refused {
            let what = p.code.trim_start_matches("PIXI_REFUSED_");
            match (what, p.doc.as_deref()) {
                ("RELEASE", _) => self.released = None,
                ("LOCK", _) => {
                    self.lock_refused = false;
                    self.prepay_lock_refused = false;
                }
                ("UNLOCK", _) => self.prepay_lifted = false,
                ("BANK_DATA", _) => self.bank_written = false,
                ("CAPTURE_MARK", Some(d)) => self.invoices.entry(d.to_owned()).or_default().failed = false,
                ("BOOKING", Some(d)) => self.credits.entry(d.to_owned()).or_default().failed = false,
                _ => continue,
            }
            let label = what.to_ascii_lowercase().replace('_', " ");
            reopened.push(p.doc.as_ref().map_or(label.clone(), |d| format!("{label} {d}")));
        }
        self.problems.retain(|p| !p.code.starts_with("PIXI_REFUSED_"));
        reopened
    }

    /// Whether document `nr` is known to be manual (flagged so) or not (processed before);
    /// `None` when it was never looked at.
    pub fn known_manual(&self, nr: &str) -> Option<bool> {
        if self.has_problem("MANUAL_DOCUMENT", Some(nr)) {
            Some(true)
        } else if self.invoices.contains_key(nr) || self.credits.contains_key(nr) {
            Some(false)
        } else {
            None
        }
    }

    /// Whether pixi-sync booked document `nr` itself.
    pub fn balanced(&self, nr: &str) -> bool {
        self.invoices.get(nr).is_some_and(|i| i.balanced) || self.credits.get(nr).is_some_and(|c| c.booked)
    }
}

/// Minor units as `12.50` (for texts).
pub fn format_minor(minor: i64) -> String {
    money(minor)
}

fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

pub use super::events::{Event, Expiry, LockPurpose, PixiWrite, apply};
