//! The supervisor's pass (its loop is `crate::jobs::supervisor`): one pass over the payments that need it every `SUPERVISOR_INTERVAL`, on
//! every replica. It renews this replica's leases, takes over waiting payments whose tracker
//! died (expired lease: a killed replica) and follows them by lookup (TG-32), polls payments
//! whose answer was lost, cancels on the terminal at the deadline (TG-22), closes a payment as
//! timed out, unconfirmed once the deadline plus grace passed without an answer — letting go
//! of a terminal call still held — and revisits payments given up on until Nets says how they
//! ended (late approvals are voided). Payments are worked on concurrently, with a bound, so a
//! Nets outage (every call waiting for its timeout) cannot keep one past timeout + grace while
//! the others queue. Deadlines are read from the kit Clock, so tests move time instead of
//! waiting.

use std::sync::Mutex;

use chrono::Duration as ChronoDuration;
use futures::StreamExt;

use super::{Engine, RefreshResult, WAITING};
use crate::domain::payment::{CancelBy, Command, State, TerminalOutcome};
use crate::error::Error;
use crate::store::payments::{self, PaymentRecord};

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Payments taken over from a dead tracker.
    pub claimed: usize,
    /// Cancels sent at the deadline.
    pub timeouts: usize,
    /// Payments closed as timed out, unconfirmed.
    pub given_up: usize,
    /// Payments whose outcome a lookup found.
    pub resolved: usize,
}

impl Engine {
    /// One supervisor pass.
    pub async fn supervise_once(&self) -> Result<SweepReport, Error> {
        let now = self.now();
        let me = self.config().instance_id.clone();
        let lease = ChronoDuration::from_std(self.config().lease).unwrap_or(ChronoDuration::MAX);
        if self.lease_renewal_due(now) {
            payments::renew_leases(self.pool(), &me, now + lease).await?;
        }
        metrics::gauge!(WAITING).set(payments::count_waiting(self.pool()).await? as f64);
        kit::metrics::record_pool(self.record_pool(), "record");
        let due = payments::due(self.pool(), &me, now, 500).await?;
        let report = Mutex::new(SweepReport::default());
        futures::stream::iter(due)
            .for_each_concurrent(self.config().supervisor_concurrency.max(1), |p| {
                let report = &report;
                async move {
                    let id = p.id;
                    if let Err(e) = self.supervise_payment(p, report).await {
                        tracing::warn!(payment = %id, error = %e, "supervising a payment failed; next pass retries");
                    }
                }
            })
            .await;
        Ok(report.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    async fn supervise_payment(&self, p: PaymentRecord, report: &Mutex<SweepReport>) -> Result<(), Error> {
        let count = |f: fn(&mut SweepReport)| f(&mut report.lock().unwrap_or_else(|e| e.into_inner()));
        if p.machine.state != State::Waiting {
            // Given up on and still holding the terminal: revisit until Nets answers.
            let (_, r) = self.probe(p.id, false).await?;
            if r == RefreshResult::Updated {
                count(|r| r.resolved += 1);
            }
            return Ok(());
        }
        let now = self.now();
        let me = self.config().instance_id.as_str();
        let lease = ChronoDuration::from_std(self.config().lease).unwrap_or(ChronoDuration::MAX);
        if p.owner.as_deref() != Some(me) {
            let expired = p.lease_until.is_none_or(|l| l < now);
            if !expired || !payments::claim(self.pool(), p.id, me, now, now + lease).await? {
                return Ok(());
            }
            count(|r| r.claimed += 1);
            tracing::info!(payment = %p.id, previous = ?p.owner, "took over a waiting payment from a dead tracker");
            // Its terminal call died with its tracker: follow it by lookup from now on.
            self.apply(p.id, Command::Observe(TerminalOutcome::Unknown("tracker lost".into()))).await?;
        }
        let grace = ChronoDuration::from_std(self.config().grace).unwrap_or(ChronoDuration::MAX);
        let resolved = |r: RefreshResult| {
            if r == RefreshResult::Updated {
                count(|r| r.resolved += 1);
            }
        };
        let Some(deadline) = p.deadline else { return Ok(()) };
        if now < deadline {
            let (_, r) = self.probe(p.id, false).await?;
            resolved(r);
            return Ok(());
        }
        let current = self.load(p.id).await?;
        if current.machine.cancel_requested.is_none() && !current.machine.state.is_final() {
            let applied = self.apply(p.id, Command::RequestCancel(CancelBy::Timeout)).await?;
            count(|r| r.timeouts += 1);
            if let Err(e) = self.send_cancel(&applied.record).await {
                tracing::warn!(payment = %p.id, error = %e, "cancel at the deadline did not reach the terminal");
            }
        } else if now < deadline + grace {
            // The cancel may not have arrived: repeat it while the terminal still runs this
            // payment (it holds the terminal, so nothing else of ours runs there).
            let (after, r) = self.probe(p.id, false).await?;
            resolved(r);
            if !after.machine.state.is_final()
                && r == RefreshResult::InProgress
                && let Err(e) = self.send_cancel(&after).await
            {
                tracing::info!(payment = %p.id, error = %e, "repeated cancel did not reach the terminal");
            }
        }
        let (after, r) = self.probe(p.id, false).await?;
        resolved(r);
        if !after.machine.state.is_final() && now >= deadline + grace {
            // The terminal call is let go: a stalled connection never holds the payment longer.
            self.let_go(p.id);
            let applied = self.apply(p.id, Command::GiveUp).await?;
            if !applied.events.is_empty() {
                count(|r| r.given_up += 1);
                tracing::warn!(payment = %p.id, "no outcome by deadline + grace: closed as timed out, unconfirmed");
            }
        }
        Ok(())
    }

    /// True when a third of the lease passed since the last renewal (one UPDATE per third of
    /// a lease for all of this replica's payments, not one per pass).
    fn lease_renewal_due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let third = ChronoDuration::from_std(self.config().lease / 3).unwrap_or(ChronoDuration::MAX);
        let mut last = self.0.last_renewal.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|l| now - l < third && now >= l) {
            return false;
        }
        *last = Some(now);
        true
    }
}
