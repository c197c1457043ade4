//! Load drivers: `concurrency` workers issuing requests back to back for a duration (closed
//! loop, for the maximum rate), or requests issued at a fixed rate whatever the answers do (open
//! loop, for the latency at a given load); every latency goes into an HDR histogram.

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

/// Issues `rate` calls per second for `duration` (`call(n)` for the n-th, from 0), each measured
/// from its scheduled start, so a stalled server shows up as latency, not as fewer requests.
/// Finished calls are collected while the loop runs, so the driver holds only the calls in
/// flight (keeping every finished task until the end held hundreds of MB at 15,000 calls/s and
/// made the driver page-fault its way through fresh memory, on the cores it shares with the
/// server under test).
pub async fn open_loop<F, Fut>(rate: f64, duration: Duration, mut call: F) -> anyhow::Result<LoadResult>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    // `PAYOPS_BENCH_SLOW=1` prints every call slower than `SLOW` with its scheduled time, to
    // tell a stall (a window of slow calls) from a tail spread over the run.
    const SLOW: Duration = Duration::from_millis(50);
    let show_slow = std::env::var_os("PAYOPS_BENCH_SLOW").is_some();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut h = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    let mut record = |done: Result<(bool, Duration), tokio::task::JoinError>| match done {
        Ok((true, latency)) => {
            let _ = h.record(latency.as_micros() as u64);
        }
        _ => errors += 1,
    };
    let mut n: u64 = 0;
    loop {
        let due = started + interval.mul_f64(n as f64);
        if due.duration_since(started) >= duration {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        let fut = call(n);
        tasks.spawn(async move {
            let ok = fut.await;
            let latency = due.elapsed();
            if show_slow && latency > SLOW {
                eprintln!("slow call: n={n} due={:?} latency={latency:?} ok={ok}", due.duration_since(started));
            }
            (ok, latency)
        });
        while let Some(done) = tasks.try_join_next() {
            record(done);
        }
        n += 1;
    }
    while let Some(done) = tasks.join_next().await {
        record(done);
    }
    Ok(LoadResult {
        per_sec: h.len() as f64 / duration.as_secs_f64(),
        count: h.len(),
        errors,
        p50_us: h.value_at_quantile(0.5),
        p99_us: h.value_at_quantile(0.99),
    })
}
