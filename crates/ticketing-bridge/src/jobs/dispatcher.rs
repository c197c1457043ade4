//! The worker: finds orders whose oldest queued item is due and works on them, at most
//! `concurrency` at once, until shutdown. It looks when woken (work was queued in this
//! process), when an order finishes, and every poll interval (work queued by other replicas,
//! retries coming due). While Freshdesk has paused the limiter (429) it starts nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::service::{Executor, OrderRun, WORK_OLDEST, WORK_QUEUED};
use crate::store::work;

/// How long the worker waits for in-flight orders at shutdown before abandoning them (their
/// journal entries stay pending and are probed by the next worker).
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// The background worker.
pub struct Dispatcher {
    exec: Arc<Executor>,
    poll: Duration,
    concurrency: usize,
}

impl Dispatcher {
    /// A worker for `exec`, looking every `poll`.
    pub fn new(exec: Arc<Executor>, poll: Duration) -> Self {
        let concurrency = exec.settings.concurrency.max(1);
        Dispatcher { exec, poll, concurrency }
    }

    /// Works on every due item until nothing is due; returns how many items ended (done or
    /// dead). Tests drive the worker with this, moving the clock in between.
    pub async fn tick(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let now = self.exec.clock().now();
            if self.exec.limiter().paused_until(now).is_some() {
                break;
            }
            let orders = work::due_orders(self.exec.pool(), now, 64).await?;
            if orders.is_empty() {
                break;
            }
            let runs: Vec<Result<OrderRun, Error>> = futures::stream::iter(orders)
                .map(|order| {
                    let exec = self.exec.clone();
                    async move { exec.run_order(&order, false).await }
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let mut progress = 0;
            for run in runs {
                if let OrderRun::Ran { finished, .. } = run? {
                    progress += finished;
                }
            }
            total += progress;
            if progress == 0 {
                break;
            }
        }
        Ok(total)
    }

    /// Runs until `token` is cancelled.
    pub async fn run_until(self, token: CancellationToken) {
        let wake = self.exec.wake();
        let mut running: JoinSet<(String, Result<OrderRun, Error>)> = JoinSet::new();
        let mut in_flight: HashSet<String> = HashSet::new();
        // Orders another replica holds, left alone for one poll interval.
        let mut cooling: HashMap<String, Instant> = HashMap::new();
        let mut last_stats = Instant::now() - Duration::from_secs(60);
        while !token.is_cancelled() {
            if last_stats.elapsed() > Duration::from_secs(5) {
                last_stats = Instant::now();
                self.record_backlog().await;
            }
            cooling.retain(|_, until| *until > Instant::now());
            let now = self.exec.clock().now();
            if running.len() < self.concurrency && self.exec.limiter().paused_until(now).is_none() {
                match work::due_orders(self.exec.pool(), now, (self.concurrency * 4) as i64).await {
                    Ok(orders) => {
                        for order in orders {
                            if running.len() >= self.concurrency {
                                break;
                            }
                            if cooling.contains_key(&order) || !in_flight.insert(order.clone()) {
                                continue;
                            }
                            let exec = self.exec.clone();
                            running.spawn(async move {
                                let r = exec.run_order(&order, false).await;
                                (order, r)
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "looking for due ticket work failed"),
                }
            }
            tokio::select! {
                _ = token.cancelled() => break,
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    match joined {
                        Ok((order, result)) => {
                            in_flight.remove(&order);
                            match result {
                                Ok(OrderRun::Busy) => {
                                    cooling.insert(order, Instant::now() + self.poll);
                                }
                                Ok(OrderRun::Ran { .. }) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "ticket work failed; will retry");
                                    cooling.insert(order, Instant::now() + self.poll);
                                }
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "ticket work task failed"),
                    }
                }
                _ = wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
        if tokio::time::timeout(DRAIN_GRACE, async { while running.join_next().await.is_some() {} }).await.is_err() {
            tracing::warn!("ticket work still running at shutdown; abandoned (it is probed on the next run)");
            running.shutdown().await;
        }
        tracing::info!("ticket worker stopped");
    }

    async fn record_backlog(&self) {
        match work::backlog(self.exec.pool()).await {
            Ok((queued, oldest)) => {
                metrics::gauge!(WORK_QUEUED).set(queued as f64);
                let age =
                    oldest.map_or(0.0, |t| (self.exec.clock().now() - t).num_milliseconds().max(0) as f64 / 1000.0);
                metrics::gauge!(WORK_OLDEST).set(age);
            }
            Err(e) => tracing::warn!(error = %e, "reading the ticket work backlog failed"),
        }
    }
}
