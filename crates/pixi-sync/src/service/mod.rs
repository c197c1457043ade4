//! The worker: per (tenant, pixi API configuration) under a Postgres lease (PX-41), it reads
//! pixi's change feed every `POLL_INTERVAL`, lists HOLD orders and invoices to capture every
//! `FULL_SCAN_INTERVAL`, takes webhook triggers, and syncs every due order through the
//! domain's state machine; the scheduled reconciliation steps on under a lease of its own
//! ([`reconcile_job`]). Nothing is sent to pixi in the quiet window (PX-22); pixi outages
//! back off and resume by themselves (PX-42).
//!
//! Tests drive it step by step with [`Worker::pass`]; production runs the loop in
//! `crate::jobs::worker`.

mod api;
pub mod caps;
mod incidents;
mod methods;
pub mod ops;
mod order;
pub mod reconcile;
pub mod reconcile_job;
pub mod resolver;
pub mod tenant;
pub mod triggers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::fault::FaultPoints;
use kit::journal::Journal;
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::config::Config;
use crate::domain::quiet::QuietWindow;
use crate::mail::Mailer;
use crate::metrics as m;
use crate::secrets::SecretBox;
use crate::store;
use crate::unzer::UnzerClient;

pub use api::{ApiCtx, context as api_context, poke};
pub use incidents::{mail_text, target as mail_target};
pub use order::{Synced, retry_delay};

/// Fault point: an action's outcome is in the journal, the order's progress not yet committed.
pub const AFTER_OUTCOME: &str = "pixi_sync.after_outcome";

/// The worker's settings (from [`Config`]).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Change-feed polling.
    pub poll_interval: Duration,
    /// Full scans.
    pub full_scan_interval: Duration,
    /// Payment-method checks.
    pub method_check_interval: Duration,
    /// Re-read of released orders.
    pub follow_interval: Duration,
    /// Longest wait between quiet looks at an order.
    pub follow_max_interval: Duration,
    /// Lease lifetime.
    pub lease_ttl: Duration,
    /// Orders at once.
    pub order_concurrency: usize,
    /// Orders per batch.
    pub batch: usize,
    /// Quiet window.
    pub quiet: QuietWindow,
    /// Reconciliation interval.
    pub reconcile_interval: Duration,
    /// Reconciliation lookback.
    pub reconcile_lookback: Duration,
    /// Orders per step of a scheduled reconciliation.
    pub reconcile_batch: usize,
    /// Unknown outcomes are flagged after this long.
    pub escalate_after: Duration,
    /// SMTP timeout (stale mail claims).
    pub smtp_timeout: Duration,
    /// Public base URL (links in mails and events).
    pub public_base_url: Option<String>,
}

impl Settings {
    /// From the service configuration.
    pub fn from_config(c: &Config) -> Self {
        Settings {
            poll_interval: c.poll_interval,
            full_scan_interval: c.full_scan_interval,
            method_check_interval: c.method_check_interval,
            follow_interval: c.follow_interval,
            follow_max_interval: c.follow_max_interval,
            lease_ttl: c.lease_ttl,
            order_concurrency: c.order_concurrency,
            batch: c.batch,
            quiet: c.quiet_window,
            reconcile_interval: c.reconcile_interval,
            reconcile_lookback: c.reconcile_lookback,
            reconcile_batch: c.reconcile_batch,
            escalate_after: c.escalate_after,
            smtp_timeout: c.smtp_timeout,
            public_base_url: c.public_base_url.clone(),
        }
    }
}

/// Everything the worker shares.
pub struct Inner {
    /// Pool on the service schema.
    pub pool: PgPool,
    /// The external-operation journal.
    pub journal: Journal,
    /// Outbox for events.
    pub outbox: Outbox,
    /// The clock (manual in tests).
    pub clock: SharedClock,
    /// Settings.
    pub settings: Settings,
    /// unzer client.
    pub unzer: UnzerClient,
    /// The outbound client for pixi (timeouts set).
    pub pixi_http: kit::outbound::Outbound,
    /// pixi revisions detected per configuration.
    pub pixi_caps: caps::CapsCache,
    /// Secrets at rest.
    pub secrets: SecretBox,
    /// Mail.
    pub mailer: Mailer,
    /// This instance's lease holder name.
    pub holder: String,
    /// Wakes the loop (webhooks, shutdown).
    pub wake: Notify,
    /// Webhook triggers waiting for the next pass.
    pub triggers: triggers::Triggers,
    /// Fault points (tests).
    pub faults: FaultPoints,
    /// pixi calls per tenant and minute, not yet written to the database.
    pub pixi_calls: Arc<crate::pixi::meter::CallStats>,
}

/// The worker (cheap to clone).
#[derive(Clone)]
pub struct Worker(pub Arc<Inner>);

/// What one pass did (tests and logs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Configurations whose lease this instance held.
    pub leased: usize,
    /// Configurations skipped because of the quiet window.
    pub quiet: usize,
    /// Configurations skipped because another replica holds the lease.
    pub not_leased: usize,
    /// Configurations whose pass failed (pixi down): backing off.
    pub failed: usize,
    /// Orders synced.
    pub orders: usize,
    /// Orders another worker was busy with.
    pub busy: usize,
    /// Mails sent.
    pub mails: usize,
}

impl Worker {
    /// One pass over every active pixi API configuration, then the mail queue.
    pub async fn pass(&self) -> PassReport {
        let started = Instant::now();
        let mut report = PassReport::default();
        self.apply_triggers().await;
        let apis = match store::pixi_apis::active(&self.0.pool).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list pixi API configurations");
                return report;
            }
        };
        for api in apis {
            api::pass_api(self, api, &mut report).await;
        }
        report.mails += incidents::mail_pass(self).await;
        reconcile_job::step(self).await;
        self.flush_calls().await;
        match resolver::resolver(self).resolve_once().await {
            Ok(r) if r != kit::journal::ResolveReport::default() => {
                tracing::info!(report = ?r, "journal resolver pass")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "journal resolver pass failed"),
        }
        metrics::histogram!(m::PASS_SECONDS).record(started.elapsed().as_secs_f64());
        report
    }

    /// Writes the pixi call counts to the database (the console sums every replica's) and
    /// forgets counts older than a day.
    pub async fn flush_calls(&self) {
        let buckets = self.0.pixi_calls.take();
        if buckets.is_empty() {
            return;
        }
        if let Err(e) = store::pixi_calls::add(&self.0.pool, &self.0.holder, &buckets).await {
            tracing::warn!(error = %e, "cannot write the pixi call counts; keeping them");
            self.0.pixi_calls.restore(buckets);
            return;
        }
        let old = self.0.clock.now() - chrono::Duration::days(1);
        let _ = store::pixi_calls::forget_before(&self.0.pool, old).await;
    }

    /// Wakes the loop now (webhook received).
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// Makes the orders of every queued webhook trigger due now.
    pub async fn apply_triggers(&self) {
        let queued = self.0.triggers.take();
        if queued.is_empty() {
            return;
        }
        let now = self.0.clock.now();
        match store::orders::touch_payments(&self.0.pool, &queued, now).await {
            Ok(n) => tracing::debug!(triggers = queued.len(), orders = n, "webhook triggers applied"),
            Err(e) => {
                tracing::warn!(error = %e, "cannot apply webhook triggers; keeping them");
                self.0.triggers.restore(queued);
            }
        }
    }
}
