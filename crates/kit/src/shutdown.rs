//! One shutdown story for every service: a cancellation token that says "stop taking work" and
//! a task tracker that waits for in-flight work to finish, bounded by the grace period.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Shared by every background task of a service.
#[derive(Clone, Default)]
pub struct Shutdown {
    /// Cancelled when the service must stop accepting work.
    token: CancellationToken,
    /// Tracks spawned tasks so shutdown can wait for them.
    tracker: TaskTracker,
}

impl Shutdown {
    /// A fresh, not yet triggered shutdown.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token tasks select on.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Spawns a tracked task.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Tells every task to stop taking new work.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// True once triggered.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when triggered.
    pub async fn triggered(&self) {
        self.token.cancelled().await;
    }

    /// Triggers and waits up to `grace` for tracked tasks. Returns false if some were still
    /// running when the grace period ended.
    pub async fn finish(&self, grace: Duration) -> bool {
        self.trigger();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait()).await.is_ok()
    }
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (Ctrl-C).
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received, shutting down"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received, shutting down"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the service");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
