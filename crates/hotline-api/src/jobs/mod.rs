//! Background loops that call the use cases in [`crate::service`].

use std::sync::Arc;
use std::time::Duration;

use kit::journal::Resolver;
use tokio_util::sync::CancellationToken;

use crate::service::Hotline;

/// How often the maintenance pass runs.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);

/// One maintenance pass: the journal resolver, code generations the resolver settled after
/// their caller gave up, and pruning of expired sessions, failures and lookups. Returns how
/// many journal entries and generations were settled.
pub async fn maintenance_once(resolver: &Resolver, hotline: &Hotline) -> Result<usize, crate::error::Error> {
    let report = resolver.resolve_once().await?;
    let settled = hotline.settle_generations().await?;
    hotline.prune().await?;
    Ok(report.succeeded + report.failed + settled)
}

/// Runs [`maintenance_once`] every [`MAINTENANCE_EVERY`] until `token` is cancelled.
pub async fn maintenance(resolver: Resolver, hotline: Arc<Hotline>, token: CancellationToken) {
    loop {
        if let Err(e) = maintenance_once(&resolver, &hotline).await {
            tracing::warn!(error = %e, "maintenance pass failed");
        }
        tokio::select! {
            () = token.cancelled() => break,
            () = tokio::time::sleep(MAINTENANCE_EVERY) => {}
        }
    }
}
