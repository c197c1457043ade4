//! The resolver: finds journal entries whose outcome is unknown (or whose call was cut off
//! mid-flight) and asks the partner, through a per-operation [`Prober`], before anything is
//! retried. Entries are checked with growing intervals (30 s doubling up to ~1 h); what stays
//! unknown is counted in `payops_journal_unresolved` so it can be alerted on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::{CallError, Entry, Journal, JournalError, Probe};
use crate::metrics as m;

/// Asks a partner about a stored request (the resolver has no caller to ask).
pub trait Prober: Send + Sync + 'static {
    /// Probes the entry's stored request.
    fn probe<'a>(&'a self, entry: &'a Entry) -> BoxFuture<'a, Result<Probe<serde_json::Value>, CallError>>;
}

/// What one resolver pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResolveReport {
    /// Entries found done at the partner.
    pub succeeded: usize,
    /// Entries found refused at the partner.
    pub failed: usize,
    /// Entries the partner has no trace of (the caller may run them again).
    pub not_done: usize,
    /// Entries still unknown.
    pub unknown: usize,
    /// Entries skipped because their scope was busy or no prober exists.
    pub skipped: usize,
}

/// Resolves unknown journal entries with registered probers.
pub struct Resolver {
    journal: Journal,
    service: String,
    probers: HashMap<&'static str, Arc<dyn Prober>>,
    /// A pending entry older than this is treated as cut off mid-call.
    stale_after: Duration,
}

impl Resolver {
    /// A resolver for `journal` of `service`.
    pub fn new(journal: Journal, service: &str) -> Self {
        Resolver { journal, service: service.to_owned(), probers: HashMap::new(), stale_after: Duration::from_secs(60) }
    }

    /// Registers the prober of `operation`.
    pub fn register(mut self, operation: &'static str, prober: Arc<dyn Prober>) -> Self {
        self.probers.insert(operation, prober);
        self
    }

    /// Treats pending entries older than `after` as cut off.
    pub fn stale_after(mut self, after: Duration) -> Self {
        self.stale_after = after;
        self
    }

    /// Checks every due entry once.
    pub async fn resolve_once(&self) -> Result<ResolveReport, JournalError> {
        let due: Vec<Entry> = sqlx::query_as(
            "SELECT key, operation, scope, status, request, outcome, error, attempts, probes, created_at, updated_at \
             FROM journal WHERE (status = 'unknown' AND next_check_at <= now()) \
                OR (status = 'pending' AND updated_at < now() - make_interval(secs => $1)) \
             ORDER BY next_check_at LIMIT 200",
        )
        .bind(self.stale_after.as_secs_f64())
        .fetch_all(self.journal.pool())
        .await?;
        let mut report = ResolveReport::default();
        for entry in due {
            let Some(prober) = self.probers.get(entry.operation.as_str()) else {
                report.skipped += 1;
                continue;
            };
            // Whoever holds the scope is working on it right now; come back later.
            let Some(lock) = self.journal.try_lock(&entry.scope).await? else {
                report.skipped += 1;
                continue;
            };
            let settled = self.resolve_entry(prober.as_ref(), &entry.key).await;
            lock.release().await;
            match settled? {
                Some("succeeded") => report.succeeded += 1,
                Some("failed") => report.failed += 1,
                Some("not_done") => report.not_done += 1,
                _ => report.unknown += 1,
            }
        }
        if let Ok(n) = self.journal.unresolved_count().await {
            metrics::gauge!(m::JOURNAL_UNRESOLVED, "service" => self.service.clone()).set(n as f64);
        }
        Ok(report)
    }

    async fn resolve_entry(&self, prober: &dyn Prober, key: &str) -> Result<Option<&'static str>, JournalError> {
        // Re-read under the lock: a worker may have settled it meanwhile.
        let Some(entry) = self.journal.get(key).await? else { return Ok(None) };
        if !matches!(entry.status.as_str(), "pending" | "unknown") {
            return Ok(None);
        }
        sqlx::query("UPDATE journal SET probes = probes + 1 WHERE key = $1")
            .bind(key)
            .execute(self.journal.pool())
            .await?;
        let (status, outcome, error) = match prober.probe(&entry).await {
            Ok(Probe::Done(v)) => ("succeeded", Some(v), None),
            Ok(Probe::Failed(reason)) => ("failed", None, Some(reason)),
            Ok(Probe::NotDone) => ("not_done", None, Some("partner has no trace of it (probe)".to_owned())),
            Err(e) => ("unknown", None, Some(format!("probe: {e}"))),
        };
        self.journal.set_status(key, status, outcome, error.as_deref()).await?;
        tracing::info!(key, operation = %entry.operation, status, "journal entry resolved by probe");
        Ok(Some(status))
    }

    /// Runs passes every `every` until `token` is cancelled.
    pub async fn run_until(self, every: Duration, token: CancellationToken) {
        while !token.is_cancelled() {
            if let Err(e) = self.resolve_once().await {
                tracing::warn!(error = %e, "journal resolver pass failed");
            }
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}
