//! The terminal state machine: start a transaction, finish it (customer, issuer, operator
//! cancel, terminal timeout, aborting lookup, auto mode), void the last one. Every function is a
//! state change under the caller's lock; the blocked purchase call is woken through its oneshot
//! channel, so nothing here waits.

use chrono::{DateTime, Duration, Utc};
use tokio::sync::oneshot;

use super::actors::Scheduled;
use super::state::{AutoMode, InFlight, NetsTransaction, State, TxOutcome};

/// Why a terminal operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TerminalError {
    /// No such terminal on this account.
    NotFound,
    /// The terminal is not connected to the cloud.
    Offline,
    /// Another transaction is in flight.
    Busy,
    /// Nothing (approved) to void or to report.
    NoTransaction,
    /// The void's amount differs from the last transaction's.
    AmountMismatch,
}

/// Why an admin-driven customer action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DriveError {
    /// No such terminal.
    NotFound,
    /// No transaction in flight.
    Idle,
    /// The card is already authorised: the customer can no longer decline or cancel.
    Authorised,
}

/// What the customer (or the card issuer) does on the terminal, driven through the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerAction {
    /// The customer pays; the payment is approved.
    Approve,
    /// The issuer declines the card.
    Decline,
    /// The customer presses cancel on the terminal.
    Cancel,
    /// The card is authorised; from now on the payment completes whatever else happens.
    Authorise,
    /// The payment is approved but the purchase call answers `Result` 99 (outcome unknown);
    /// the last-result lookup shows the approval.
    ApproveUnknown,
    /// The terminal refuses the transaction with a rejection reason code (`3:3` duplicate,
    /// `3:0` rejected, `4:1` amount too low, `1:2` menu open).
    Reject,
}

impl CustomerAction {
    /// The outcome and code this action ends a transaction with (`None` for `Authorise`, which
    /// does not end it). A decline without a code is an issuer's "not sufficient funds" (51).
    pub(crate) fn ending(self, code: Option<String>) -> Option<(TxOutcome, Option<String>)> {
        Some(match self {
            CustomerAction::Approve | CustomerAction::ApproveUnknown => (TxOutcome::Approved, None),
            CustomerAction::Decline => (TxOutcome::Declined, Some(code.unwrap_or_else(|| "51".into()))),
            CustomerAction::Cancel => (TxOutcome::CancelledByCustomer, None),
            CustomerAction::Reject => (TxOutcome::Rejected, Some(code.unwrap_or_else(|| "3:0".into()))),
            CustomerAction::Authorise => return None,
        })
    }
}

/// A purchase (or refund) as the POS asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PurchaseRequest {
    pub(crate) transaction_type: String,
    pub(crate) amount: i64,
    pub(crate) order_id: Option<String>,
}

impl State {
    /// Starts a transaction on `id`; the receiver yields it once it is finished.
    pub(crate) fn start(
        &mut self,
        account: &str,
        id: &str,
        req: PurchaseRequest,
        now: DateTime<Utc>,
    ) -> Result<oneshot::Receiver<NetsTransaction>, TerminalError> {
        self.expire(now);
        let deadline = now + Duration::seconds(self.config.terminal_timeout_secs);
        let idx = self.transactions.len();
        let seq = idx as u64 + 1;
        let t = self.terminals.get_mut(id).filter(|t| t.account == account).ok_or(TerminalError::NotFound)?;
        if !t.connected {
            return Err(TerminalError::Offline);
        }
        if t.current.is_some() {
            return Err(TerminalError::Busy);
        }
        self.transactions.push(NetsTransaction {
            seq,
            terminal_id: id.to_owned(),
            transaction_type: req.transaction_type,
            amount: req.amount,
            currency: t.currency.clone(),
            order_id: req.order_id,
            started_at: now,
            finished_at: None,
            outcome: TxOutcome::InProgress,
            code: None,
            authorised: false,
            reported_unknown: false,
            voided: false,
            stan_auth: None,
            truncated_pan: None,
        });
        let (tx, rx) = oneshot::channel();
        t.current = Some(InFlight { tx: idx, deadline, waiter: Some(tx) });
        let mode = t.mode.clone();
        self.deadlines.insert((deadline, id.to_owned()));
        let auto = match mode {
            AutoMode::Manual => None,
            AutoMode::Approve { after_ms } => Some((TxOutcome::Approved, None, false, after_ms)),
            AutoMode::Decline { after_ms } => Some((TxOutcome::Declined, Some("51".to_owned()), false, after_ms)),
            AutoMode::Act { action, code, after_ms } => {
                action.ending(code).map(|(o, c)| (o, c, action == CustomerAction::ApproveUnknown, after_ms))
            }
        };
        match auto {
            Some((outcome, code, unknown, 0)) => {
                self.finish(id, outcome, code, unknown, now);
            }
            Some((outcome, code, _, after_ms)) => {
                if let Some(s) = &self.scheduler {
                    let due = tokio::time::Instant::now() + std::time::Duration::from_millis(after_ms);
                    let _ = s.send(Scheduled { due, seq, terminal_id: id.to_owned(), outcome, code });
                }
            }
            None => {}
        }
        Ok(rx)
    }

    /// Ends the transaction in flight on `id`. Once the card is authorised every ending is an
    /// approval. Wakes the blocked purchase call; returns the finished transaction.
    pub(crate) fn finish(
        &mut self,
        id: &str,
        outcome: TxOutcome,
        code: Option<String>,
        report_unknown: bool,
        now: DateTime<Utc>,
    ) -> Option<NetsTransaction> {
        let t = self.terminals.get_mut(id)?;
        let flight = t.current.take()?;
        t.last = Some(flight.tx);
        self.deadlines.remove(&(flight.deadline, id.to_owned()));
        let rec = self.transactions.get_mut(flight.tx)?;
        let (outcome, code) = if rec.authorised { (TxOutcome::Approved, None) } else { (outcome, code) };
        rec.outcome = outcome;
        rec.code = code;
        rec.finished_at = Some(now);
        rec.reported_unknown = report_unknown && outcome == TxOutcome::Approved;
        // A card was presented for approvals and declines (and for the terminal's own
        // rejections of a presented card: duplicate, rejected), not when the terminal refused
        // before asking for one (menu open, amount too low).
        let presented = match outcome {
            TxOutcome::Approved | TxOutcome::Declined => true,
            TxOutcome::Rejected => !matches!(rec.code.as_deref(), Some("1:2" | "4:1")),
            _ => false,
        };
        if presented {
            card_data(rec);
        }
        // A host decline carries the six-digit STAN without an authorisation code; the
        // terminal's own refusals carry none (production wire log).
        match outcome {
            TxOutcome::Declined if rec.code.as_deref() != Some("Z3") => {
                rec.stan_auth = rec.stan_auth.as_ref().map(|s| s.chars().take(6).collect());
            }
            TxOutcome::Declined | TxOutcome::Rejected => rec.stan_auth = None,
            _ => {}
        }
        let done = rec.clone();
        if let Some(w) = flight.waiter {
            // The purchase call may be gone (client timeout): the result stays retrievable.
            let _ = w.send(done.clone());
        }
        Some(done)
    }

    /// Finishes transaction `seq` on `id` if it is still the one in flight (auto mode).
    pub(crate) fn auto_finish(
        &mut self,
        id: &str,
        seq: u64,
        outcome: TxOutcome,
        code: Option<String>,
        now: DateTime<Utc>,
    ) {
        let current = self.terminals.get(id).and_then(|t| t.current.as_ref()).map(|f| f.tx as u64 + 1);
        if current == Some(seq) {
            self.finish(id, outcome, code, false, now);
        }
    }

    /// Ends every transaction whose terminal timeout has passed on the sandbox clock.
    pub(crate) fn expire(&mut self, now: DateTime<Utc>) {
        let due: Vec<String> = self.deadlines.iter().take_while(|(d, _)| *d <= now).map(|(_, id)| id.clone()).collect();
        for id in due {
            self.finish(&id, TxOutcome::TimedOut, None, false, now);
        }
    }

    /// The customer (or issuer) acts on terminal `id`.
    pub(crate) fn drive(
        &mut self,
        id: &str,
        action: CustomerAction,
        code: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<NetsTransaction, DriveError> {
        self.expire(now);
        let t = self.terminals.get(id).ok_or(DriveError::NotFound)?;
        let idx = t.current.as_ref().ok_or(DriveError::Idle)?.tx;
        let authorised = self.transactions.get(idx).is_some_and(|r| r.authorised);
        let unknown = action == CustomerAction::ApproveUnknown;
        let finished = match action.ending(code) {
            Some((TxOutcome::Approved, _)) => self.finish(id, TxOutcome::Approved, None, unknown, now),
            _ if authorised => return Err(DriveError::Authorised),
            None => {
                let rec = self.transactions.get_mut(idx).ok_or(DriveError::Idle)?;
                rec.authorised = true;
                card_data(rec);
                return Ok(rec.clone());
            }
            Some((outcome, code)) => self.finish(id, outcome, code, false, now),
        };
        finished.ok_or(DriveError::Idle)
    }

    /// The POS's `cancelAction`: cancels the transaction in flight unless the card is already
    /// authorised, in which case it completes as approved (the race the POS loses).
    pub(crate) fn operator_cancel(
        &mut self,
        account: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<NetsTransaction>, TerminalError> {
        self.expire(now);
        let t = self.terminals.get(id).filter(|t| t.account == account).ok_or(TerminalError::NotFound)?;
        if !t.connected {
            return Err(TerminalError::Offline);
        }
        Ok(self.finish(id, TxOutcome::CancelledByOperator, None, false, now))
    }

    /// The last-result lookup. It aborts a transaction in flight first (observed Nets
    /// behaviour), so the aborted one becomes the last result.
    pub(crate) fn lookup(
        &mut self,
        account: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<NetsTransaction, TerminalError> {
        self.expire(now);
        let t = self.terminals.get(id).filter(|t| t.account == account).ok_or(TerminalError::NotFound)?;
        if !t.connected {
            return Err(TerminalError::Offline);
        }
        self.finish(id, TxOutcome::AbortedByLookup, None, false, now);
        let last = self.terminals.get(id).and_then(|t| t.last).ok_or(TerminalError::NoTransaction)?;
        self.transactions.get(last).cloned().ok_or(TerminalError::NoTransaction)
    }

    /// Voids (reverses) the terminal's last transaction if it was an approved payment.
    pub(crate) fn void(
        &mut self,
        account: &str,
        id: &str,
        amount: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<NetsTransaction, TerminalError> {
        self.expire(now);
        let idx = self.transactions.len();
        let t = self.terminals.get_mut(id).filter(|t| t.account == account).ok_or(TerminalError::NotFound)?;
        if !t.connected {
            return Err(TerminalError::Offline);
        }
        if t.current.is_some() {
            return Err(TerminalError::Busy);
        }
        let last = t.last.and_then(|i| self.transactions.get_mut(i)).ok_or(TerminalError::NoTransaction)?;
        if last.outcome != TxOutcome::Approved || last.voided || last.transaction_type == "reversal" {
            return Err(TerminalError::NoTransaction);
        }
        if amount.is_some_and(|a| a != last.amount) {
            return Err(TerminalError::AmountMismatch);
        }
        last.voided = true;
        let mut reversal = NetsTransaction {
            seq: idx as u64 + 1,
            transaction_type: "reversal".into(),
            code: None,
            order_id: None,
            started_at: now,
            finished_at: Some(now),
            outcome: TxOutcome::Approved,
            authorised: true,
            reported_unknown: false,
            voided: false,
            ..last.clone()
        };
        card_data(&mut reversal);
        reversal.truncated_pan = last.truncated_pan.clone();
        t.last = Some(idx);
        self.transactions.push(reversal.clone());
        Ok(reversal)
    }
}

/// Deterministic card data for a presented card, derived from the sequence number.
fn card_data(rec: &mut NetsTransaction) {
    let seq = rec.seq;
    if rec.truncated_pan.is_none() {
        rec.truncated_pan = Some(format!("457123******{:04}", (seq * 7919 + 1234) % 10_000));
    }
    if rec.stan_auth.is_none() {
        rec.stan_auth = Some(format!("{:06}{:06}", seq % 1_000_000, (seq * 48_271 + 17) % 1_000_000));
    }
}

#[cfg(test)]
#[path = "terminal_tests.rs"]
mod tests;
