//! Order-timeline read benchmark (`docs/benchmarks.md` target 2, "read RPC"): the real hotline-api
//! App on this box's Postgres and NATS, 10 000 orders × 10 events in the read model, and
//! `TimelineService.GetOrderTimeline` called with a service token from 100 concurrent streams
//! (closed loop), then at a fixed 70 % of that rate (open loop) for the p99. The gRPC echo
//! ceiling (`B_echo`) is measured in the same run. Prints one JSON line:
//! `cargo bench -p hotline-api --bench timeline -- [seconds] [concurrency]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hotline_api::app::App;
use hotline_api::config::Config;
use kit::clock::SystemClock;
use proto::payops::hotline::v1::GetOrderTimelineRequest;
use proto::payops::hotline::v1::timeline_service_client::TimelineServiceClient;
use sandbox::{Sandbox, SandboxConfig, System};
use serde_json::json;
use tonic::transport::Channel;

const TOKEN: &str = "bench-service-token-0123456789";
const ORDERS: i64 = 10_000;
const EVENTS: i64 = 10;
/// The service's database pool, and pgbench's clients on the same SQL.
const POOL: usize = 16;

fn request(order: i64) -> tonic::Request<GetOrderTimelineRequest> {
    let mut r = tonic::Request::new(GetOrderTimelineRequest { order_id: format!("B{order}") });
    if let Ok(v) = format!("Bearer {TOKEN}").parse() {
        r.metadata_mut().insert("authorization", v);
    }
    r
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let duration = Duration::from_secs(seconds);

    let echo = bench::echo::run(duration).await?;
    let echo_rate = echo["results"]["B_echo"]["per_sec"].as_f64().unwrap_or(0.0);
    let echo_p99 = echo["results"]["B_echo"]["p99_us"].as_u64().unwrap_or(0);

    let env = testkit::TestEnv::new().await?;
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await?;
    let mut vars = env.service_env("hotline_api");
    let pgw = format!("{}/api/v1", sandbox.url(System::Pgw));
    for (k, v) in [
        ("WEB_ADDR", "127.0.0.1:0"),
        ("PGW_BASE_URL", pgw.as_str()),
        ("PGW_API_KEY", "unused"),
        ("SMALLINVOICE_CLIENT_ID", "unused"),
        ("SMALLINVOICE_CLIENT_SECRET", "unused"),
        ("TICKETING_URL", "http://127.0.0.1:9"),
        ("CALLERS", &format!("bench:{TOKEN}:hotline.timeline.read:*")),
        ("DB_MAX_CONNECTIONS", &POOL.to_string()),
        ("LOG_FORMAT", "json"),
    ] {
        vars.set(k, v);
    }
    let mut app = App::build(Config::from_env(&vars)?, SystemClock::shared()).await?;
    app.run_workers = false;
    sqlx::query(
        "INSERT INTO timeline_events (event_id, order_id, source, event_type, occurred_at, summary, subject) \
         SELECT 'e-' || o || '-' || e, 'B' || o, CASE WHEN e % 2 = 0 THEN 'pixi-sync' ELSE 'terminal-gateway' END, \
                'order_released', now() - make_interval(mins => (100 - e)::int), 'Auftrag freigegeben', 'bench' \
         FROM generate_series(1, $1) o, generate_series(1, $2) e",
    )
    .bind(ORDERS)
    .bind(EVENTS)
    .execute(&app.platform.pool)
    .await?;
    sqlx::query("ANALYZE timeline_events").execute(&app.platform.pool).await?;
    let url = format!("http://{}", app.grpc_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(Channel::from_shared(url.clone())?.connect().await?);
    }
    let clients: Arc<Vec<TimelineServiceClient<Channel>>> =
        Arc::new(channels.into_iter().map(TimelineServiceClient::new).collect());
    let next = Arc::new(AtomicUsize::new(0));
    // Warm-up (pool, caches), then the closed loop.
    {
        let (clients, next) = (clients.clone(), next.clone());
        bench::load::closed_loop(concurrency, Duration::from_secs(1), move || {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let mut c = clients[i % clients.len()].clone();
            async move {
                c.get_order_timeline(request((i as i64 % ORDERS) + 1))
                    .await
                    .is_ok_and(|r| r.get_ref().events.len() == 10)
            }
        })
        .await?;
    }
    let closed = {
        let (clients, next) = (clients.clone(), next.clone());
        bench::load::closed_loop(concurrency, duration, move || {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let mut c = clients[i % clients.len()].clone();
            async move {
                c.get_order_timeline(request((i as i64 * 7919 % ORDERS) + 1))
                    .await
                    .is_ok_and(|r| r.get_ref().events.len() == 10)
            }
        })
        .await?
    };
    let rate = (closed.per_sec * 0.7).max(1.0);
    // At 70 % of that rate (open loop: latency from each request's scheduled start).
    let open = {
        let clients = clients.clone();
        bench::load::open_loop(rate, duration, move |n| {
            let mut c = clients[(n as usize) % clients.len()].clone();
            let order = (n as i64 * 104_729 % ORDERS) + 1;
            async move { c.get_order_timeline(request(order)).await.is_ok() }
        })
        .await?
    };
    let (open_p50, open_p99, open_done, open_errors) = (open.p50_us, open.p99_us, open.count, open.errors);
    let _ = stop.send(());
    let _ = task.await;
    // Postgres alone on the read's SQL, at the service's pool size: is the database the bound?
    let pg = bench::pgbench::run(
        &env.database_url,
        "hotline_api",
        &format!(
            "\\set n random(1, {ORDERS})\n\
             SELECT event_id, source, event_type, occurred_at, summary FROM timeline_events \
             WHERE order_id = 'B' || :n ORDER BY occurred_at, event_id LIMIT 1000;\n"
        ),
        POOL,
        seconds,
        true,
    )?;
    let line = json!({
        "name": "hotline-api",
        "bench": "order_timeline_read",
        "concurrency": concurrency,
        "per_sec": (closed.per_sec * 10.0).round() / 10.0,
        "p50_us": closed.p50_us,
        "p99_us": closed.p99_us,
        "errors": closed.errors,
        "B_echo_per_sec": echo_rate,
        "B_echo_p99_us": echo_p99,
        "ratio_to_echo": if echo_rate > 0.0 { ((closed.per_sec / echo_rate) * 1000.0).round() / 1000.0 } else { 0.0 },
        "open_loop_rate": rate.round(),
        "open_loop_done": open_done,
        "open_loop_errors": open_errors,
        "open_loop_p50_us": open_p50,
        "open_loop_p99_us": open_p99,
        "open_p99_over_echo_p99": if echo_p99 > 0 { ((open_p99 as f64 / echo_p99 as f64) * 100.0).round() / 100.0 } else { 0.0 },
        "pgbench_same_sql_tps": pg.tps.round(),
        "pgbench_clients": POOL,
        "ratio_to_pgbench": ((closed.per_sec / pg.tps.max(1.0)) * 1000.0).round() / 1000.0,
        "orders": ORDERS,
        "events_per_order": EVENTS,
    });
    println!("{line}");
    Ok(())
}
