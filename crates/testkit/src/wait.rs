//! Waiting for something another process or task does: [`eventually`] asks again every 100 ms
//! until the answer is ready or the limit passes (then the test fails, naming what it waited
//! for and the last answer).

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

/// An answer [`eventually`] can wait on: `true`, `Some(v)` and `Ok(v)` are ready; `false`,
/// `None` and `Err(why)` are not yet.
pub trait Ready {
    /// What a ready answer gives.
    type Value;
    /// The value, or why it is not ready yet.
    fn ready(self) -> Result<Self::Value, String>;
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Result<(), String> {
        if self { Ok(()) } else { Err("not yet".into()) }
    }
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Result<T, String> {
        self.ok_or_else(|| "not yet".into())
    }
}

impl<T, E: Display> Ready for Result<T, E> {
    type Value = T;
    fn ready(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Asks `probe` every 100 ms until its answer is ready and returns the value; panics naming
/// `what` and the last answer once `limit` has passed.
#[expect(clippy::panic, reason = "a test helper: failing the test that waits is its job")]
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut probe: F) -> <Fut::Output as Ready>::Value
where
    F: FnMut() -> Fut,
    Fut: Future,
    Fut::Output: Ready,
{
    let started = Instant::now();
    loop {
        match probe().await.ready() {
            Ok(v) => return v,
            Err(last) if started.elapsed() > limit => panic!("{what}: not within {limit:?}; last: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
