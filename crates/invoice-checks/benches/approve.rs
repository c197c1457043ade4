//! `docs/benchmarks.md` target 3 ("write RPC"): `ApprovePayment` — one Postgres transaction per request
//! (row lock on the payment, merchant read, two history rows, two outbox events, the update,
//! the history read) — against `pgbench` running the same SQL at the same concurrency on the
//! same box, then at a fixed rate of 70 % of the measured maximum for the p99.
//!
//! `cargo bench -p invoice-checks --bench approve -- [seconds] [concurrency]` prints one JSON
//! line. Needs `DATABASE_URL`, `NATS_URL` and `pgbench`. The outbox relay is off (its cost is
//! target 1's); the App is the real one, behind the kit's gRPC layer with bearer auth.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark")]

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bench::load::LoadResult;
use invoice_checks::app::App;
use invoice_checks::config::Config;
use kit::clock::ManualClock;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::manual_payment_service_client::ManualPaymentServiceClient;
use testkit::TestEnv;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

const TOKEN: &str = "bench-manager-token-0123456789";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with("--")).collect();
    let secs: u64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let concurrency: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(8);
    let duration = Duration::from_secs(secs);

    let env = TestEnv::new().await?;
    let mut vars = env.service_env("invoice_checks");
    vars.set("CALLERS", format!("bench:{TOKEN}:manual.*:*"));
    vars.set("RUST_LOG", "error");
    let pool_size = concurrency + 4;
    vars.set("DB_MAX_CONNECTIONS", pool_size.to_string());
    let mut app = App::build(Config::from_env(&vars)?, ManualClock::at_default().shared()).await?;
    app.run_workers = false;
    let url = format!("http://{}", app.grpc_addr());
    let pool = app.platform.pool.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    seed(&pool, 400_000).await?;
    let channel = Channel::from_shared(url)?.connect().await?;
    let next = Arc::new(AtomicU64::new(1));

    // Warm-up, then the maximum at `concurrency` closed-loop callers.
    closed_loop(&channel, &next, concurrency, Duration::from_secs(2)).await?;
    let max = closed_loop(&channel, &next, concurrency, duration).await?;
    // The same SQL through pgbench at the same concurrency.
    let pg = pgbench(&env, concurrency, secs)?;
    // p99 at 70 % of the maximum, open loop (latency from the scheduled start).
    let rate = (max.per_sec * 0.7).max(1.0);
    let fixed = open_loop(&channel, &next, rate, duration).await?;
    // The same SQL through pgbench at the same fixed rate, with the service's connections and
    // protocol (its pool size, prepared statements as sqlx): the p99 Postgres alone gives there.
    let pg_fixed =
        bench::pgbench::run_at_rate(&env.database_url, "invoice_checks", APPROVE_SQL, pool_size, rate, secs, true)?;
    // And its maximum with prepared statements at the callers' concurrency (information: the
    // ratio's pgbench uses the simple protocol, as it always has).
    let pg_prepared = bench::pgbench::run(&env.database_url, "invoice_checks", APPROVE_SQL, concurrency, secs, true)?;

    let line = serde_json::json!({
        "name": "invoice-checks",
        "what": "ApprovePayment RPC: one Postgres transaction (lock, 2 reads, 2 history rows, 2 outbox events, update)",
        "concurrency": concurrency,
        "rpc_per_sec": round(max.per_sec),
        "rpc_p50_us": max.p50_us,
        "rpc_p99_us": max.p99_us,
        "rpc_errors": max.errors,
        "pgbench_same_sql_tps": round(pg.0),
        "pgbench_latency_avg_us": round(pg.1 * 1000.0),
        "ratio_vs_pgbench": round(max.per_sec / pg.0.max(1.0) * 1000.0) / 1000.0,
        "target_ratio": 0.6,
        "fixed_rate_per_sec": round(rate),
        "fixed_rate_achieved_per_sec": round(fixed.per_sec),
        "fixed_rate_p50_us": fixed.p50_us,
        "fixed_rate_p99_us": fixed.p99_us,
        "fixed_rate_errors": fixed.errors,
        "pgbench_prepared_tps": round(pg_prepared.tps),
        "pgbench_fixed_rate_clients": pool_size,
        "pgbench_fixed_rate_per_sec": round(pg_fixed.tps),
        "pgbench_fixed_rate_p50_us": pg_fixed.p50_us,
        "pgbench_fixed_rate_p99_us": pg_fixed.p99_us,
        "target_p99_us": 10_000,
    });
    let _ = stop.send(());
    server.await??;
    drop(env);
    println!("{line}");
    Ok(())
}

fn round(x: f64) -> f64 {
    x.round()
}

/// `rows` open payments for the RPC (`mp-bench-N`) and as many for pgbench (`mp-pg-N`).
async fn seed(pool: &sqlx::PgPool, rows: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO mp_merchants VALUES ('cash-desk', 'Bar', '', '', '2.5', 30, 'CHF', 'CHF', 'CHF', \
         ARRAY['CHF','EUR'], '', now())",
    )
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO mp_offers VALUES ('course-42', 'Kurs', 'cash-desk', '[{\"minor\":10000,\"currency\":\"CHF\"}]', 30, now())",
    )
    .execute(pool)
    .await?;
    for prefix in ["mp-bench-", "mp-pg-"] {
        sqlx::query(
            "INSERT INTO mp_payments (order_id, request_id, offer_id, merchant_id, customer_id, price_minor, currency, \
             payment_date, customer_comment, state, deadline, created_by, created_at, updated_at) \
             SELECT $1 || n, $1 || 'r' || n, 'course-42', 'cash-desk', 'c-' || n, 10000, 'CHF', date '2026-01-05', \
             'bar', 'open', timestamptz '2026-02-04 10:00Z', 'customer', timestamptz '2026-01-05 10:00Z', now() \
             FROM generate_series(1, $2) n",
        )
        .bind(prefix)
        .bind(rows)
        .execute(pool)
        .await?;
        sqlx::query(
            "INSERT INTO mp_history (order_id, from_state, to_state, actor, note, at) \
             SELECT $1 || n, '', 'open', 'customer', 'bar', now() FROM generate_series(1, $2) n",
        )
        .bind(prefix)
        .bind(rows)
        .execute(pool)
        .await?;
    }
    sqlx::raw_sql("VACUUM ANALYZE").execute(pool).await?;
    Ok(())
}

async fn approve(client: &mut ManualPaymentServiceClient<Channel>, n: u64) -> bool {
    let mut req =
        tonic::Request::new(pb::ApprovePaymentRequest { order_id: format!("mp-bench-{n}"), adjustments: None });
    req.metadata_mut().insert("authorization", MetadataValue::from_static("Bearer bench-manager-token-0123456789"));
    client.approve_payment(req).await.is_ok()
}

/// `workers` callers approving the next payment back to back.
async fn closed_loop(
    channel: &Channel,
    next: &Arc<AtomicU64>,
    workers: usize,
    d: Duration,
) -> anyhow::Result<LoadResult> {
    let (channel, next) = (channel.clone(), next.clone());
    bench::load::closed_loop(workers, d, move || {
        let mut client = ManualPaymentServiceClient::new(channel.clone());
        let n = next.fetch_add(1, Ordering::Relaxed);
        async move { approve(&mut client, n).await }
    })
    .await
}

/// Approvals at a fixed `rate`.
async fn open_loop(channel: &Channel, next: &Arc<AtomicU64>, rate: f64, d: Duration) -> anyhow::Result<LoadResult> {
    bench::load::open_loop(rate, d, |_| {
        let mut client = ManualPaymentServiceClient::new(channel.clone());
        let n = next.fetch_add(1, Ordering::Relaxed);
        async move { approve(&mut client, n).await }
    })
    .await
}

/// Runs the RPC's SQL through pgbench; returns (tps, average latency in ms).
fn pgbench(env: &TestEnv, clients: usize, secs: u64) -> anyhow::Result<(f64, f64)> {
    let pg = bench::pgbench::run(&env.database_url, "invoice_checks", APPROVE_SQL, clients, secs, false)?;
    Ok((pg.tps, pg.latency_ms))
}

/// ApprovePayment's SQL for pgbench, on the `mp-pg-N` payments.
const APPROVE_SQL: &str = "\\set n random(1, 400000)\n\
        BEGIN;\n\
        SELECT order_id, offer_id, merchant_id, customer_id, price_minor, currency, payment_date, customer_comment, state, \
          deadline, created_by, manager_comment, fees, created_at FROM mp_payments WHERE order_id = 'mp-pg-' || :n FOR UPDATE;\n\
        SELECT merchant_id, name, description, image_url, commission_percent, fixed_fee_minor, fixed_fee_currency, \
          account_currency, fallback_currency, supported_currencies, comment_hint FROM mp_merchants WHERE merchant_id = 'cash-desk';\n\
        INSERT INTO mp_history (order_id, from_state, to_state, actor, note, at) VALUES ('mp-pg-' || :n, 'open', 'approved', 'bench', '', now());\n\
        INSERT INTO outbox (id, subject, order_id, event_type, envelope, headers) VALUES (gen_random_uuid(), \
          'payops.events.invoice-checks.mp-pg-' || :n || '.manual_payment_approved', 'mp-pg-' || :n, 'manual_payment_approved', \
          decode(repeat('ab', 420), 'hex'), '{}');\n\
        INSERT INTO mp_history (order_id, from_state, to_state, actor, note, at) VALUES ('mp-pg-' || :n, 'approved', 'completed', 'bench', '', now());\n\
        INSERT INTO outbox (id, subject, order_id, event_type, envelope, headers) VALUES (gen_random_uuid(), \
          'payops.events.invoice-checks.mp-pg-' || :n || '.manual_payment_completed', 'mp-pg-' || :n, 'manual_payment_completed', \
          decode(repeat('ab', 420), 'hex'), '{}');\n\
        UPDATE mp_payments SET price_minor = 10000, currency = 'CHF', payment_date = date '2026-01-05', state = 'completed', \
          manager_comment = '', fees = '{\"net\": 9720}', updated_at = now() WHERE order_id = 'mp-pg-' || :n;\n\
        SELECT from_state, to_state, actor, note, at FROM mp_history WHERE order_id = 'mp-pg-' || :n ORDER BY id;\n\
        COMMIT;\n";
