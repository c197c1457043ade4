//! The worker loop: a [`Worker::pass`] every `POLL_INTERVAL` (sooner when a webhook wakes it)
//! until shutdown, then the configurations' leases are given up so another replica takes them
//! over at once.

use tokio_util::sync::CancellationToken;

use crate::service::{Worker, tenant};
use crate::store;

/// How long to wait after a pass that took `took`: passes start every `interval` (PX-43), so a
/// change that arrives during a long pass waits for the rest of the interval, not a whole
/// interval after the pass ends; a pass longer than the interval is followed at once. The pixi
/// load stays bounded: the change feed is read at most once per interval, and a failing pixi
/// backs off inside the pass.
pub fn until_next_pass(interval: std::time::Duration, took: std::time::Duration) -> std::time::Duration {
    interval.saturating_sub(took)
}

/// Runs passes every `POLL_INTERVAL` (sooner when woken) until `token` is cancelled, then gives
/// the leases up.
pub async fn run(worker: Worker, token: CancellationToken) {
    // The gauge exists from the start (each code at 0), so its alert has a baseline.
    tenant::gauge(&worker).await;
    while !token.is_cancelled() {
        let started = std::time::Instant::now();
        let report = worker.pass().await;
        if report.orders > 0 || report.failed > 0 {
            tracing::debug!(?report, "pass");
        }
        let rest = until_next_pass(worker.0.settings.poll_interval, started.elapsed());
        tokio::select! {
            () = token.cancelled() => break,
            () = worker.0.wake.notified() => {}
            () = tokio::time::sleep(rest) => {}
        }
    }
    if let Ok(apis) = store::pixi_apis::active(&worker.0.pool).await {
        for api in apis {
            let _ = store::leases::release(&worker.0.pool, api.id, &worker.0.holder).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::until_next_pass;

    #[test]
    fn px_43_passes_start_every_poll_interval_so_a_long_pass_does_not_delay_the_next_read_of_the_feed() {
        let interval = Duration::from_secs(2);
        assert_eq!(until_next_pass(interval, Duration::ZERO), interval, "an empty pass waits the whole interval");
        assert_eq!(
            until_next_pass(interval, Duration::from_millis(1_500)),
            Duration::from_millis(500),
            "a 1.5 s pass is followed 2 s after it began"
        );
        assert_eq!(
            until_next_pass(interval, Duration::from_secs(3)),
            Duration::ZERO,
            "a pass longer than the interval"
        );
    }
}
