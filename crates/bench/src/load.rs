//! A load driver: `concurrency` workers issue requests back to back for a duration and record
//! every latency in an HDR histogram.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Throughput and latency of one run.
#[derive(Debug, Serialize)]
pub struct LoadResult {
    /// Completed requests per second.
    pub per_sec: f64,
    /// Completed requests.
    pub count: u64,
    /// Failed requests.
    pub errors: u64,
    /// Median latency, microseconds.
    pub p50_us: u64,
    /// 99th percentile latency, microseconds.
    pub p99_us: u64,
}

/// Runs `call` from `concurrency` workers for `duration`.
pub async fn closed_loop<F, Fut>(concurrency: usize, duration: Duration, call: F) -> anyhow::Result<LoadResult>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3)?));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            let hist = hist.clone();
            let errors = errors.clone();
            tokio::spawn(async move {
                let mut local = Histogram::<u64>::new(3).ok();
                while started.elapsed() < duration {
                    let t = Instant::now();
                    if call().await {
                        if let Some(h) = local.as_mut() {
                            let _ = h.record(t.elapsed().as_micros() as u64);
                        }
                    } else {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                if let (Some(l), Ok(mut h)) = (local, hist.lock()) {
                    let _ = h.add(l);
                }
            })
        })
        .collect();
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let h = hist.lock().map_err(|_| anyhow::anyhow!("histogram lock poisoned"))?;
    Ok(LoadResult {
        per_sec: h.len() as f64 / elapsed,
        count: h.len(),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
    })
}
