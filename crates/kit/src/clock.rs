//! Time as a dependency. Services read "now" and sleep through a [`Clock`], so tests move time
//! with [`ManualClock`] instead of waiting (30-day deadlines, 120-second timeouts, quiet windows).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::watch;

/// A source of the current time that can also wait until a point in time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once `now() >= deadline`.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()>;

    /// Resolves after `duration` of this clock's time.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let deadline = self.now() + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        self.sleep_until(deadline)
    }
}

/// The clock every service holds.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl SystemClock {
    /// A shared system clock.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let wait = (deadline - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that only moves when a test says so. Sleepers wake when time is moved past their
/// deadline.
#[derive(Clone)]
pub struct ManualClock {
    /// The current time; every change is broadcast to sleepers through `tick`.
    now: Arc<Mutex<DateTime<Utc>>>,
    /// Wakes sleepers whenever the time moves.
    tick: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        let (tick, _) = watch::channel(start);
        ManualClock { now: Arc::new(Mutex::new(start)), tick: Arc::new(tick) }
    }

    /// A clock standing at 2026-01-05 10:00:00 UTC, a Monday in winter time.
    pub fn at_default() -> Self {
        let start = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").map_or_else(|_| Utc::now(), |t| t.to_utc());
        ManualClock::new(start)
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        self.tick.send_replace(*now);
    }

    /// Sets the clock to `at` (may move backwards, to test out-of-order handling).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = at;
        self.tick.send_replace(at);
    }

    /// This clock as a [`SharedClock`].
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let mut rx = self.tick.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock; if it is gone, nobody can move time.
            let _ = rx.wait_for(|now| *now >= deadline).await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_only_when_moved() {
        let clock = ManualClock::at_default();
        let start = clock.now();
        let mut sleeper = tokio::spawn(clock.sleep(Duration::from_secs(120)));
        tokio::task::yield_now().await;
        clock.advance(Duration::from_secs(119));
        assert!(tokio::time::timeout(Duration::from_millis(20), &mut sleeper).await.is_err());
        clock.advance(Duration::from_secs(1));
        sleeper.await.unwrap();
        assert_eq!(clock.now() - start, chrono::Duration::seconds(120));
    }

    #[tokio::test]
    async fn past_deadline_resolves_at_once() {
        let clock = ManualClock::at_default();
        clock.sleep_until(clock.now()).await;
        SystemClock.sleep_until(Utc::now() - chrono::Duration::seconds(5)).await;
    }
}
