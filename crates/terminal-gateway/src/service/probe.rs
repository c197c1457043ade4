//! Asking Nets what a payment's transaction did: the last-result lookup, matched to the
//! payment, and the automatic void of a late approval.
//!
//! A lookup aborts whatever the terminal runs (NaviPartner), and it reports the terminal's last
//! transaction only. So it is sent only
//! - for the payment that holds the terminal (no other payment of ours can run there),
//! - when nothing of that payment can still be running: its purchase answer was lost (and the
//!   integrators' few seconds passed since), its tracker died, it was given up on, or Nets'
//!   advisory state says the terminal is idle,
//! - by one replica at a time (the probe claim on the row).
//!
//! A payment given up on is revisited by the supervisor (any replica, also after a restart)
//! until Nets gives a final answer: approved → late approval, voided at once (the void is
//! journaled before it is sent, so never twice) with an attention event and a timeline entry;
//! not approved → the terminal is released; another transaction → released (with attention
//! when it may have overwritten ours); nothing for `hold_limit` → released with attention.

use chrono::Duration as ChronoDuration;
use uuid::Uuid;

use super::{Engine, RefreshResult};
use crate::domain::correlate::{self, Expected, Match};
use crate::domain::payment::{Command, State, TerminalOutcome, VoidState};
use crate::error::Error;
use crate::nets::NetsError;
use crate::store::holds;
use crate::store::payments::PaymentRecord;

/// Longest pause between two revisits of a payment given up on.
const REVISIT_CAP_SECS: i64 = 60;

impl Engine {
    /// Asks Nets about payment `id` if it may (module docs) and records what it learns.
    /// `waited`: the caller already waited the lookup delay after a lost answer.
    pub(crate) async fn probe(&self, id: Uuid, waited: bool) -> Result<(PaymentRecord, RefreshResult), Error> {
        let p = self.load(id).await?;
        if !p.machine.needs_truth() {
            return Ok((p, RefreshResult::AlreadyFinal));
        }
        let Some(terminal) = p.terminal_id.clone() else { return Ok((p, RefreshResult::AlreadyFinal)) };
        let now = self.now();
        if p.machine.late_approval.is_some() {
            return self.void_late(p).await;
        }
        let waiting = p.machine.state == State::Waiting;
        let lookup_delay = ChronoDuration::from_std(self.config().lookup_delay).unwrap_or(ChronoDuration::MAX);
        if waiting && !waited && p.answer_lost_at.is_some_and(|at| now < at + lookup_delay) {
            return Ok((p, RefreshResult::InProgress));
        }
        let login = self.login(&p.tenant_id).await?;
        // Nothing of ours can still run when the call's answer is gone (lost, tracker dead,
        // let go) or the payment was given up on; otherwise only Nets' advice "idle" says so.
        let answer_gone = !waiting || p.machine.detached;
        match self.nets().terminal_state(&login, &terminal).await.as_deref() {
            Ok("idle") => {}
            Ok("busy") => return self.revisited(p, RefreshResult::InProgress, false).await,
            Ok("offline") => return self.revisited(p, RefreshResult::NetsUnavailable, false).await,
            _ if answer_gone => {}
            _ => return Ok((p, RefreshResult::InProgress)),
        }
        let lookup_timeout = ChronoDuration::from_std(self.nets_lookup_bound()).unwrap_or(ChronoDuration::MAX);
        if !holds::claim_probe(self.pool(), id, now, now + lookup_timeout).await? {
            return Ok((p, RefreshResult::InProgress));
        }
        let looked = self.nets().last_result(&login, &terminal).await;
        let (facts, outcome) = match looked {
            Ok(found) => found,
            Err(e) => {
                tracing::info!(payment = %id, error = %e, "the lookup told nothing");
                return self.revisited(p, RefreshResult::NetsUnavailable, true).await;
            }
        };
        let booked =
            holds::reference_booked_elsewhere(self.pool(), &p.tenant_id, p.id, &facts.acquirer_reference).await?;
        let expected = Expected {
            order_ref: &p.nets_ref,
            amount_minor: p.amount.minor(),
            started_at: p.created_at,
            time_zone: p.time_zone.unwrap_or(chrono_tz::UTC),
            reference_booked_elsewhere: booked,
        };
        let command = match (correlate::matches(&facts, &expected), &outcome) {
            (Match::Ours, TerminalOutcome::Unknown(_)) => {
                return self.revisited(p, RefreshResult::InProgress, true).await;
            }
            (Match::Ours, _) => Command::Observe(outcome),
            (Match::NotOurs { maybe_later }, _) => {
                tracing::info!(payment = %id, maybe_later, "the terminal's last result is not this payment's");
                Command::NotOurs { maybe_later }
            }
        };
        let found = matches!(command, Command::Observe(_));
        let applied = self.apply(id, command).await?;
        let changed = applied.events.iter().any(|e| e.is_visible());
        let result = match (found, changed) {
            (true, true) => RefreshResult::Updated,
            (true, false) => RefreshResult::AlreadyFinal,
            (false, _) => RefreshResult::NotFound,
        };
        if applied.record.machine.late_approval.is_some() {
            // Still under the claim: the void follows at once.
            return self.void_late(applied.record).await.map(|(r, _)| (r, result));
        }
        self.revisited(applied.record, result, true).await
    }

    /// Gives the claim back (when `claimed`) and paces the next revisit of a payment that still
    /// holds its terminal after it was given up on; past the hold limit it lets go.
    async fn revisited(
        &self,
        p: PaymentRecord,
        result: RefreshResult,
        claimed: bool,
    ) -> Result<(PaymentRecord, RefreshResult), Error> {
        let learned = matches!(result, RefreshResult::Updated | RefreshResult::NotFound | RefreshResult::AlreadyFinal);
        let revisit = p.machine.holds_terminal && p.machine.state != State::Waiting;
        if !claimed && !revisit {
            return Ok((p, result));
        }
        let now = self.now();
        let next =
            revisit.then(|| now + ChronoDuration::seconds((5_i64 << p.probes.clamp(0, 4)).min(REVISIT_CAP_SECS)));
        holds::end_probe(self.pool(), p.id, next, learned).await?;
        let grace =
            ChronoDuration::from_std(self.config().grace + self.config().hold_limit).unwrap_or(ChronoDuration::MAX);
        if revisit && p.deadline.is_some_and(|d| now >= d + grace) {
            let applied = self.apply(p.id, Command::HoldLimit).await?;
            return Ok((applied.record, result));
        }
        Ok((p, result))
    }

    /// Voids a late approval once: the request is committed first, so a crash after it turns
    /// into "unknown" (a person checks) instead of a second void.
    async fn void_late(&self, p: PaymentRecord) -> Result<(PaymentRecord, RefreshResult), Error> {
        let Some(terminal) = p.terminal_id.clone() else { return Ok((p, RefreshResult::AlreadyFinal)) };
        match p.machine.void {
            Some(VoidState::Requested) => {
                let applied = self.apply(p.id, Command::VoidAnswered(VoidState::Unknown)).await?;
                return Ok((applied.record, RefreshResult::Updated));
            }
            Some(_) => return Ok((p, RefreshResult::AlreadyFinal)),
            None => {}
        }
        let now = self.now();
        let bound = ChronoDuration::from_std(self.nets_lookup_bound()).unwrap_or(ChronoDuration::MAX);
        // Taken already when the lookup that found the approval runs right before.
        let _ = holds::claim_probe(self.pool(), p.id, now, now + bound).await?;
        let login = self.login(&p.tenant_id).await?;
        self.apply(p.id, Command::RequestVoid).await?;
        let v = match self.nets().void(&login, &terminal, p.amount.minor()).await {
            Ok(v) => v,
            // Certainly not sent: try again on the next revisit.
            Err(NetsError::LoginRefused(_) | NetsError::Unreachable(_)) => {
                self.apply(p.id, Command::VoidNotSent).await?;
                let p = self.load(p.id).await?;
                return self.revisited(p, RefreshResult::NetsUnavailable, true).await;
            }
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "the void's answer is unusable");
                VoidState::Unknown
            }
        };
        tracing::info!(payment = %p.id, void = v.as_str(), "late approval voided on the terminal");
        let applied = self.apply(p.id, Command::VoidAnswered(v)).await?;
        holds::end_probe(self.pool(), p.id, None, true).await?;
        Ok((applied.record, RefreshResult::Updated))
    }

    /// How long a probe may take (lookup or void), with room for the login.
    fn nets_lookup_bound(&self) -> std::time::Duration {
        std::time::Duration::from_secs(90)
    }
}
