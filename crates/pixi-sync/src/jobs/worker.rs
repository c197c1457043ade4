//! The worker loop: a [`Worker::pass`] every `POLL_INTERVAL` (sooner when a webhook wakes it)
//! until shutdown, then the configurations' leases are given up so another replica takes them
//! over at once.

use tokio_util::sync::CancellationToken;

use crate::service::{Worker, tenant};
use crate::store;

/// Runs passes every `POLL_INTERVAL` (sooner when woken) until `token` is cancelled, then gives
/// the leases up.
pub async fn run(worker: Worker, token: CancellationToken) {
    // The gauge exists from the start (each code at 0), so its alert has a baseline.
    tenant::gauge(&worker).await;
    while !token.is_cancelled() {
        let report = worker.pass().await;
        if report.orders > 0 || report.failed > 0 {
            tracing::debug!(?report, "pass");
        }
        tokio::select! {
            () = token.cancelled() => break,
            () = worker.0.wake.notified() => {}
            () = tokio::time::sleep(worker.0.settings.poll_interval) => {}
        }
    }
    if let Ok(apis) = store::pixi_apis::active(&worker.0.pool).await {
        for api in apis {
            let _ = store::leases::release(&worker.0.pool, api.id, &worker.0.holder).await;
        }
    }
}
