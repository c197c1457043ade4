//! `cargo bench -p pixi-sync --bench sync [-- ORDERS]`: the real service binary (default
//! polling, its own process) against the sandbox at zero latency (in this process, on a runtime
//! of its own), on real Postgres and NATS, in three phases:
//!
//! 1. **Ceiling**: the partner calls per second the sandbox serves at the service's order
//!    concurrency, through the service's own clients (`pixiGetOrderHeader`, unzer
//!    `GET /v1/payments/{id}`).
//! 2. **Steady rate** (target 4): `PIXI_SYNC_BENCH_RATE` orders/s (20) arrive for
//!    `PIXI_SYNC_BENCH_STEADY_SECS` (300); each is imported, shipped once released and 8 s
//!    after its arrival, and credited 8 s later. Latency from the pixi change (shipment, credit
//!    note) to the unzer call it causes, from the sandbox's own timestamps.
//! 3. **Burst**: ORDERS (10 000) imported at once, then all shipped, then all credited: the
//!    backlog figure.
//!
//! Per phase: partner calls per order (from the service's `payops_external_requests_total`),
//! CPU ms per order of pixi-sync, the sandbox, Postgres and NATS, and the service's peak RSS.
//! Prints one JSON line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "bench driver")]

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use futures::StreamExt;
use hdrhistogram::Histogram;
use kit::outbound::{Outbound, OutboundConfig};
use pixi_sync::domain::quiet::QuietWindow;
use pixi_sync::pixi::{Caps, PixiClient, PixiTarget};
use pixi_sync::unzer::{PrivateKey, UnzerClient};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use sandbox::pixi::{Address, CreditNoteRequest, SeedLine, SeedOrder, Ship};
use sandbox::unzer::{NewMerchant, PayKind, SeedOutcome, SeedPayment, TxnType};
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use sqlx::PgPool;
use testkit::{TestEnv, procstat};

const USER: &str = "bench-api";
const PASS: &str = "bench-pass";
const PARALLEL: usize = 32;
/// Thread name prefix of the sandbox's runtime (its CPU is read per thread).
const SANDBOX_THREADS: &str = "sandbox";
/// A steady-phase order is shipped this long after it arrives (once pixi-sync released it),
/// and credited this long after the shipment.
const STEP: Duration = Duration::from_secs(8);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let rate: u64 = env_or("PIXI_SYNC_BENCH_RATE", 20);
    let steady_secs: u64 = env_or("PIXI_SYNC_BENCH_STEADY_SECS", 300);
    let ceiling_secs: u64 = env_or("PIXI_SYNC_BENCH_CEILING_SECS", 5);
    let env = TestEnv::new().await?;
    // The sandbox runs on a runtime of its own so its CPU time is told apart from the driver's.
    let sandbox_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SANDBOX_THREADS)
        .enable_all()
        .build()?;
    let sb = sandbox_rt.spawn(Sandbox::start(SandboxConfig::ephemeral())).await??;
    let admin = sb.client();
    admin.pixi_user(USER, PASS).await?;
    let merchant = admin.unzer_create_merchant(&NewMerchant::default()).await?;

    let port = || std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port());
    let (grpc_port, admin_port) = (port()?, port()?);
    let mut vars = env.service_env("pixi_sync");
    for (k, v) in [
        ("PIXI_SYNC_SECRET_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".to_owned()),
        ("UNZER_SANDBOX_BASE_URL", sb.url(System::Unzer)),
        ("UNZER_PRODUCTION_BASE_URL", sb.url(System::Unzer)),
        // No PUBLIC_BASE_URL: no webhooks are registered. A burst of 10 000 seeded checkouts
        // would make the sandbox push ~20 000 webhooks at once, which is not what unzer does;
        // the bench measures the reaction to pixi changes.
        ("PUBLIC_ADDR", format!("127.0.0.1:{}", port()?)),
        ("CONSOLE_ADDR", format!("127.0.0.1:{}", port()?)),
        ("GRPC_ADDR", format!("127.0.0.1:{grpc_port}")),
        ("ADMIN_ADDR", format!("127.0.0.1:{admin_port}")),
        ("LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into())),
        ("DB_MAX_CONNECTIONS", "16".to_owned()),
        // No pixi requests in the quiet window (PX-22, its own tests prove it): the bench puts
        // the window twelve hours away from its run, so it measures the same at any hour.
        ("PIXI_QUIET_WINDOW", quiet_window_away()),
    ] {
        vars.set(k, v);
    }
    for k in ["POLL_INTERVAL", "ORDER_CONCURRENCY", "SYNC_BATCH"] {
        if let Ok(v) = std::env::var(format!("BENCH_{k}")) {
            vars.set(k, v);
        }
    }
    let config = pixi_sync::config::Config::from_env(&vars)?;
    let (poll, concurrency) = (config.poll_interval, config.order_concurrency);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_payops-pixi-sync"))
        .env_clear()
        .envs(vars.iter())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    let grpc = format!("http://127.0.0.1:{grpc_port}");
    let metrics_url = format!("http://127.0.0.1:{admin_port}/metrics");
    ready(&format!("http://127.0.0.1:{admin_port}/readyz")).await?;
    let pool = PgPool::connect(&env.database_url).await?;

    // Tenant, pixi API configuration and an expert-mode card configuration, through the API.
    let mut tenants = TenantServiceClient::new(testkit::grpc_channel(&grpc));
    let tenant =
        tenants.create_tenant(pb::CreateTenantRequest { name: "Bench AG".into() }).await?.into_inner().tenant.unwrap();
    let endpoint = format!("{}/soap/{USER}/", sb.url(System::Pixi));
    let api = tenants
        .save_pixi_api_config(pb::SavePixiApiConfigRequest {
            tenant_id: tenant.tenant_id.clone(),
            pixi_api_config_id: String::new(),
            name: "live".into(),
            endpoint: endpoint.clone(),
            user: USER.into(),
            password: PASS.into(),
            active: true,
            timezone: "Europe/Berlin".into(),
        })
        .await?
        .into_inner()
        .config
        .unwrap();
    PaymentConfigServiceClient::new(testkit::grpc_channel(&grpc))
        .save_payment_config(pb::SavePaymentConfigRequest {
            payment_config_id: String::new(),
            tenant_id: tenant.tenant_id.clone(),
            pixi_api_config_id: api.pixi_api_config_id.clone(),
            mandant: "DEM".into(),
            payment_method: "UNZERCC".into(),
            active: true,
            invoice_booking_event: "UZE".into(),
            return_booking_event: "UZR".into(),
            xml_tag: "UNZERCARD".into(),
            rounding_tolerance_minor: 0,
            unzer_public_key: merchant.public_key.clone(),
            unzer_private_key: merchant.private_key.clone(),
            mode: pb::Mode::Expert as i32,
            copy_from_payment_config_id: String::new(),
        })
        .await?;

    // Phase 1: the partner-call ceiling, on one seeded order, before any load.
    let (probe_nr, probe_payment) = seed(&admin, &merchant.private_key, usize::MAX).await?;
    let pixi = PixiClient::new(
        Outbound::new("pixi", &OutboundConfig::with_timeout(Duration::from_secs(10)))?,
        PixiTarget { endpoint, user: USER.into(), password: PASS.to_owned().into(), tz: chrono_tz::Europe::Berlin },
        kit::clock::SystemClock::shared(),
        quiet_window_away().parse::<QuietWindow>().map_err(|e| anyhow::anyhow!(e))?,
        Caps::default(),
    );
    let unzer = UnzerClient::new(
        Outbound::new("unzer", &OutboundConfig::with_timeout(Duration::from_secs(10)))?,
        &sb.url(System::Unzer),
        &sb.url(System::Unzer),
    );
    let key = PrivateKey(merchant.private_key.clone().into());
    let ceiling = Duration::from_secs(ceiling_secs);
    let pixi_ceiling = calls_per_sec(concurrency, ceiling, || async {
        pixi.order_header(probe_nr).await?.ok_or_else(|| anyhow::anyhow!("order {probe_nr} unknown"))?;
        Ok(())
    })
    .await?;
    let unzer_ceiling = calls_per_sec(concurrency, ceiling, || async {
        unzer.payment(&key, &probe_payment).await?;
        Ok(())
    })
    .await?;
    // pixi-sync releases the probe order too.
    wait(&pool, 1, RELEASED).await;

    // Phase 2: orders arriving at a steady rate.
    let steady_n = usize::try_from(rate * steady_secs)?;
    let before = Snapshot::take(pid, &metrics_url).await?;
    let errors = Arc::new(AtomicU64::new(0));
    let steady_started = Instant::now();
    let tasks: Vec<_> = (0..steady_n)
        .map(|i| {
            let (admin, key, errors) = (admin.clone(), merchant.private_key.clone(), errors.clone());
            let arrival = steady_started + Duration::from_micros(i as u64 * 1_000_000 / rate.max(1));
            tokio::spawn(async move {
                tokio::time::sleep_until(arrival.into()).await;
                match lifecycle(&admin, &key, i, arrival).await {
                    Ok(nr) => Some(nr),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("steady order {i}: {e:#}");
                        None
                    }
                }
            })
        })
        .collect();
    let mut steady_nrs = HashSet::new();
    for t in tasks {
        if let Some(nr) = t.await? {
            steady_nrs.insert(nr);
        }
    }
    wait(&pool, steady_nrs.len(), REFUNDED).await;
    let steady_elapsed = steady_started.elapsed();
    let steady = Snapshot::take(pid, &metrics_url).await?.since(&before);

    // Phase 3: the burst. The shop imports N orders (HOLD, authorised card payments); pixi-sync
    // releases them.
    let before = Snapshot::take(pid, &metrics_url).await?;
    let released_before = count(&pool, RELEASED).await?;
    let charged_before = count(&pool, CHARGED).await?;
    let refunded_before = count(&pool, REFUNDED).await?;
    let started = Instant::now();
    let nrs: Vec<i64> = futures::stream::iter(0..n)
        .map(|i| {
            let admin = admin.clone();
            let key = merchant.private_key.clone();
            async move { seed(&admin, &key, steady_n + i).await.map(|(nr, _)| nr) }
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let seeded = started.elapsed();
    wait(&pool, released_before + n, RELEASED).await;
    let release = started.elapsed();

    // The warehouse ships every order (one invoice each); pixi-sync captures it.
    let ship_started = Instant::now();
    each(&nrs, |nr| {
        let admin = admin.clone();
        async move { admin.pixi_ship(USER, nr, &Ship::default()).await.map(|_| ()).map_err(Into::into) }
    })
    .await?;
    wait(&pool, charged_before + n, CHARGED).await;
    let capture = ship_started.elapsed();

    // The customer returns one of the two lines (credit note); pixi-sync refunds it.
    let return_started = Instant::now();
    each(&nrs, |nr| {
        let admin = admin.clone();
        async move {
            let o = admin.pixi_order(USER, nr).await?;
            let req = CreditNoteRequest { lines: vec![o.lines[0].key], ..Default::default() };
            admin.pixi_credit_note(USER, nr, &req).await.map(|_| ()).map_err(Into::into)
        }
    })
    .await?;
    wait(&pool, refunded_before + n, REFUNDED).await;
    let returns = return_started.elapsed();
    let burst = Snapshot::take(pid, &metrics_url).await?.since(&before);
    let peak_rss = procstat::peak_rss_mib(pid);

    let burst_nrs: HashSet<i64> = nrs.iter().copied().collect();
    let delays = Delays::read(&admin, &pool).await?;
    let (steady_d, steady_rel) = delays.histograms(&steady_nrs)?;
    let (burst_d, burst_rel) = delays.histograms(&burst_nrs)?;

    let busy = release + capture + returns;
    let orders_per_sec = n as f64 / busy.as_secs_f64();
    let per_order = |s: &Snapshot, orders: usize| s.per_order(orders);
    let (burst_calls, steady_calls) = (per_order(&burst, n), per_order(&steady, steady_nrs.len()));
    // Partner load ÷ what the sandbox serves at the same concurrency: orders/s × the time each
    // order's calls take at the ceiling rates.
    let partner_ratio = orders_per_sec
        * (burst_calls.get("pixi_calls").copied().unwrap_or(0.0) / pixi_ceiling
            + burst_calls.get("unzer_calls").copied().unwrap_or(0.0) / unzer_ceiling);
    let result = serde_json::json!({
        "name": "pixi-sync",
        "orders": n,
        "orders_per_sec": round(orders_per_sec),
        "release_per_sec": round(n as f64 / release.as_secs_f64()),
        "capture_per_sec": round(n as f64 / capture.as_secs_f64()),
        "return_per_sec": round(n as f64 / returns.as_secs_f64()),
        "delay_p50_ms": burst_d.value_at_quantile(0.5),
        "delay_p99_ms": burst_d.value_at_quantile(0.99),
        "delay_max_ms": burst_d.max(),
        "delay_samples": burst_d.len(),
        "release_delay_p50_ms": burst_rel.value_at_quantile(0.5),
        "release_delay_p99_ms": burst_rel.value_at_quantile(0.99),
        "seed_secs": round(seeded.as_secs_f64()),
        "burst_per_order": burst_calls,
        "steady_rate_per_sec": rate,
        "steady_secs": steady_secs,
        "steady_orders": steady_nrs.len(),
        "steady_errors": errors.load(Ordering::Relaxed),
        "steady_elapsed_secs": round(steady_elapsed.as_secs_f64()),
        "steady_delay_p50_ms": steady_d.value_at_quantile(0.5),
        "steady_delay_p99_ms": steady_d.value_at_quantile(0.99),
        "steady_delay_max_ms": steady_d.max(),
        "steady_delay_samples": steady_d.len(),
        "steady_release_delay_p99_ms": steady_rel.value_at_quantile(0.99),
        "steady_per_order": steady_calls,
        "ceiling_pixi_calls_per_sec": round(pixi_ceiling),
        "ceiling_unzer_calls_per_sec": round(unzer_ceiling),
        "ceiling_concurrency": concurrency,
        "partner_calls_ratio": (partner_ratio * 1000.0).round() / 1000.0,
        "pixi_sync_peak_rss_mib": peak_rss.map(round),
        "pixi_sync_cpu_secs": procstat::cpu_seconds(pid, true).map(round),
        "bench_process_peak_rss_mib": procstat::peak_rss_mib(std::process::id()).map(round),
        "poll_interval_ms": poll.as_millis() as u64,
        "order_concurrency": concurrency,
    });
    println!("{result}");
    let _ = child.start_kill();
    let _ = child.wait().await;
    drop(sb);
    sandbox_rt.shutdown_background();
    Ok(())
}

/// One steady-phase order: imported at its arrival; shipped `STEP` later once pixi-sync has
/// released it; one line credited `STEP` after the shipment.
async fn lifecycle(admin: &SandboxClient, key: &str, i: usize, arrival: Instant) -> anyhow::Result<i64> {
    let (nr, _) = seed(admin, key, i).await?;
    tokio::time::sleep_until((arrival + STEP).into()).await;
    let give_up = Instant::now() + Duration::from_secs(300);
    loop {
        match admin.pixi_ship(USER, nr, &Ship::default()).await {
            Ok(_) => break,
            // On HOLD: pixi-sync has not released it yet; the warehouse waits.
            Err(sandbox::client::ClientError::Status { status: 409, .. }) if Instant::now() < give_up => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    tokio::time::sleep(STEP).await;
    let o = admin.pixi_order(USER, nr).await?;
    let req = CreditNoteRequest { lines: vec![o.lines[0].key], ..Default::default() };
    admin.pixi_credit_note(USER, nr, &req).await?;
    Ok(nr)
}

/// Calls per second `call` reaches with `concurrency` callers over `window`.
async fn calls_per_sec<F, Fut>(concurrency: usize, window: Duration, call: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let until = started + window;
    let callers = (0..concurrency.max(1)).map(|_| async {
        let mut n = 0u64;
        while Instant::now() < until {
            call().await?;
            n += 1;
        }
        anyhow::Ok(n)
    });
    let total: u64 = futures::future::try_join_all(callers).await?.into_iter().sum();
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// What the processes had used and the service had called at one moment.
struct Snapshot {
    cpu: BTreeMap<String, f64>,
    calls: BTreeMap<String, f64>,
}

impl Snapshot {
    async fn take(pid: u32, metrics_url: &str) -> anyhow::Result<Snapshot> {
        let mut cpu = BTreeMap::new();
        for (name, v) in [
            ("pixi_sync_cpu_ms", procstat::cpu_seconds(pid, true)),
            ("sandbox_cpu_ms", procstat::thread_cpu_seconds(SANDBOX_THREADS)),
            ("bench_process_cpu_ms", procstat::cpu_seconds(std::process::id(), false)),
            ("postgres_cpu_ms", procstat::cpu_seconds_named("postgres")),
            ("nats_cpu_ms", procstat::cpu_seconds_named("nats-server")),
        ] {
            if let Some(v) = v {
                cpu.insert(name.to_owned(), v * 1000.0);
            }
        }
        let text = reqwest::get(metrics_url).await?.error_for_status()?.text().await?;
        let mut calls = BTreeMap::new();
        for line in text.lines().filter(|l| l.starts_with("payops_external_requests_total{")) {
            let label = |k: &str| line.split(&format!("{k}=\"")).nth(1).and_then(|r| r.split('"').next());
            let (Some(system), Some(op)) = (label("system"), label("operation")) else { continue };
            let Some(v) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else { continue };
            *calls.entry(format!("{system}_calls")).or_default() += v;
            *calls.entry(format!("{system}.{op}")).or_default() += v;
        }
        Ok(Snapshot { cpu, calls })
    }

    fn since(&self, earlier: &Snapshot) -> Snapshot {
        let diff = |now: &BTreeMap<String, f64>, then: &BTreeMap<String, f64>| -> BTreeMap<String, f64> {
            now.iter().map(|(k, v)| (k.clone(), v - then.get(k).copied().unwrap_or(0.0))).collect()
        };
        Snapshot { cpu: diff(&self.cpu, &earlier.cpu), calls: diff(&self.calls, &earlier.calls) }
    }

    /// Everything per order: CPU ms of each process and calls of each system and operation.
    fn per_order(&self, orders: usize) -> BTreeMap<String, f64> {
        let o = orders.max(1) as f64;
        let mut m: BTreeMap<String, f64> =
            self.cpu.iter().map(|(k, v)| (k.clone(), (v / o * 100.0).round() / 100.0)).collect();
        m.extend(
            self.calls.iter().filter(|(_, v)| **v > 0.0).map(|(k, v)| (k.clone(), (v / o * 100.0).round() / 100.0)),
        );
        m
    }
}

/// Four hours of quiet (PX-22) starting twelve hours from now, Berlin time: away from the run.
fn quiet_window_away() -> String {
    let start = (Utc::now().with_timezone(&chrono_tz::Europe::Berlin) + chrono::Duration::hours(12)).hour();
    format!("{start:02}:00-{:02}:00", (start + 4) % 24)
}

/// Pixi change times and unzer transaction times, from the sandbox's own records.
struct Delays {
    /// order → (shipped, credited, imported, released).
    changes: HashMap<i64, [Option<DateTime<Utc>>; 4]>,
    /// order → (kind, at) of each unzer transaction.
    txns: HashMap<i64, Vec<(TxnType, DateTime<Utc>)>>,
}

impl Delays {
    async fn read(admin: &SandboxClient, pool: &PgPool) -> anyhow::Result<Delays> {
        let tz = chrono_tz::Europe::Berlin;
        let utc = |at: NaiveDateTime| -> DateTime<Utc> {
            tz.from_local_datetime(&at).earliest().map_or(Utc::now(), |d| d.to_utc())
        };
        let mut changes: HashMap<i64, [Option<DateTime<Utc>>; 4]> = HashMap::new();
        for c in admin.pixi_changes(USER).await? {
            let e = changes.entry(c.order_nr).or_default();
            let (slot, first) = match c.change_type.as_str() {
                "SORDER" => (0, true),
                "IORDER" => (1, false),
                "CORDER" => (2, false),
                "UORDER" => (3, true),
                _ => continue,
            };
            if !(first && e[slot].is_some()) {
                e[slot] = Some(utc(c.at));
            }
        }
        let by_payment: HashMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>("SELECT payment_id, order_nr FROM pixi_sync.orders")
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect();
        let mut txns: HashMap<i64, Vec<(TxnType, DateTime<Utc>)>> = HashMap::new();
        for p in admin.unzer_payments().await? {
            let Some(nr) = by_payment.get(&p.id) else { continue };
            txns.entry(*nr).or_default().extend(p.transactions.iter().map(|t| (t.kind, t.at)));
        }
        Ok(Delays { changes, txns })
    }

    /// (change → unzer call, import → release) in ms for the orders in `nrs`.
    fn histograms(&self, nrs: &HashSet<i64>) -> anyhow::Result<(Histogram<u64>, Histogram<u64>)> {
        let (mut delays, mut release) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
        let ms =
            |from: DateTime<Utc>, to: DateTime<Utc>| u64::try_from((to - from).num_milliseconds().max(0)).unwrap_or(0);
        for nr in nrs {
            let Some([shipped, credited, imported, released]) = self.changes.get(nr) else { continue };
            for (kind, at) in self.txns.get(nr).into_iter().flatten() {
                let from = match kind {
                    TxnType::Charge => shipped,
                    TxnType::CancelCharge => credited,
                    _ => &None,
                };
                if let Some(from) = from {
                    delays.record(ms(*from, *at))?;
                }
            }
            if let (Some(a), Some(b)) = (imported, released) {
                release.record(ms(*a, *b))?;
            }
        }
        Ok((delays, release))
    }
}

async fn ready(url: &str) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if reqwest::get(url).await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("pixi-sync not ready within 60 s")
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// One order imported in pixi with its authorised card payment: (order number, payment id).
async fn seed(admin: &SandboxClient, key: &str, i: usize) -> anyhow::Result<(i64, String)> {
    let prices = [1990 + (i % 7) as i64 * 100, 2500 + (i % 11) as i64 * 10];
    let pay = admin
        .unzer_seed_payment(&SeedPayment {
            private_key: key.to_owned(),
            kind: PayKind::Card,
            amount_minor: prices.iter().sum(),
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: None,
            at: None,
        })
        .await?;
    let order = SeedOrder {
        payment_code: "UNZERCC".into(),
        kk_id: Some(pay.id.clone()),
        lines: prices
            .iter()
            .enumerate()
            .map(|(j, p)| SeedLine {
                item_nr: format!("B{j}-{p}"),
                name: format!("Bench {j}"),
                qty: 1,
                price_minor: *p,
                ean: None,
            })
            .collect(),
        billing: Address { last_name: "Bench".into(), email: format!("c{i}@bench.example"), ..Address::default() },
        ..SeedOrder::default()
    };
    Ok((admin.pixi_seed_order(USER, &order).await?.order_nr, pay.id))
}

async fn each<F, Fut>(nrs: &[i64], f: F) -> anyhow::Result<()>
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let results: Vec<anyhow::Result<()>> =
        futures::stream::iter(nrs.iter().copied()).map(f).buffer_unordered(PARALLEL).collect().await;
    results.into_iter().collect()
}

const RELEASED: &str = "SELECT count(*) FROM pixi_sync.orders WHERE state <> 'waiting'";
const CHARGED: &str = "SELECT count(*) FROM pixi_sync.movements WHERE kind = 'charge' AND status = 'succeeded'";
const REFUNDED: &str = "SELECT count(*) FROM pixi_sync.movements WHERE kind = 'refund' AND status = 'succeeded'";

async fn count(pool: &PgPool, count_sql: &str) -> anyhow::Result<usize> {
    Ok(usize::try_from(sqlx::query_scalar::<_, i64>(count_sql).fetch_one(pool).await?)?)
}

/// Waits until `count_sql` reaches `n`.
async fn wait(pool: &PgPool, n: usize, count_sql: &str) {
    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(count_sql).fetch_one(pool).await.unwrap_or(0);
        if done as usize >= n {
            return;
        }
        if started.elapsed() > Duration::from_secs(3600) {
            panic!("gave up waiting: {done}/{n} for {count_sql}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
