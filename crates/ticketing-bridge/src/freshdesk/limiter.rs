//! The client-side rate limiter (TK-05): every Freshdesk call of the deployment — the worker,
//! CreateTicket calls, probes, the preflight, in every replica — takes a slot first. Two GCRA
//! schedules (the "generic cell rate algorithm": each call reserves the next free slot) keep
//! calls at the plan's per-minute rate and ticket creations at the plan's create cap, evenly
//! spaced, so Freshdesk's fixed per-minute window is never exceeded. A creation first waits
//! for a create slot and only then takes a call slot, so notes and reads are not held up
//! behind a queue of creations. After a 429 the whole limiter pauses until `Retry-After` has
//! passed: calls asked for meanwhile are refused with the time left (the work is rescheduled),
//! never sent.
//!
//! Freshdesk's limit is per account, "irrespective of … the number of agents or IP addresses"
//! (developers.freshdesk.com/api/#ratelimit), so the schedules and the pause live in Postgres
//! ([`Limiter::shared`], table `rate_budget`): each reservation is one atomic `UPDATE … RETURNING`,
//! and N replicas together keep the configured rate. [`Limiter::local`] keeps them in memory
//! (unit tests, tools). Time is the service's [`Clock`](kit::clock::Clock).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use sqlx::PgPool;

use crate::config::Rates;
use crate::domain::retry::to_chrono;
use crate::store::rate_budget;

/// Payops metric: seconds a call waited for the limiter, by `kind` (call, create).
pub const LIMITER_WAIT: &str = "payops_freshdesk_limiter_wait_seconds";

/// What a call costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Any call except a creation.
    Call,
    /// A ticket creation (a call and a create).
    Create,
}

impl CallKind {
    fn schedule(self) -> &'static str {
        match self {
            CallKind::Call => "calls",
            CallKind::Create => "creates",
        }
    }
}

/// Why the limiter let a call not through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Freshdesk answered 429: nothing is sent before the pause ends (the time left).
    #[error("paused after a 429 for {0:?}")]
    Paused(Duration),
    /// The shared budget could not be read (the database failed): nothing was sent.
    #[error("rate budget unavailable")]
    Budget,
}

/// One evenly spaced schedule.
#[derive(Debug, Clone)]
struct Gcra {
    /// Time between two calls at the configured rate.
    interval: chrono::Duration,
    /// How far ahead of the schedule a call may go (burst − 1 intervals).
    tolerance: chrono::Duration,
}

impl Gcra {
    fn new(per_minute: u32, burst: u32) -> Self {
        let interval = chrono::Duration::microseconds(60_000_000 / i64::from(per_minute.max(1)));
        Gcra { interval, tolerance: interval * (burst.max(1) as i32 - 1) }
    }

    /// The slot of a call given the schedule's new theoretical arrival time `tat` (already
    /// moved one interval on) and the earliest moment it may go.
    fn slot(&self, tat: DateTime<Utc>, earliest: DateTime<Utc>) -> DateTime<Utc> {
        (tat - self.interval - self.tolerance).max(earliest)
    }
}

/// In-memory schedules: theoretical arrival time per schedule, and the pause.
#[derive(Debug, Default)]
struct Local {
    calls: Option<DateTime<Utc>>,
    creates: Option<DateTime<Utc>>,
    paused_until: Option<DateTime<Utc>>,
}

enum Budget {
    /// This process only.
    Local(Mutex<Local>),
    /// Every replica on the database.
    Shared(PgPool),
}

/// The deployment-wide (or process-wide) limiter.
pub struct Limiter {
    clock: SharedClock,
    calls: Gcra,
    creates: Gcra,
    budget: Budget,
    /// The latest pause this process knows of (its own 429s and what reservations returned),
    /// for the worker's "is Freshdesk paused?" check without a query.
    seen_pause: Mutex<Option<DateTime<Utc>>>,
}

impl Limiter {
    /// A limiter whose schedules live in this process.
    pub fn local(clock: SharedClock, rates: Rates) -> Self {
        Self::new(clock, rates, Budget::Local(Mutex::default()))
    }

    /// A limiter whose schedules live in `pool`'s `rate_budget` table, shared by every replica.
    pub fn shared(clock: SharedClock, rates: Rates, pool: PgPool) -> Self {
        Self::new(clock, rates, Budget::Shared(pool))
    }

    fn new(clock: SharedClock, rates: Rates, budget: Budget) -> Self {
        Limiter {
            clock,
            calls: Gcra::new(rates.per_minute, rates.burst),
            creates: Gcra::new(rates.create_per_minute, rates.burst),
            budget,
            seen_pause: Mutex::new(None),
        }
    }

    /// Waits until a call of `kind` may be made. While Freshdesk has the limiter paused (a 429)
    /// nothing waits for the pause to end: the call is refused with the time left, so the work
    /// is rescheduled instead of holding its order's lock.
    pub async fn acquire(&self, kind: CallKind) -> Result<(), Refusal> {
        let started = self.clock.now();
        if kind == CallKind::Create {
            let slot = self.reserve(CallKind::Create).await?;
            self.clock.sleep_until(slot).await;
        }
        let slot = self.reserve(CallKind::Call).await?;
        self.clock.sleep_until(slot).await;
        // A 429 may have paused everything while this call waited.
        let now = self.clock.now();
        if let Some(until) = self.paused_until(now) {
            return Err(Refusal::Paused((until - now).to_std().unwrap_or_default()));
        }
        let waited = (now - started).to_std().unwrap_or_default();
        let label = if kind == CallKind::Create { "create" } else { "call" };
        metrics::histogram!(LIMITER_WAIT, "kind" => label).record(waited.as_secs_f64());
        Ok(())
    }

    /// Reserves the next slot of `kind`'s schedule (a creation's create slot; its call slot is
    /// reserved separately) and returns when it is; refused while paused.
    pub async fn reserve(&self, kind: CallKind) -> Result<DateTime<Utc>, Refusal> {
        let now = self.clock.now();
        let g = if kind == CallKind::Create { &self.creates } else { &self.calls };
        let (tat, paused) = match &self.budget {
            Budget::Local(m) => {
                let mut s = m.lock().unwrap_or_else(|p| p.into_inner());
                let paused = s.paused_until.filter(|p| *p > now);
                let slot = if kind == CallKind::Create { &mut s.creates } else { &mut s.calls };
                if paused.is_none() {
                    *slot = Some(slot.map_or(now, |t| t.max(now)) + g.interval);
                }
                (*slot, paused)
            }
            Budget::Shared(pool) => shared_reserve(pool, kind.schedule(), now, g.interval).await?,
        };
        if let Some(until) = paused.filter(|p| *p > now) {
            self.remember(until);
            return Err(Refusal::Paused((until - now).to_std().unwrap_or_default()));
        }
        Ok(g.slot(tat.unwrap_or(now), now))
    }

    /// Pauses every call (of every replica) for `retry_after` (Freshdesk answered 429).
    pub async fn pause(&self, retry_after: Duration) {
        let until = self.clock.now() + to_chrono(retry_after);
        self.remember(until);
        match &self.budget {
            Budget::Local(m) => {
                let mut s = m.lock().unwrap_or_else(|p| p.into_inner());
                s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
                s.calls = Some(s.calls.map_or(until, |t| t.max(until)));
                s.creates = Some(s.creates.map_or(until, |t| t.max(until)));
            }
            Budget::Shared(pool) => {
                if let Err(e) = shared_pause(pool, until).await {
                    // This replica still pauses; the others learn of it from their own 429.
                    tracing::warn!(error = %e, "recording Freshdesk's pause in the shared rate budget failed");
                }
            }
        }
    }

    /// The end of the current pause as far as this process knows, if paused at `now`.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.seen_pause.lock().unwrap_or_else(|p| p.into_inner()).filter(|p| *p > now)
    }

    fn remember(&self, until: DateTime<Utc>) {
        let mut p = self.seen_pause.lock().unwrap_or_else(|p| p.into_inner());
        *p = Some(p.map_or(until, |old| old.max(until)));
    }
}

/// One atomic reservation in the shared budget (see [`rate_budget::reserve`]); a database
/// failure refuses the call.
async fn shared_reserve(
    pool: &PgPool,
    schedule: &str,
    now: DateTime<Utc>,
    interval: chrono::Duration,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>), Refusal> {
    rate_budget::reserve(pool, schedule, now, interval).await.map_err(|e| {
        tracing::warn!(error = %e, "reading the shared Freshdesk rate budget failed");
        Refusal::Budget
    })
}

/// Records a pause until `until` on both schedules.
async fn shared_pause(pool: &PgPool, until: DateTime<Utc>) -> Result<(), sqlx::Error> {
    rate_budget::pause(pool, until).await
}

#[cfg(test)]
mod tests {
    use kit::clock::{Clock, ManualClock};

    use super::*;

    fn limiter(clock: &ManualClock, per_minute: u32, create_per_minute: u32, burst: u32) -> Limiter {
        Limiter::local(clock.shared(), Rates { per_minute, create_per_minute, burst })
    }

    async fn ms(clock: &ManualClock, l: &Limiter, kind: CallKind) -> i64 {
        (l.reserve(kind).await.unwrap() - clock.now()).num_milliseconds()
    }

    #[tokio::test]
    async fn tk_05_calls_are_spaced_at_the_plan_rate() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 120, 60, 1);
        let mut slots = Vec::new();
        for _ in 0..4 {
            slots.push(ms(&clock, &l, CallKind::Call).await);
        }
        assert_eq!(slots, [0, 500, 1000, 1500], "120/min = one call every 500 ms");
        clock.advance(Duration::from_secs(10));
        assert_eq!(ms(&clock, &l, CallKind::Call).await, 0, "an idle limiter does not save up calls");
        assert_eq!(ms(&clock, &l, CallKind::Call).await, 500);
    }

    #[tokio::test]
    async fn tk_05_burst_lets_calls_through_back_to_back_then_spaces_them() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 60, 60, 3);
        let mut slots = Vec::new();
        for _ in 0..5 {
            slots.push(ms(&clock, &l, CallKind::Call).await);
        }
        assert_eq!(slots, [0, 0, 0, 1000, 2000]);
    }

    #[tokio::test]
    async fn tk_05_creates_have_their_own_cap_and_do_not_hold_up_other_calls() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 600, 6, 1);
        let mut creates = Vec::new();
        for _ in 0..3 {
            creates.push(ms(&clock, &l, CallKind::Create).await);
        }
        assert_eq!(creates, [0, 10_000, 20_000], "6 creations a minute");
        let mut calls = Vec::new();
        for _ in 0..3 {
            calls.push(ms(&clock, &l, CallKind::Call).await);
        }
        assert_eq!(calls, [0, 100, 200], "calls keep their own pace meanwhile");
    }

    #[tokio::test]
    async fn tk_05_a_429_pauses_everything_until_retry_after() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 600, 600, 1);
        assert_eq!(ms(&clock, &l, CallKind::Call).await, 0);
        l.pause(Duration::from_secs(30)).await;
        let left = |l: &Limiter| l.paused_until(clock.now()).map(|t| (t - clock.now()).num_milliseconds());
        assert_eq!(left(&l), Some(30_000));
        assert_eq!(l.reserve(CallKind::Call).await, Err(Refusal::Paused(Duration::from_secs(30))));
        l.pause(Duration::from_secs(5)).await;
        assert_eq!(left(&l), Some(30_000), "a shorter pause never shortens");
        clock.advance(Duration::from_secs(31));
        assert_eq!(l.paused_until(clock.now()), None);
        assert_eq!(ms(&clock, &l, CallKind::Call).await, 0, "the schedule starts again after the pause");
    }

    #[tokio::test]
    async fn tk_05_acquire_waits_for_the_clock() {
        let clock = ManualClock::at_default();
        let l = std::sync::Arc::new(limiter(&clock, 60, 60, 1));
        l.acquire(CallKind::Call).await.unwrap();
        let waiting = {
            let l = l.clone();
            tokio::spawn(async move { l.acquire(CallKind::Create).await })
        };
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "the second call waits a whole second of the clock");
        clock.advance(Duration::from_secs(1));
        waiting.await.unwrap().unwrap();
        l.pause(Duration::from_secs(20)).await;
        assert_eq!(l.acquire(CallKind::Call).await, Err(Refusal::Paused(Duration::from_secs(20))));
        clock.advance(Duration::from_secs(20));
        assert_eq!(l.acquire(CallKind::Call).await, Ok(()));
    }
}
