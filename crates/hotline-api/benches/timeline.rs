//! Order-timeline read benchmark (`docs/benchmarks.md` target 2, "read RPC"): the real hotline-api
//! App on this box's Postgres and NATS, 10 000 orders × 10 events in the read model, and
//! `TimelineService.GetOrderTimeline` called with a service token from 100 concurrent streams
//! (closed loop, after a warm-up that reads every order once), then at a fixed 70 % of that rate (open loop) for the p99. The gRPC echo
//! ceiling (`B_echo`) is measured in the same run. Reads are answered from the service's
//! in-memory view where its guarantee allows (`service::timeline_view`, default size); the line
//! says which share was. Prints one JSON line:
//! `cargo bench -p hotline-api --bench timeline -- [seconds] [concurrency]`.

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// Set in the child processes that measure tracing's cost: `off` or `sampled`.
const TRACING_CHILD: &str = "PAYOPS_BENCH_TIMELINE_TRACING";

type Clients = Arc<Vec<TimelineServiceClient<Channel>>>;

/// A running hotline-api with the bench's read model, and clients on 4 connections.
struct Served {
    env: testkit::TestEnv,
    _sandbox: Sandbox,
    clients: Clients,
    view: Arc<hotline_api::service::timeline_view::TimelineView>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), kit::platform::PlatformError>>,
}

async fn serve() -> anyhow::Result<Served> {
    let env = testkit::TestEnv::new().await?;
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await?;
    let mut vars = env.service_env("hotline_api");
    let pgw = format!("{}/api/v1", sandbox.url(System::Pgw));
    // `TIMELINE_MEMORY_ORDERS=0` in the bench's environment measures database reads only.
    if let Ok(n) = std::env::var("TIMELINE_MEMORY_ORDERS") {
        vars.set("TIMELINE_MEMORY_ORDERS", &n);
    }
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
    let view = app.hotline.timeline.clone();
    let url = format!("http://{}", app.grpc_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(Channel::from_shared(url.clone())?.connect().await?);
    }
    let clients: Clients = Arc::new(channels.into_iter().map(TimelineServiceClient::new).collect());
    Ok(Served { env, _sandbox: sandbox, clients, view, stop, task })
}

/// Warm-up (pool, caches): every order read once, then the closed loop; with the reads of the
/// loop that `view` answered from memory.
async fn closed(
    clients: &Clients,
    view: &hotline_api::service::timeline_view::TimelineView,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<(bench::load::LoadResult, u64)> {
    let next = Arc::new(AtomicUsize::new(0));
    while next.load(Ordering::Relaxed) < ORDERS as usize {
        let (clients, next) = (clients.clone(), next.clone());
        bench::load::closed_loop(concurrency, Duration::from_millis(500), move || {
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
    let clients = clients.clone();
    let before = view.reads_from_memory();
    let result = bench::load::closed_loop(concurrency, duration, move || {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let mut c = clients[i % clients.len()].clone();
        async move {
            c.get_order_timeline(request((i as i64 * 7919 % ORDERS) + 1))
                .await
                .is_ok_and(|r| r.get_ref().events.len() == 10)
        }
    })
    .await?;
    Ok((result, view.reads_from_memory() - before))
}

/// An OTLP/gRPC trace collector that counts the spans it is sent and drops them, on its own
/// thread (a collector is a process of its own).
fn otlp_sink() -> anyhow::Result<(std::net::SocketAddr, Arc<AtomicU64>)> {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
    use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
    struct Sink(Arc<AtomicU64>);
    #[tonic::async_trait]
    impl TraceService for Sink {
        async fn export(
            &self,
            r: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
            let n: usize =
                r.get_ref().resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|s| s.spans.len()).sum();
            self.0.fetch_add(n as u64, Ordering::Relaxed);
            Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
        }
    }
    let spans = Arc::new(AtomicU64::new(0));
    let counter = spans.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else { return };
            let Ok(addr) = listener.local_addr() else { return };
            let _ = tx.send(addr);
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            let _ = tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(Sink(counter)))
                .serve_with_incoming(incoming)
                .await;
        });
    });
    Ok((rx.recv_timeout(Duration::from_secs(5))?, spans))
}

/// A child process: the production subscriber (JSON logs at info, the OpenTelemetry layer) with
/// tracing `off` (never sampled) or `sampled` (10 %, exported over OTLP/gRPC to a local
/// collector), then the closed loop; prints its own JSON line.
async fn tracing_child(mode: &str, concurrency: usize, duration: Duration) -> anyhow::Result<()> {
    use kit::config::{LogFormat, TelemetryConfig, TraceSampler};
    let (endpoint, spans) = if mode == "sampled" {
        let (addr, spans) = otlp_sink()?;
        (Some(format!("http://{addr}")), Some(spans))
    } else {
        (None, None)
    };
    let guard = kit::telemetry::init(&TelemetryConfig {
        service: "hotline-api".into(),
        log_format: LogFormat::Json,
        log_filter: "info".into(),
        otlp_endpoint: endpoint,
        sampler: if spans.is_some() { TraceSampler::ParentBasedRatio(0.1) } else { TraceSampler::AlwaysOff },
    })?;
    let served = serve().await?;
    let (result, _) = closed(&served.clients, &served.view, concurrency, duration).await?;
    let _ = served.stop.send(());
    let _ = served.task.await;
    guard.shutdown();
    let spans = spans.map(|s| s.load(Ordering::Relaxed));
    println!(
        "{}",
        json!({ "tracing_child": mode, "per_sec": result.per_sec, "count": result.count, "spans_exported": spans })
    );
    Ok(())
}

/// With this set to a rate, the bench measures only the open loop at that rate (after the usual
/// warm-up), for profiling one load point: `PAYOPS_BENCH_TIMELINE_OPEN_ONLY=9000 perf record …`.
const OPEN_ONLY: &str = "PAYOPS_BENCH_TIMELINE_OPEN_ONLY";

/// [`OPEN_ONLY`]: warm-up, then `rate` reads per second for `duration`; prints one JSON line.
async fn open_only(rate: f64, concurrency: usize, duration: Duration) -> anyhow::Result<()> {
    let served = serve().await?;
    closed(&served.clients, &served.view, concurrency, Duration::from_secs(2)).await?;
    let rounds = served.view.rounds();
    let open = open_loop(&served.clients, rate, duration).await?;
    let rounds = served.view.rounds() - rounds;
    let _ = served.stop.send(());
    let _ = served.task.await;
    println!(
        "{}",
        json!({ "open_only_rate": rate, "per_sec": open.per_sec, "errors": open.errors, "p50_us": open.p50_us,
                "p99_us": open.p99_us, "barrier_rounds_per_sec": rounds as f64 / duration.as_secs_f64() })
    );
    Ok(())
}

/// `rate` reads per second (open loop: latency from each request's scheduled start).
async fn open_loop(clients: &Clients, rate: f64, duration: Duration) -> anyhow::Result<bench::load::LoadResult> {
    let clients = clients.clone();
    bench::load::open_loop(rate, duration, move |n| {
        let mut c = clients[(n as usize) % clients.len()].clone();
        let order = (n as i64 * 104_729 % ORDERS) + 1;
        async move { c.get_order_timeline(request(order)).await.is_ok() }
    })
    .await
}

/// Runs this bench again as a child in `mode`; its req/s and exported spans.
fn run_child(mode: &str, seconds: u64, concurrency: usize) -> anyhow::Result<(f64, Option<u64>, u64)> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args([seconds.to_string(), concurrency.to_string()])
        .env(TRACING_CHILD, mode)
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(out.status.success(), "the {mode} tracing run failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v.get("tracing_child").is_some())
        .ok_or_else(|| anyhow::anyhow!("the {mode} tracing run printed no result"))?;
    Ok((line["per_sec"].as_f64().unwrap_or(0.0), line["spans_exported"].as_u64(), line["count"].as_u64().unwrap_or(0)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(8);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let duration = Duration::from_secs(seconds);
    if let Ok(mode) = std::env::var(TRACING_CHILD) {
        return tracing_child(&mode, concurrency, duration).await;
    }

    if let Some(rate) = std::env::var(OPEN_ONLY).ok().and_then(|r| r.parse::<f64>().ok()) {
        return open_only(rate, concurrency, duration).await;
    }

    let echo = bench::echo::run(duration).await?;
    let echo_rate = echo["results"]["B_echo"]["per_sec"].as_f64().unwrap_or(0.0);
    let echo_p99 = echo["results"]["B_echo"]["p99_us"].as_u64().unwrap_or(0);

    let Served { env, _sandbox, clients, view, stop, task } = serve().await?;
    let (closed, closed_from_memory) = closed(&clients, &view, concurrency, duration).await?;
    let rate = (closed.per_sec * 0.7).max(1.0);
    // At 70 % of that rate (open loop: latency from each request's scheduled start).
    let (open_memory, open_rounds) = (view.reads_from_memory(), view.rounds());
    let open = open_loop(&clients, rate, duration).await?;
    let (open_memory, open_rounds) = (view.reads_from_memory() - open_memory, view.rounds() - open_rounds);
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
    // Tracing at 10 % sampling (target 2): the same closed loop in processes of their own, each
    // with the production subscriber, never sampled or 10 % exported, in the order off, sampled,
    // sampled, off. The box's speed drifts between runs minutes apart (8 % between two
    // never-sampled runs of one `make bench`); in this order a drift that is steady over the four
    // runs weighs on both modes alike instead of counting as tracing's cost.
    let mut off_runs = Vec::new();
    let mut sampled_runs = Vec::new();
    let (mut spans, mut sampled_count) = (0, 0);
    for mode in ["off", "sampled", "sampled", "off"] {
        let (rate, exported, count) = run_child(mode, seconds, concurrency)?;
        if mode == "off" {
            off_runs.push(rate.round());
        } else {
            sampled_runs.push(rate.round());
            spans += exported.unwrap_or(0);
            sampled_count += count;
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (off_rate, sampled_rate) = (mean(&off_runs), mean(&sampled_runs));
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
        "open_loop_from_memory_share": ((open_memory as f64 / open_done.max(1) as f64) * 1000.0).round() / 1000.0,
        "open_loop_barrier_rounds_per_sec": (open_rounds as f64 / duration.as_secs_f64()).round(),
        "open_p99_over_echo_p99": if echo_p99 > 0 { ((open_p99 as f64 / echo_p99 as f64) * 100.0).round() / 100.0 } else { 0.0 },
        "pgbench_same_sql_tps": pg.tps.round(),
        "pgbench_clients": POOL,
        "ratio_to_pgbench": ((closed.per_sec / pg.tps.max(1.0)) * 1000.0).round() / 1000.0,
        "tracing_off_per_sec": off_rate.round(),
        "tracing_sampled_per_sec": sampled_rate.round(),
        "tracing_runs_order": "off, sampled, sampled, off",
        "tracing_off_runs_per_sec": off_runs,
        "tracing_sampled_runs_per_sec": sampled_runs,
        "tracing_sample_ratio": 0.1,
        "tracing_sampled_requests": sampled_count,
        "tracing_spans_exported": spans,
        "tracing_cost": if off_rate > 0.0 { ((1.0 - sampled_rate / off_rate) * 1000.0).round() / 1000.0 } else { 0.0 },
        "from_memory_share": ((closed_from_memory as f64 / closed.count.max(1) as f64) * 1000.0).round() / 1000.0,
        "orders": ORDERS,
        "events_per_order": EVENTS,
    });
    println!("{line}");
    Ok(())
}
