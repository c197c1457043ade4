//! `cargo bench -p pixi-sync --bench sync [-- ORDERS]`: syncs ORDERS (default 10 000) card
//! orders in expert mode through release → invoice capture → partial return against the
//! in-process sandbox at zero latency, with the real service (default polling, webhooks on)
//! on real Postgres and NATS. Prints one JSON line: throughput per phase and overall, and the
//! p50/p99 delay from the pixi change (order import, shipment, credit note) to the unzer call
//! it causes (release: to the release in pixi), from the sandbox's own timestamps.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "bench driver")]

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use futures::StreamExt;
use hdrhistogram::Histogram;
use kit::clock::SystemClock;
use pixi_sync::app::App;
use pixi_sync::config::Config;
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use sandbox::pixi::{Address, CreditNoteRequest, SeedLine, SeedOrder, Ship};
use sandbox::unzer::{NewMerchant, PayKind, SeedOutcome, SeedPayment, TxnType};
use sandbox::{Sandbox, SandboxClient, SandboxConfig, System};
use sqlx::PgPool;
use testkit::TestEnv;

const USER: &str = "bench-api";
const PASS: &str = "bench-pass";
const PARALLEL: usize = 32;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let env = TestEnv::new().await?;
    let sb = Sandbox::start(SandboxConfig::ephemeral()).await?;
    let admin = sb.client();
    admin.pixi_user(USER, PASS).await?;
    let merchant = admin.unzer_create_merchant(&NewMerchant::default()).await?;

    let public = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let mut vars = env.service_env("pixi_sync");
    for (k, v) in [
        ("PIXI_SYNC_SECRET_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".to_owned()),
        ("UNZER_SANDBOX_BASE_URL", sb.url(System::Unzer)),
        ("UNZER_PRODUCTION_BASE_URL", sb.url(System::Unzer)),
        // No PUBLIC_BASE_URL: no webhooks are registered. A burst of 10 000 seeded checkouts
        // would make the sandbox push ~20 000 webhooks at once, which is not what unzer does;
        // the bench measures the reaction to pixi changes.
        ("PUBLIC_ADDR", public.to_string()),
        ("CONSOLE_ADDR", "127.0.0.1:0".to_owned()),
        ("LOG_FORMAT", "json".to_owned()),
        ("DB_MAX_CONNECTIONS", "16".to_owned()),
    ] {
        vars.set(k, v);
    }
    for k in ["POLL_INTERVAL", "ORDER_CONCURRENCY", "SYNC_BATCH"] {
        if let Ok(v) = std::env::var(format!("BENCH_{k}")) {
            vars.set(k, v);
        }
    }
    let config = Config::from_env(&vars)?;
    let (poll, concurrency) = (config.poll_interval, config.order_concurrency);
    let app = App::build(config, SystemClock::shared()).await?;
    let grpc = format!("http://{}", app.grpc_addr());
    let pool = app.platform.pool.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));

    // Tenant, pixi API configuration and an expert-mode card configuration, through the API.
    let mut tenants = TenantServiceClient::new(testkit::grpc_channel(&grpc));
    let tenant =
        tenants.create_tenant(pb::CreateTenantRequest { name: "Bench AG".into() }).await?.into_inner().tenant.unwrap();
    let api = tenants
        .save_pixi_api_config(pb::SavePixiApiConfigRequest {
            tenant_id: tenant.tenant_id.clone(),
            pixi_api_config_id: String::new(),
            name: "live".into(),
            endpoint: format!("{}/soap/{USER}/", sb.url(System::Pixi)),
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

    // Phase 1: the shop imports N orders (HOLD, authorised card payments); pixi-sync releases.
    let started = Instant::now();
    let nrs: Vec<i64> = futures::stream::iter(0..n)
        .map(|i| {
            let admin = admin.clone();
            let key = merchant.private_key.clone();
            async move { seed(&admin, &key, i).await }
        })
        .buffer_unordered(PARALLEL)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let seeded = started.elapsed();
    wait(&pool, n, "SELECT count(*) FROM orders WHERE state <> 'waiting'").await;
    let release = started.elapsed();

    // Phase 2: the warehouse ships every order (one invoice each); pixi-sync captures it.
    let ship_started = Instant::now();
    each(&nrs, |nr| {
        let admin = admin.clone();
        async move { admin.pixi_ship(USER, nr, &Ship::default()).await.map(|_| ()).map_err(Into::into) }
    })
    .await?;
    wait(&pool, n, "SELECT count(*) FROM movements WHERE kind = 'charge' AND status = 'succeeded'").await;
    let capture = ship_started.elapsed();

    // Phase 3: the customer returns one of the two lines (credit note); pixi-sync refunds it.
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
    wait(&pool, n, "SELECT count(*) FROM movements WHERE kind = 'refund' AND status = 'succeeded'").await;
    let returns = return_started.elapsed();

    // Delays from the sandbox's own records: pixi change time → unzer transaction time.
    let changes = admin.pixi_changes(USER).await?;
    let tz = chrono_tz::Europe::Berlin;
    let utc = |at: NaiveDateTime| -> DateTime<Utc> {
        tz.from_local_datetime(&at).earliest().map_or(Utc::now(), |d| d.to_utc())
    };
    let mut shipped = std::collections::HashMap::new();
    let mut credited = std::collections::HashMap::new();
    let mut imported = std::collections::HashMap::new();
    let mut released = std::collections::HashMap::new();
    for c in &changes {
        match c.change_type.as_str() {
            "SORDER" => {
                shipped.entry(c.order_nr).or_insert(utc(c.at));
            }
            "IORDER" => {
                credited.insert(c.order_nr, utc(c.at));
            }
            "CORDER" => {
                imported.insert(c.order_nr, utc(c.at));
            }
            "UORDER" => {
                released.entry(c.order_nr).or_insert(utc(c.at));
            }
            _ => {}
        }
    }
    let payments = admin.unzer_payments().await?;
    let by_payment: std::collections::HashMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("SELECT payment_id, order_nr FROM orders")
            .fetch_all(&pool)
            .await?
            .into_iter()
            .collect();
    let mut delays = Histogram::<u64>::new(3)?;
    let mut release_delays = Histogram::<u64>::new(3)?;
    for p in &payments {
        let Some(nr) = by_payment.get(&p.id) else { continue };
        for t in &p.transactions {
            let from = match t.kind {
                TxnType::Charge => shipped.get(nr),
                TxnType::CancelCharge => credited.get(nr),
                _ => None,
            };
            if let Some(from) = from {
                delays.record(u64::try_from((t.at - *from).num_milliseconds().max(0)).unwrap_or(0))?;
            }
        }
        if let (Some(a), Some(b)) = (imported.get(nr), released.get(nr)) {
            release_delays.record(u64::try_from((*b - *a).num_milliseconds().max(0)).unwrap_or(0))?;
        }
    }
    let busy = release + capture + returns;
    let result = serde_json::json!({
        "name": "pixi-sync",
        "orders": n,
        "orders_per_sec": round(n as f64 / busy.as_secs_f64()),
        "release_per_sec": round(n as f64 / release.as_secs_f64()),
        "capture_per_sec": round(n as f64 / capture.as_secs_f64()),
        "return_per_sec": round(n as f64 / returns.as_secs_f64()),
        "delay_p50_ms": delays.value_at_quantile(0.5),
        "delay_p99_ms": delays.value_at_quantile(0.99),
        "delay_max_ms": delays.max(),
        "delay_samples": delays.len(),
        "release_delay_p50_ms": release_delays.value_at_quantile(0.5),
        "release_delay_p99_ms": release_delays.value_at_quantile(0.99),
        "seed_secs": round(seeded.as_secs_f64()),
        "poll_interval_ms": poll.as_millis() as u64,
        "order_concurrency": concurrency,
    });
    println!("{result}");
    let _ = stop_tx.send(());
    let _ = running.await;
    Ok(())
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

async fn seed(admin: &SandboxClient, key: &str, i: usize) -> anyhow::Result<i64> {
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
        kk_id: Some(pay.id),
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
    Ok(admin.pixi_seed_order(USER, &order).await?.order_nr)
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
