//! Time as a dependency. Services read "now" and sleep through a [`Clock`], so tests move time
//! with [`ManualClock`] instead of waiting (30-day deadlines, 120-second timeouts, quiet windows).
//!
//! A service binary gets its clock from [`from_env`]: the [`SystemClock`] unless
//! `CLOCK_SOURCE` says otherwise. For end-to-end tests with real processes,
//! `CLOCK_SOURCE=sandbox:<admin url>` makes the process follow the sandbox's simulated time
//! (SB-06: real time plus an offset the test moves through `POST /admin/clock/advance`), see
//! [`SandboxClock`]. That source is test-only: it is refused with a configuration error unless
//! `CLOCK_SOURCE_ALLOW_TEST=true` is set as well, so a production deployment cannot follow a
//! sandbox by one stray variable.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use tokio::sync::watch;

use crate::config::{ConfigError, Env};

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

/// How often a [`SandboxClock`] reads the sandbox's offset.
const SANDBOX_POLL: Duration = Duration::from_millis(100);

/// The clock a service binary runs with, from `CLOCK_SOURCE`: unset or `system` gives the
/// [`SystemClock`]; `sandbox:<admin url>` (only with `CLOCK_SOURCE_ALLOW_TEST=true`) gives a
/// [`SandboxClock`] that has read the sandbox's time once before this returns.
pub async fn from_env(env: &Env) -> Result<SharedClock, ConfigError> {
    let source = env.raw("CLOCK_SOURCE").map(str::trim).unwrap_or_default();
    if source.is_empty() || source == "system" {
        return Ok(SystemClock::shared());
    }
    let Some(url) = source.strip_prefix("sandbox:") else {
        return Err(ConfigError::new("CLOCK_SOURCE", "expected system or sandbox:<admin url>"));
    };
    if !env.bool_or("CLOCK_SOURCE_ALLOW_TEST", false)? {
        return Err(ConfigError::new(
            "CLOCK_SOURCE",
            "the sandbox clock is for tests only; set CLOCK_SOURCE_ALLOW_TEST=true to allow it",
        ));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError::new("CLOCK_SOURCE", "expected sandbox:http(s)://<admin host:port>"));
    }
    let clock = SandboxClock::connect(url)
        .await
        .map_err(|e| ConfigError::new("CLOCK_SOURCE", format!("cannot read the sandbox clock: {e}")))?;
    Ok(Arc::new(clock))
}

/// Real time plus the offset of a sandbox's simulated clock (`GET <admin>/admin/clock` →
/// `offset_ms`), re-read every 100 ms by a background task that ends when the clock is dropped.
/// Sleepers wake when real time reaches their deadline or when the offset moves past it.
/// Test-only, see the module docs.
#[derive(Clone)]
pub struct SandboxClock {
    /// The latest offset in milliseconds; each change wakes sleepers.
    offset: Arc<watch::Sender<i64>>,
}

impl SandboxClock {
    /// Reads the sandbox's offset once, then follows it in the background.
    pub async fn connect(admin_url: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().map_err(|e| e.to_string())?;
        let url = format!("{}/admin/clock", admin_url.trim_end_matches('/'));
        let first = read_offset(&http, &url).await?;
        let (tx, _) = watch::channel(first);
        let offset = Arc::new(tx);
        let weak = Arc::downgrade(&offset);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SANDBOX_POLL).await;
                let Some(tx) = weak.upgrade() else { return };
                match read_offset(&http, &url).await {
                    Ok(ms) => {
                        tx.send_if_modified(|old| std::mem::replace(old, ms) != ms);
                    }
                    Err(e) => tracing::debug!(error = %e, "sandbox clock not readable; keeping the last offset"),
                }
            }
        });
        Ok(SandboxClock { offset })
    }
}

async fn read_offset(http: &reqwest::Client, url: &str) -> Result<i64, String> {
    let body: serde_json::Value =
        http.get(url).send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
    body.get("offset_ms").and_then(serde_json::Value::as_i64).ok_or_else(|| format!("no offset_ms in {body}"))
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(*self.offset.borrow())
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let mut rx = self.offset.subscribe();
        Box::pin(async move {
            loop {
                let now = Utc::now() + chrono::Duration::milliseconds(*rx.borrow_and_update());
                let Ok(left) = (deadline - now).to_std() else { return };
                if left.is_zero() {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(left) => {}
                    changed = rx.changed() => {
                        // The clock is gone: nobody moves the offset any more; real time still runs.
                        if changed.is_err() {
                            tokio::time::sleep(left).await;
                            return;
                        }
                    }
                }
            }
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

    /// A stand-in for the sandbox admin API's `GET /admin/clock`, with a settable offset.
    async fn fake_sandbox() -> (String, Arc<std::sync::atomic::AtomicI64>) {
        use std::sync::atomic::{AtomicI64, Ordering};
        let offset = Arc::new(AtomicI64::new(0));
        let state = offset.clone();
        let app = axum::Router::new().route(
            "/admin/clock",
            axum::routing::get(move || {
                let ms = state.load(Ordering::SeqCst);
                async move { axum::Json(serde_json::json!({ "now": Utc::now(), "offset_ms": ms })) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, offset)
    }

    #[tokio::test]
    async fn the_sandbox_clock_follows_the_offset_and_wakes_sleepers_when_it_moves() {
        let (url, offset) = fake_sandbox().await;
        offset.store(3_600_000, std::sync::atomic::Ordering::SeqCst);
        let clock = SandboxClock::connect(&url).await.unwrap();
        let ahead = clock.now() - Utc::now();
        assert!(ahead > chrono::Duration::minutes(59) && ahead <= chrono::Duration::minutes(60), "{ahead}");
        let mut sleeper = tokio::spawn(clock.sleep(Duration::from_secs(30 * 86_400)));
        assert!(tokio::time::timeout(Duration::from_millis(300), &mut sleeper).await.is_err(), "still asleep");
        offset.store(3_600_000 + 31 * 86_400_000, std::sync::atomic::Ordering::SeqCst);
        tokio::time::timeout(Duration::from_secs(5), sleeper).await.expect("woken by the moved offset").unwrap();
    }

    #[tokio::test]
    async fn clock_source_defaults_to_the_system_and_refuses_the_sandbox_unless_allowed() {
        let clock = from_env(&Env::from_pairs([("CLOCK_SOURCE", "system")])).await.unwrap();
        assert!((clock.now() - Utc::now()).num_seconds().abs() < 2);
        from_env(&Env::from_pairs([("X", "y")])).await.unwrap();
        let (url, _) = fake_sandbox().await;
        let source = format!("sandbox:{url}");
        let err = from_env(&Env::from_pairs([("CLOCK_SOURCE", source.as_str())])).await.err().unwrap();
        assert_eq!(err.var, "CLOCK_SOURCE");
        assert!(err.reason.contains("CLOCK_SOURCE_ALLOW_TEST=true"), "{err}");
        let allowed = [("CLOCK_SOURCE", source.as_str()), ("CLOCK_SOURCE_ALLOW_TEST", "true")];
        from_env(&Env::from_pairs(allowed)).await.unwrap();
        let bad = [("CLOCK_SOURCE", "ntp:pool"), ("CLOCK_SOURCE_ALLOW_TEST", "true")];
        assert_eq!(from_env(&Env::from_pairs(bad)).await.err().unwrap().var, "CLOCK_SOURCE");
        let dead = [("CLOCK_SOURCE", "sandbox:http://127.0.0.1:9"), ("CLOCK_SOURCE_ALLOW_TEST", "true")];
        let err = from_env(&Env::from_pairs(dead)).await.err().unwrap();
        assert!(err.to_string().starts_with("configuration error: CLOCK_SOURCE: cannot read"), "{err}");
    }

    #[tokio::test]
    async fn past_deadline_resolves_at_once() {
        let clock = ManualClock::at_default();
        clock.sleep_until(clock.now()).await;
        SystemClock.sleep_until(Utc::now() - chrono::Duration::seconds(5)).await;
    }
}
