//! Terminal payments under load (BENCHMARKS target 4): N terminals at the in-process Nets
//! sandbox in auto-approve mode, each paying back to back through the gateway binary (a child
//! process, release build, with the service's default pools unless `TG_BENCH_DB_CONNECTIONS` or
//! `TG_BENCH_RECORD_CONNECTIONS` say otherwise), one gRPC connection per 25 callers. Every payment is started,
//! watched (gRPC stream), approved by the terminal 300–800 ms later, and seen by the watcher. Reports payments/s, p50/p99 from the
//! terminal's approval (its finish time in the sandbox, same wall clock) to the watcher
//! receiving it, StartPayment's latency, and the gateway's peak RSS (VmHWM). The payments table
//! holds history (20 finished payments per terminal by default, `TG_BENCH_HISTORY`) and has
//! statistics, as in service. Prints one JSON object.
//!
//!
//! Then target 3 ("write RPC") for `StartPayment`: 8 closed-loop callers start payments on
//! terminals of their own (`TG_BENCH_WRITE_TERMINALS`, default 3,000, approving 100–300 ms
//! later, each reused only seconds after its last payment ended) for the maximum rate, `pgbench`
//! runs the RPC's SQL at the same concurrency (caller journal, request-id and terminal reads,
//! the holder check, the reference, the payment and its outbox row) on copies of the tables it
//! touches, rows and indexes included (the running gateway would work on its rows), then an
//! open loop at 70 % of the maximum gives the p99. StartPayment also asks Nets for the
//! terminal's state (one HTTP call to the sandbox) and starts the purchase in the background;
//! pgbench has neither, so the ratio includes the partner call.
//!
//! `cargo bench -p terminal-gateway --bench payments -- [terminals] [seconds]` (default 500, 20).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "benchmark driver")]

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::load::LoadResult;
use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;
use kit::grpc::client::TracedChannel;
use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_client::TerminalPaymentServiceClient;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use sandbox::nets::{AutoMode, NetsTerminalSeed};
use sandbox::{Sandbox, SandboxConfig, System};
use serde_json::json;
use testkit::TestEnv;

/// Terminals approve 300–800 ms after the start (customers differ; approvals do not arrive in
/// lockstep), so the watcher is attached before.
fn approve_ms(i: usize) -> u64 {
    300 + (i as u64 * 7919) % 500
}
/// Callers per gRPC connection (a POS fleet is many clients, not one HTTP/2 connection).
const WORKERS_PER_CHANNEL: usize = 25;
const USER: &str = "bench-user";
const PASSWORD: &str = "bench-password";

/// When the gateway recorded an approval, and when the watcher received it.
type Seen = (DateTime<Utc>, DateTime<Utc>);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let terminals: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(500);
    let secs: u64 = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(20);

    let write_terminals: usize =
        std::env::var("TG_BENCH_WRITE_TERMINALS").ok().and_then(|v| v.parse().ok()).unwrap_or(3_000);

    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await?;
    let admin = sandbox.client();
    admin.nets_add_account(USER, PASSWORD).await?;
    for i in 0..terminals {
        let seed = NetsTerminalSeed {
            mode: AutoMode::Approve { after_ms: approve_ms(i) },
            ..NetsTerminalSeed::new(&format!("B-{i}"), USER)
        };
        admin.nets_add_terminal(&seed).await?;
    }
    for i in 0..write_terminals {
        let seed = NetsTerminalSeed {
            mode: AutoMode::Approve { after_ms: 100 + (i as u64 * 7919) % 200 },
            ..NetsTerminalSeed::new(&format!("W-{i}"), USER)
        };
        admin.nets_add_terminal(&seed).await?;
    }
    let env = TestEnv::new().await?;
    let Gateway { mut child, grpc, admin: admin_url, pool, record_pool } =
        spawn_gateway(&env, &sandbox.url(System::Nets)).await?;
    let pid = child.id().unwrap_or(0);
    let channel = connect(&grpc).await?;
    let mut t = TerminalServiceClient::new(channel.clone());
    t.set_nets_credentials(pb::SetNetsCredentialsRequest {
        tenant_id: "bench".into(),
        username: USER.into(),
        password: PASSWORD.into(),
        verify: true,
    })
    .await?;
    let ids = (0..terminals).map(|i| format!("B-{i}")).chain((0..write_terminals).map(|i| format!("W-{i}")));
    for (i, id) in ids.enumerate() {
        t.register_terminal(pb::RegisterTerminalRequest {
            tenant_id: "bench".into(),
            terminal_id: id.clone(),
            display_name: format!("Bench {id}"),
            pos: format!("POS-{}", i % 10),
            active: true,
            currency: "CHF".into(),
            time_zone: "Europe/Zurich".into(),
        })
        .await?;
    }

    // A gateway in service has history: finished payments per terminal, and table statistics
    // (autovacuum's ANALYZE). On a never-analysed, empty table Postgres's generic plan for the
    // request-id lookup picks the (tenant, order) index and scans the tenant's whole history.
    let history: i64 = std::env::var("TG_BENCH_HISTORY").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    {
        let db = sqlx::PgPool::connect(&env.database_url).await?;
        sqlx::query(
            "INSERT INTO terminal_gateway.payments (id, tenant_id, request_id, order_id, amount_minor, currency, \
             terminal_id, method, state, outcome_reason, version, created_at, updated_at, nets_ref, time_zone) \
             SELECT gen_random_uuid(), 'bench', 'h' || t || '-' || n, 'HO' || t || '-' || n, 100 + n, 'CHF', \
             'B-' || t, 'terminal', 'approved', 'approved', 2, now() - make_interval(days => n::int), \
             now() - make_interval(days => n::int), 'H' || t || '-' || n, 'Europe/Zurich' \
             FROM generate_series(0, $1 - 1) t, generate_series(1, $2) n",
        )
        .bind(terminals as i64)
        .bind(history)
        .execute(&db)
        .await?;
        sqlx::query("ANALYZE terminal_gateway.payments").execute(&db).await?;
        sqlx::query("ANALYZE terminal_gateway.terminals").execute(&db).await?;
        db.close().await;
    }

    // Payment reference (Nets orderId) → (when the gateway recorded the approval, when the
    // watcher received it).
    let seen: Arc<Mutex<HashMap<String, Seen>>> = Arc::default();
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    // StartPayment latencies (µs): the answers' record lane must not make starts slow.
    let starts: Arc<Mutex<Histogram<u64>>> = Arc::new(Mutex::new(Histogram::new(3)?));
    let mut channels = Vec::new();
    for _ in 0..terminals.div_ceil(WORKERS_PER_CHANNEL) {
        channels.push(connect(&grpc).await?);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let workers: Vec<_> = (0..terminals)
        .map(|i| {
            let client = TerminalPaymentServiceClient::new(channels[i / WORKERS_PER_CHANNEL].clone());
            let (seen, errors, starts) = (seen.clone(), errors.clone(), starts.clone());
            tokio::spawn(async move {
                // Cashiers do not all press "pay" in the same millisecond.
                tokio::time::sleep(Duration::from_millis(i as u64 % 500)).await;
                let mut n = 0;
                while Instant::now() < deadline {
                    n += 1;
                    match pay(client.clone(), i, n, &starts).await {
                        Ok(Some((r, recorded, at))) => {
                            seen.lock().unwrap().insert(r, (recorded, at));
                        }
                        Ok(None) => {}
                        Err(e) => {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            eprintln!("payment failed: {e}");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let metrics = reqwest::get(format!("{admin_url}/metrics")).await?.text().await?;
    let record_mean_ms = mean_ms(&metrics, "payops_terminal_payment_record_seconds");
    let peak_rss_mib = testkit::procstat::peak_rss_mib(pid).unwrap_or(0.0);
    let cpu_secs = testkit::procstat::cpu_seconds(pid, true).unwrap_or(0.0);
    let write = write_rpc(&env, &grpc, pid, pool, write_terminals, Duration::from_secs(10)).await?;
    child.start_kill()?;
    let _ = child.wait().await;

    let finished: HashMap<String, DateTime<Utc>> = admin
        .nets_transactions()
        .await?
        .transactions
        .into_iter()
        .filter_map(|t| Some((t.order_id?, t.finished_at?)))
        .collect();
    let mut hist = Histogram::<u64>::new(3)?;
    let mut to_record = Histogram::<u64>::new(3)?;
    let mut to_watcher = Histogram::<u64>::new(3)?;
    let us = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_microseconds().unwrap_or(0).max(0) as u64;
    let seen = seen.lock().unwrap();
    for (r, (recorded, at)) in seen.iter() {
        if let Some(done) = finished.get(r) {
            hist.record(us(*done, *at))?;
            to_record.record(us(*done, *recorded))?;
            to_watcher.record(us(*recorded, *at))?;
        }
    }
    let result = json!({
        "name": "terminal-gateway",
        "terminals": terminals,
        "seconds": secs,
        "payments": hist.len(),
        "payments_per_sec": hist.len() as f64 / elapsed,
        "errors": errors.load(std::sync::atomic::Ordering::Relaxed),
        "approve_after_ms": "300-800",
        "approval_to_watcher_p50_ms": hist.value_at_quantile(0.5) as f64 / 1000.0,
        "approval_to_watcher_p99_ms": hist.value_at_quantile(0.99) as f64 / 1000.0,
        "approval_to_watcher_max_ms": hist.max() as f64 / 1000.0,
        "approval_to_record_p50_ms": to_record.value_at_quantile(0.5) as f64 / 1000.0,
        "approval_to_record_p99_ms": to_record.value_at_quantile(0.99) as f64 / 1000.0,
        "record_to_watcher_p50_ms": to_watcher.value_at_quantile(0.5) as f64 / 1000.0,
        "record_to_watcher_p99_ms": to_watcher.value_at_quantile(0.99) as f64 / 1000.0,
        "bench_process_cpu_seconds": testkit::procstat::cpu_seconds(std::process::id(), false),
        "gateway_record_mean_ms": record_mean_ms,
        "start_payment_p50_ms": starts.lock().unwrap().value_at_quantile(0.5) as f64 / 1000.0,
        "start_payment_p99_ms": starts.lock().unwrap().value_at_quantile(0.99) as f64 / 1000.0,
        "gateway_peak_rss_mb": peak_rss_mib,
        "gateway_cpu_seconds": cpu_secs,
        "gateway_cpu_ms_per_payment": if hist.is_empty() { 0.0 } else { cpu_secs * 1000.0 / hist.len() as f64 },
        "load_average_1m": load_average(),
        "gateway_db_connections": pool,
        "gateway_record_connections": record_pool,
        "start_rpc": write,
    });
    println!("{result}");
    Ok(())
}

/// Starts, watches and waits for one payment; returns its Nets reference, when the gateway
/// recorded the approval and when the watcher saw it (`None` when the approval came before the
/// watcher was attached).
async fn pay(
    mut client: TerminalPaymentServiceClient<TracedChannel>,
    terminal: usize,
    n: usize,
    starts: &Mutex<Histogram<u64>>,
) -> anyhow::Result<Option<(String, DateTime<Utc>, DateTime<Utc>)>> {
    let start = pb::StartPaymentRequest {
        tenant_id: "bench".into(),
        request_id: format!("r{terminal}-{n}"),
        order_id: format!("O{terminal}-{n}"),
        amount: Some(Money { amount_minor: 100 + n as i64, currency: "CHF".into() }),
        terminal_id: format!("B-{terminal}"),
        workstation_id: String::new(),
    };
    let asked = Instant::now();
    let p = client.start_payment(start).await?.into_inner().payment.unwrap_or_default();
    starts.lock().unwrap().record(asked.elapsed().as_micros() as u64)?;
    let watch = pb::WatchPaymentRequest { tenant_id: "bench".into(), payment_id: p.payment_id.clone() };
    let mut stream = client.watch_payment(watch).await?.into_inner();
    let mut attached_before = false;
    while let Some(msg) = stream.message().await? {
        let now = Utc::now();
        let payment = msg.payment.unwrap_or_default();
        if payment.state == pb::PaymentState::Waiting as i32 {
            attached_before = true;
            continue;
        }
        if payment.state != pb::PaymentState::Approved as i32 {
            anyhow::bail!("payment ended as {:?}", payment.outcome);
        }
        let reference = payment.nets_order_ref.clone();
        let recorded =
            payment.updated_at.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32)).unwrap_or(now);
        return Ok(attached_before.then_some((reference, recorded, now)));
    }
    anyhow::bail!("watch ended without an outcome")
}

/// The running gateway: its process, gRPC and admin URLs, and its two pools' sizes.
struct Gateway {
    child: tokio::process::Child,
    grpc: String,
    admin: String,
    /// `DB_MAX_CONNECTIONS` in effect (starts, watch reads, the supervisor, the relay).
    pool: u32,
    /// `DB_RECORD_CONNECTIONS` in effect (recording what terminals answered).
    record_pool: u32,
}

/// Starts the gateway binary with its own defaults for everything but addresses and
/// credentials; `TG_BENCH_DB_CONNECTIONS` and `TG_BENCH_RECORD_CONNECTIONS` override the two
/// pools. The pool sizes in effect are read through the service's own configuration.
async fn spawn_gateway(env: &TestEnv, nets: &str) -> anyhow::Result<Gateway> {
    let port = |()| std::net::TcpListener::bind("127.0.0.1:0").map(|l| l.local_addr().map(|a| a.port()));
    let (grpc, admin) = (port(())??, port(())??);
    let mut vars = kit::config::Env::from_pairs([
        ("DATABASE_URL", env.database_url.clone()),
        ("NATS_URL", env.nats_url.clone()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("EVENTS_PREFIX", env.prefix.clone()),
        ("EVENTS_STREAM", env.stream.clone()),
        ("GRPC_ADDR", format!("127.0.0.1:{grpc}")),
        ("ADMIN_ADDR", format!("127.0.0.1:{admin}")),
        ("NETS_BASE_URL", nets.to_owned()),
        ("CREDENTIALS_KEY", "7".repeat(64)),
        ("LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
    ]);
    for (bench, service) in
        [("TG_BENCH_DB_CONNECTIONS", "DB_MAX_CONNECTIONS"), ("TG_BENCH_RECORD_CONNECTIONS", "DB_RECORD_CONNECTIONS")]
    {
        if let Ok(v) = std::env::var(bench) {
            vars.set(service, v);
        }
    }
    let config =
        terminal_gateway::config::Config::from_env(&vars).map_err(|e| anyhow::anyhow!("{}: {}", e.var, e.reason))?;
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_payops-terminal-gateway"))
        .env_clear()
        .envs(std::env::vars().filter(|(k, _)| k == "PATH" || k == "HOME"))
        .envs(vars.iter())
        .kill_on_drop(true)
        .spawn()?;
    let http = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if let Ok(r) = http.get(format!("http://127.0.0.1:{admin}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(Gateway {
                child,
                grpc: format!("http://127.0.0.1:{grpc}"),
                admin: format!("http://127.0.0.1:{admin}"),
                pool: config.common.db.max_connections,
                record_pool: config.record_connections,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("gateway not ready within 60 s")
}

async fn connect(url: &str) -> anyhow::Result<TracedChannel> {
    Ok(testkit::grpc_channel(url))
}

/// Mean of a Prometheus histogram in milliseconds (`_sum / _count`, all label sets).
fn mean_ms(text: &str, name: &str) -> f64 {
    let total = |suffix: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{suffix}")))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let count = total("_count");
    if count == 0.0 { 0.0 } else { total("_sum") * 1000.0 / count }
}

/// The 1-minute load average, to judge how busy the shared box was during the run.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg").ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

/// Concurrent callers of the write-RPC measurement (target 3), and pgbench's clients.
const START_CALLERS: usize = 8;

/// Target 3 for `StartPayment`: the maximum rate at [`START_CALLERS`] closed-loop callers, pgbench
/// on the same SQL at the same concurrency, the p99 of an open loop at 70 % of the maximum, and
/// pgbench's p99 on the same SQL at that rate.
async fn write_rpc(
    env: &TestEnv,
    grpc: &str,
    gateway: u32,
    pool: u32,
    terminals: usize,
    d: Duration,
) -> anyhow::Result<serde_json::Value> {
    use testkit::procstat::{cpu_seconds, cpu_seconds_named};
    let channel = connect(grpc).await?;
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    closed_loop(&channel, &next, terminals, Duration::from_secs(2)).await?;
    // CPU per start while the maximum is measured: each start also drives its purchase to the
    // end (Nets call, the sandbox's terminal, the recorded answer, its outbox row relayed).
    let cpu = || {
        (
            cpu_seconds(gateway, true).unwrap_or(0.0),
            cpu_seconds_named("postgres").unwrap_or(0.0),
            cpu_seconds(std::process::id(), false).unwrap_or(0.0),
        )
    };
    let before = cpu();
    let max = closed_loop(&channel, &next, terminals, d).await?;
    let after = cpu();
    let starts = (max.per_sec * d.as_secs_f64()).max(1.0);
    let per_start = |a: f64, b: f64| ((b - a) * 1e6 / starts).round() / 1000.0;
    pgbench_tables(&env.database_url).await?;
    let pg_before = cpu_seconds_named("postgres").unwrap_or(0.0);
    let pg = bench::pgbench::run(&env.database_url, PGBENCH_SCHEMA, START_SQL, START_CALLERS, d.as_secs(), false)?;
    let pg_cpu = cpu_seconds_named("postgres").unwrap_or(0.0) - pg_before;
    let rate = (max.per_sec * 0.7).max(1.0);
    let fixed = open_loop(&channel, &next, terminals, rate, d).await?;
    // The same SQL through pgbench at the same fixed rate, with the gateway's connections and
    // protocol (its pool size, prepared statements as sqlx): the p99 Postgres alone gives there.
    let pg_fixed = bench::pgbench::run_at_rate(
        &env.database_url,
        PGBENCH_SCHEMA,
        START_SQL,
        pool as usize,
        rate,
        d.as_secs(),
        true,
    )?;
    Ok(json!({
        "what": "StartPayment RPC: caller journal, request-id/terminal/holder reads, Nets terminal state, one transaction (reference, payment, outbox row)",
        "concurrency": START_CALLERS,
        "terminals": terminals,
        "rpc_per_sec": max.per_sec.round(),
        "rpc_p50_us": max.p50_us,
        "rpc_p99_us": max.p99_us,
        "rpc_errors": max.errors,
        "pgbench_same_sql_tps": pg.tps.round(),
        "ratio_vs_pgbench": (max.per_sec / pg.tps.max(1.0) * 1000.0).round() / 1000.0,
        "cpu_ms_per_start": {
            "gateway": per_start(before.0, after.0),
            "postgres": per_start(before.1, after.1),
            "bench_process_with_sandbox": per_start(before.2, after.2),
        },
        "pgbench_postgres_cpu_ms_per_tx": (pg_cpu * 1e6 / (pg.tps * d.as_secs_f64()).max(1.0)).round() / 1000.0,
        "fixed_rate_per_sec": rate.round(),
        "fixed_rate_achieved_per_sec": fixed.per_sec.round(),
        "fixed_rate_p50_us": fixed.p50_us,
        "fixed_rate_p99_us": fixed.p99_us,
        "fixed_rate_errors": fixed.errors,
        "pgbench_fixed_rate_clients": pool,
        "pgbench_fixed_rate_per_sec": pg_fixed.tps.round(),
        "pgbench_fixed_rate_p50_us": pg_fixed.p50_us,
        "pgbench_fixed_rate_p99_us": pg_fixed.p99_us,
    }))
}

/// The schema pgbench runs StartPayment's SQL in: copies of the tables the RPC touches.
const PGBENCH_SCHEMA: &str = "tg_pgbench";

/// Copies the tables StartPayment's SQL touches (columns, defaults, indexes and rows, then
/// statistics) and its sequence into [`PGBENCH_SCHEMA`]. pgbench's rows in the gateway's own
/// tables were worked on by the running gateway: its relay claimed their outbox rows and failed
/// to publish them (their subjects are outside the bench's stream) again and again with backoff,
/// and its supervisor would take over their payments once their leases expired — extra load in
/// the open loop and in pgbench's own runs, which neither measures.
async fn pgbench_tables(database_url: &str) -> anyhow::Result<()> {
    let db = sqlx::PgPool::connect(database_url).await?;
    sqlx::query(&format!("CREATE SCHEMA {PGBENCH_SCHEMA}")).execute(&db).await?;
    for table in ["caller_journal", "payments", "terminals", "outbox"] {
        for sql in [
            format!("CREATE TABLE {PGBENCH_SCHEMA}.{table} (LIKE terminal_gateway.{table} INCLUDING ALL)"),
            format!("INSERT INTO {PGBENCH_SCHEMA}.{table} SELECT * FROM terminal_gateway.{table}"),
            format!("ANALYZE {PGBENCH_SCHEMA}.{table}"),
        ] {
            sqlx::query(&sql).execute(&db).await?;
        }
    }
    sqlx::query(&format!("CREATE SEQUENCE {PGBENCH_SCHEMA}.nets_order_ref")).execute(&db).await?;
    db.close().await;
    Ok(())
}

/// StartPayment's SQL for pgbench: each run a new request on a terminal of its own.
const START_SQL: &str = "\\set n random(1, 1000000000000)\n\
    INSERT INTO caller_journal (at, caller, method, tenant_id, request_id, payment_id) VALUES (now(), 'bench', 'StartPayment', 'bench', 'pg-' || :n, '');\n\
    SELECT id, kind, refund_of, nets_ref, time_zone, tenant_id, request_id, order_id, amount_minor, currency, terminal_id, \
      workstation_id, method, state, outcome_reason, outcome_detail, cancel_requested, card, late_approval, version, deadline, \
      owner, lease_until, detached, holds_terminal, void_state, answer_lost_at, probes, created_at, updated_at \
      FROM payments WHERE tenant_id = 'bench' AND request_id = 'pg-' || :n;\n\
    SELECT tenant_id, terminal_id, display_name, pos, active, currency, time_zone, last_error, last_error_at, \
      consecutive_failures, created_at FROM terminals WHERE tenant_id = 'bench' AND terminal_id = 'W-' || (:n::bigint % 3000);\n\
    SELECT id FROM payments WHERE tenant_id = 'bench' AND terminal_id = 'PG-' || :n AND holds_terminal;\n\
    BEGIN;\n\
    SELECT nextval('nets_order_ref');\n\
    INSERT INTO payments (id, tenant_id, request_id, order_id, amount_minor, currency, terminal_id, workstation_id, method, \
      state, outcome_reason, outcome_detail, card, version, deadline, owner, lease_until, created_at, updated_at, kind, \
      refund_of, nets_ref, time_zone, holds_terminal) VALUES (gen_random_uuid(), 'bench', 'pg-' || :n, 'PGO' || :n, 100, \
      'CHF', 'PG-' || :n, NULL, 'terminal', 'waiting', NULL, NULL, NULL, 1, now() + interval '3 minutes', 'bench', \
      now() + interval '30 seconds', now(), now(), 'purchase', NULL, 'pg' || :n, 'Europe/Zurich', true);\n\
    INSERT INTO outbox (id, subject, order_id, event_type, envelope, headers) VALUES (gen_random_uuid(), \
      'payops.events.terminal-gateway.PGO' || :n || '.terminal_payment_started', 'PGO' || :n, 'terminal_payment_started', \
      decode(repeat('ab', 420), 'hex'), '{}');\n\
    COMMIT;\n";

/// One StartPayment on terminal `W-(n mod terminals)`; true when it was accepted.
async fn start(client: &mut TerminalPaymentServiceClient<TracedChannel>, n: u64, terminals: usize) -> bool {
    let req = pb::StartPaymentRequest {
        tenant_id: "bench".into(),
        request_id: format!("w{n}"),
        order_id: format!("WO{n}"),
        amount: Some(Money { amount_minor: 100 + (n % 1000) as i64, currency: "CHF".into() }),
        terminal_id: format!("W-{}", n % terminals as u64),
        workstation_id: String::new(),
    };
    match client.start_payment(req).await {
        Ok(r) => r.into_inner().created,
        Err(e) => {
            eprintln!("start failed: {e}");
            false
        }
    }
}

/// [`START_CALLERS`] callers starting payments back to back.
async fn closed_loop(
    channel: &TracedChannel,
    next: &Arc<std::sync::atomic::AtomicU64>,
    terminals: usize,
    d: Duration,
) -> anyhow::Result<LoadResult> {
    let (channel, next) = (channel.clone(), next.clone());
    bench::load::closed_loop(START_CALLERS, d, move || {
        let mut client = TerminalPaymentServiceClient::new(channel.clone());
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move { start(&mut client, n, terminals).await }
    })
    .await
}

/// Starts at a fixed `rate` (latency from each call's scheduled time).
async fn open_loop(
    channel: &TracedChannel,
    next: &Arc<std::sync::atomic::AtomicU64>,
    terminals: usize,
    rate: f64,
    d: Duration,
) -> anyhow::Result<LoadResult> {
    bench::load::open_loop(rate, d, |_| {
        let mut client = TerminalPaymentServiceClient::new(channel.clone());
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        async move { start(&mut client, n, terminals).await }
    })
    .await
}
