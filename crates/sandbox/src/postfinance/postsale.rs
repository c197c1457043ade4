//! The post-sale request (e-Commerce Advanced §9.3, "Direct HTTP server-to-server request"):
//! after a payment-page transaction, the platform sends the same feedback parameters as the
//! browser redirect, signed with SHA-OUT, to the merchant's configured URL — deferred, in the
//! background, whether or not the redirect reached the shop. A failed request (no answer, or an
//! HTTP status other than 2xx) is sent again after `postsale_retry_ms`, at most four more times
//! ("we will retry the feedback request every 10 minutes up to a maximum of four times").
//!
//! Faults of operation `postsale` apply: fail-before loses that attempt (it counts as failed),
//! act-then-fail sends it and treats the answer as lost.

use std::time::Duration;

use crate::faults::Failure;
use crate::shared::Shared;
use crate::system::System;

/// Attempts after the first one.
const RETRIES: u32 = 4;

/// One post-sale request to send.
#[derive(Debug, Clone)]
pub(crate) struct PostSale {
    /// The merchant's URL.
    pub url: String,
    /// Feedback parameters, `SHASIGN` last.
    pub params: Vec<(String, String)>,
    /// Wait between attempts.
    pub retry: Duration,
}

/// Sends `p` in the background (stops with the sandbox).
pub(crate) fn send(shared: &Shared, p: PostSale) {
    let s = shared.clone();
    tokio::spawn(async move {
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                tokio::select! {
                    () = s.0.token.cancelled() => return,
                    () = tokio::time::sleep(p.retry) => {}
                }
            }
            if deliver(&s, &p).await {
                return;
            }
        }
        tracing::info!(url = %p.url, "post-sale request given up after {} attempts", RETRIES + 1);
    });
}

/// One attempt; true when the merchant answered 2xx (and no fault discarded it).
async fn deliver(s: &Shared, p: &PostSale) -> bool {
    let d = s.0.faults.decide(System::Postfinance, "postsale", s.now());
    if !d.latency.is_zero() {
        tokio::time::sleep(d.latency).await;
    }
    if d.before.is_some() {
        return false;
    }
    let sent = s.0.http.post(&p.url).form(&p.params).timeout(Duration::from_secs(10)).send().await;
    match (sent, d.after) {
        (Ok(r), None) => r.status().is_success(),
        (Ok(_), Some(Failure::TooMany(_) | Failure::Mode(..))) | (Err(_), _) => false,
    }
}
