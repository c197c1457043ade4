//! The client-side rate limiter (TK-05), shared by every Freshdesk call of the process: the
//! worker, CreateTicket calls and probes. Two GCRA schedules (the "generic cell rate
//! algorithm": each call reserves the next free slot) keep calls at the plan's per-minute rate
//! and ticket creations at the plan's create cap, evenly spaced, so Freshdesk's fixed
//! per-minute window is never exceeded by this process. A creation first waits for a create
//! slot and only then takes a call slot, so notes and reads are not held up behind a queue of
//! creations. After a 429 the whole limiter pauses until `Retry-After` has passed: calls asked
//! for meanwhile are refused with the time left (the work is rescheduled), never sent.
//!
//! Time is the service's [`Clock`](kit::clock::Clock): real time in production, moved by hand in
//! tests. With N replicas every replica runs its own limiter; configure each with the plan's
//! rates divided by N (see the crate's configuration docs).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::clock::SharedClock;

use crate::config::Rates;
use crate::domain::retry::to_chrono;

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

/// One evenly spaced schedule.
#[derive(Debug, Clone)]
struct Gcra {
    /// Time between two calls at the configured rate.
    interval: chrono::Duration,
    /// How far ahead of the schedule a call may go (burst − 1 intervals).
    tolerance: chrono::Duration,
    /// Theoretical arrival time of the next call.
    tat: Option<DateTime<Utc>>,
}

impl Gcra {
    fn new(per_minute: u32, burst: u32) -> Self {
        let interval = chrono::Duration::microseconds(60_000_000 / i64::from(per_minute.max(1)));
        Gcra { interval, tolerance: interval * (burst.max(1) as i32 - 1), tat: None }
    }

    /// Reserves the earliest slot at or after `earliest`.
    fn reserve(&mut self, earliest: DateTime<Utc>) -> DateTime<Utc> {
        let tat = self.tat.map_or(earliest, |t| t.max(earliest));
        let slot = (tat - self.tolerance).max(earliest);
        self.tat = Some(tat + self.interval);
        slot
    }

    /// Makes the schedule start again at `at`.
    fn restart_at(&mut self, at: DateTime<Utc>) {
        self.tat = Some(self.tat.map_or(at, |t| t.max(at)));
    }
}

#[derive(Debug)]
struct State {
    calls: Gcra,
    creates: Gcra,
    paused_until: Option<DateTime<Utc>>,
}

/// The process-wide limiter.
pub struct Limiter {
    clock: SharedClock,
    /// Both schedules and the pause; held only to reserve, never across a wait.
    state: Mutex<State>,
}

impl Limiter {
    /// A limiter for `rates` on `clock`.
    pub fn new(clock: SharedClock, rates: Rates) -> Self {
        Limiter {
            clock,
            state: Mutex::new(State {
                calls: Gcra::new(rates.per_minute, rates.burst),
                creates: Gcra::new(rates.create_per_minute, rates.burst),
                paused_until: None,
            }),
        }
    }

    /// Waits until a call of `kind` may be made. While Freshdesk has the limiter paused (a 429)
    /// nothing waits for the pause to end: the call is refused with the time left, so the work
    /// is rescheduled instead of holding its order's lock.
    pub async fn acquire(&self, kind: CallKind) -> Result<(), Duration> {
        let started = self.clock.now();
        if kind == CallKind::Create {
            self.paused(started)?;
            let slot = self.reserve(CallKind::Create);
            self.clock.sleep_until(slot).await;
        }
        self.paused(self.clock.now())?;
        let slot = self.reserve(CallKind::Call);
        self.clock.sleep_until(slot).await;
        // A 429 may have paused everything while this call waited.
        self.paused(self.clock.now())?;
        let waited = (self.clock.now() - started).to_std().unwrap_or_default();
        let label = if kind == CallKind::Create { "create" } else { "call" };
        metrics::histogram!(LIMITER_WAIT, "kind" => label).record(waited.as_secs_f64());
        Ok(())
    }

    fn paused(&self, now: DateTime<Utc>) -> Result<(), Duration> {
        match self.paused_until(now) {
            Some(until) => Err((until - now).to_std().unwrap_or_default()),
            None => Ok(()),
        }
    }

    /// Reserves the next slot of `kind`'s schedule (a creation's create slot; its call slot is
    /// reserved separately) and returns when it is.
    pub fn reserve(&self, kind: CallKind) -> DateTime<Utc> {
        let now = self.clock.now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = s.paused_until.map_or(now, |p| p.max(now));
        match kind {
            CallKind::Call => s.calls.reserve(earliest),
            CallKind::Create => s.creates.reserve(earliest),
        }
    }

    /// Pauses every call for `retry_after` (Freshdesk answered 429).
    pub fn pause(&self, retry_after: Duration) {
        let until = self.clock.now() + to_chrono(retry_after);
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let until = s.paused_until.map_or(until, |p| p.max(until));
        s.paused_until = Some(until);
        s.calls.restart_at(until);
        s.creates.restart_at(until);
    }

    /// The end of the current pause, if the limiter is paused at `now`.
    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.paused_until.filter(|p| *p > now)
    }
}

#[cfg(test)]
mod tests {
    use kit::clock::{Clock, ManualClock};

    use super::*;

    fn limiter(clock: &ManualClock, per_minute: u32, create_per_minute: u32, burst: u32) -> Limiter {
        Limiter::new(clock.shared(), Rates { per_minute, create_per_minute, burst })
    }

    fn ms(clock: &ManualClock, t: DateTime<Utc>) -> i64 {
        (t - clock.now()).num_milliseconds()
    }

    #[test]
    fn tk_05_calls_are_spaced_at_the_plan_rate() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 120, 60, 1);
        let slots: Vec<i64> = (0..4).map(|_| ms(&clock, l.reserve(CallKind::Call))).collect();
        assert_eq!(slots, [0, 500, 1000, 1500], "120/min = one call every 500 ms");
        clock.advance(Duration::from_secs(10));
        assert_eq!(ms(&clock, l.reserve(CallKind::Call)), 0, "an idle limiter does not save up calls");
        assert_eq!(ms(&clock, l.reserve(CallKind::Call)), 500);
    }

    #[test]
    fn tk_05_burst_lets_calls_through_back_to_back_then_spaces_them() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 60, 60, 3);
        let slots: Vec<i64> = (0..5).map(|_| ms(&clock, l.reserve(CallKind::Call))).collect();
        assert_eq!(slots, [0, 0, 0, 1000, 2000]);
    }

    #[test]
    fn tk_05_creates_have_their_own_cap_and_do_not_hold_up_other_calls() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 600, 6, 1);
        let creates: Vec<i64> = (0..3).map(|_| ms(&clock, l.reserve(CallKind::Create))).collect();
        assert_eq!(creates, [0, 10_000, 20_000], "6 creations a minute");
        let calls: Vec<i64> = (0..3).map(|_| ms(&clock, l.reserve(CallKind::Call))).collect();
        assert_eq!(calls, [0, 100, 200], "calls keep their own pace meanwhile");
    }

    #[test]
    fn tk_05_a_429_pauses_everything_until_retry_after() {
        let clock = ManualClock::at_default();
        let l = limiter(&clock, 600, 600, 1);
        assert_eq!(ms(&clock, l.reserve(CallKind::Call)), 0);
        l.pause(Duration::from_secs(30));
        assert_eq!(l.paused_until(clock.now()).map(|t| ms(&clock, t)), Some(30_000));
        assert_eq!(ms(&clock, l.reserve(CallKind::Call)), 30_000);
        assert_eq!(ms(&clock, l.reserve(CallKind::Create)), 30_000);
        l.pause(Duration::from_secs(5));
        assert_eq!(l.paused_until(clock.now()).map(|t| ms(&clock, t)), Some(30_000), "a shorter pause never shortens");
        clock.advance(Duration::from_secs(31));
        assert_eq!(l.paused_until(clock.now()), None);
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
        l.pause(Duration::from_secs(20));
        assert_eq!(l.acquire(CallKind::Call).await, Err(Duration::from_secs(20)), "a pause refuses at once");
        clock.advance(Duration::from_secs(20));
        assert_eq!(l.acquire(CallKind::Call).await, Ok(()));
    }
}
