//! The supervisor: one pass over waiting payments every `SUPERVISOR_INTERVAL`, on every
//! replica. It renews this replica's leases, takes over payments whose tracker died (expired
//! lease: a killed replica) and resumes tracking them by refresh (TG-32), polls payments whose
//! purchase answer was lost, cancels on the terminal at the deadline (TG-22), and closes a
//! payment as timed out, unconfirmed once the deadline plus grace passed without an answer —
//! so none stays waiting past timeout + grace. Deadlines are read from the kit Clock, so tests
//! move time instead of waiting.

use chrono::Duration as ChronoDuration;
use tokio_util::sync::CancellationToken;

use super::{Engine, WAITING};
use crate::domain::payment::{CancelBy, Command, TerminalOutcome};
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
    /// Payments whose outcome a refresh found.
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
        let due = payments::due(self.pool(), &me, now, 500).await?;
        let mut report = SweepReport::default();
        for p in due {
            let mine = p.owner.as_deref() == Some(me.as_str());
            let expired = p.lease_until.is_none_or(|l| l < now);
            if !mine {
                if !expired || !payments::claim(self.pool(), p.id, &me, now, now + lease).await? {
                    continue;
                }
                report.claimed += 1;
                tracing::info!(payment = %p.id, previous = ?p.owner, "took over a waiting payment from a dead tracker");
                // Its purchase call died with its tracker: follow it by polling from now on.
                self.apply(p.id, Command::Observe(TerminalOutcome::Unknown("tracker lost".into()))).await?;
            }
            if let Err(e) = self.supervise_payment(&p, &mut report).await {
                tracing::warn!(payment = %p.id, error = %e, "supervising a waiting payment failed; next pass retries");
            }
        }
        Ok(report)
    }

    async fn supervise_payment(&self, p: &PaymentRecord, report: &mut SweepReport) -> Result<(), Error> {
        let now = self.now();
        let grace = ChronoDuration::from_std(self.config().grace).unwrap_or(ChronoDuration::MAX);
        let refresh = |report: &mut SweepReport, r: super::RefreshResult| {
            if r == super::RefreshResult::Updated {
                report.resolved += 1;
            }
        };
        let Some(deadline) = p.deadline else { return Ok(()) };
        if now < deadline {
            let (_, r) = self.refresh_record(p.id).await?;
            refresh(report, r);
            return Ok(());
        }
        if p.machine.cancel_requested.is_none() {
            let applied = self.apply(p.id, Command::RequestCancel(CancelBy::Timeout)).await?;
            report.timeouts += 1;
            if let Err(e) = self.send_cancel(&applied.record).await {
                tracing::warn!(payment = %p.id, error = %e, "cancel at the deadline did not reach the terminal");
            }
        } else if now < deadline + grace {
            // The cancel may not have arrived: repeat it while the terminal is still busy with
            // this payment (never once it went idle: the next transaction is not ours to stop).
            let (after, r) = self.refresh_record(p.id).await?;
            if !after.machine.state.is_final()
                && r == super::RefreshResult::InProgress
                && let Err(e) = self.send_cancel(&after).await
            {
                tracing::info!(payment = %p.id, error = %e, "repeated cancel did not reach the terminal");
            }
        }
        let (after, r) = self.refresh_record(p.id).await?;
        refresh(report, r);
        if !after.machine.state.is_final() && now >= deadline + grace {
            let applied = self.apply(p.id, Command::GiveUp).await?;
            if !applied.events.is_empty() {
                report.given_up += 1;
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

    /// Runs supervisor passes every `every` (real time) until `token` is cancelled.
    pub async fn run_supervisor(self, every: std::time::Duration, token: CancellationToken) {
        while !token.is_cancelled() {
            if let Err(e) = self.supervise_once().await {
                tracing::warn!(error = %e, "supervisor pass failed");
            }
            tokio::select! {
                () = token.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    }
}
