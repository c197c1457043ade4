//! Background workers, each a loop around a `*_once` pass that tests call directly:
//!
//! - the manual-payment deadline job (MP-05): rejects open payments whose deadline passed on the
//!   Clock, every `MANUAL_EXPIRY_EVERY`;
//! - the SwissBilling resolver: probes maintenance requests with unknown outcome, every
//!   `SWISSBILLING_RESOLVE_EVERY`;
//! - the SwissBilling refresh: follows pending levels to their final status and discovers levels
//!   made elsewhere, every `SWISSBILLING_REFRESH_EVERY`;
//! - the SwissBilling discovery: looks up by ORDERID prepared orders whose return and post-sale
//!   request never arrived, every `SWISSBILLING_RESOLVE_EVERY`.
//!
//! The passes wait on the kit Clock, so moving a manual Clock moves the jobs too. Replicas run
//! them side by side: rows are claimed with `SKIP LOCKED` or per-order scope locks.

use std::future::Future;
use std::time::Duration;

use kit::clock::SharedClock;
use tokio_util::sync::CancellationToken;

use crate::error::Error;

/// Runs `pass` every `every` of `clock` time until `token` is cancelled; failures are logged and
/// retried at the next pass.
pub async fn every<F, Fut>(
    name: &'static str,
    every: Duration,
    clock: SharedClock,
    token: CancellationToken,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, Error>>,
{
    while !token.is_cancelled() {
        match pass().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(worker = name, changed = n, "worker pass"),
            Err(e) => tracing::warn!(worker = name, error = %e, "worker pass failed; retrying"),
        }
        tokio::select! {
            _ = token.cancelled() => break,
            () = clock.sleep(every) => {}
        }
    }
}
