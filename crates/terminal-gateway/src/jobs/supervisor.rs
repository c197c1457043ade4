//! The supervisor loop: a pass of [`Engine::supervise_once`] every `SUPERVISOR_INTERVAL` on
//! every replica, until shutdown. What a pass does is described in the service.

use tokio_util::sync::CancellationToken;

use crate::service::Engine;

/// Runs supervisor passes every `every` (real time) until `token` is cancelled.
pub async fn run(engine: Engine, every: std::time::Duration, token: CancellationToken) {
    while !token.is_cancelled() {
        if let Err(e) = engine.supervise_once().await {
            tracing::warn!(error = %e, "supervisor pass failed");
        }
        tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}
