//! Ticketing bench (BENCHMARKS target 4, issue 7): 2,000 attention events for 500 orders (600
//! incidents, so 600 tickets and 1,400 notes), 5 % of them delivered twice, against the sandbox
//! Freshdesk limiting to its plan rate. The bridge runs as in production (real clock, every
//! worker on), its limiter set to the sandbox plan. Prints one JSON line: tickets and notes
//! made against expected (no ticket twice, no event lost), tickets/s against the allowed create
//! rate, and the sandbox's own count of refused (429) calls and creates per window.
//!
//! `cargo bench -p ticketing-bridge --bench ticketing` (needs `DATABASE_URL` and `NATS_URL`).
//! Knobs: `BENCH_EVENTS` (2000), `BENCH_ORDERS` (500), `BENCH_CREATE_PER_MINUTE` (720),
//! `BENCH_PER_MINUTE` (6000).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench driver")]

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use anyhow::Context;
use kit::bus::NewEvent;
use kit::clock::SystemClock;
use kit::id::OrderId;
use prost::Message;
use proto::payops::events::v1::Attention;
use sandbox::freshdesk::FreshdeskConfigPatch;
use sandbox::{Sandbox, SandboxConfig, System};
use serde_json::json;
use testkit::TestEnv;
use ticketing_bridge::app::App;
use ticketing_bridge::config::Config;

const KEY: &str = "bench-key";

fn knob(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let events = knob("BENCH_EVENTS", 2000) as usize;
    let orders = knob("BENCH_ORDERS", 500) as usize;
    let create_per_minute = knob("BENCH_CREATE_PER_MINUTE", 720);
    let per_minute = knob("BENCH_PER_MINUTE", 6000);

    let env = TestEnv::new().await?;
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await?;
    let admin = sandbox.client();
    admin.freshdesk_add_api_key(KEY).await?;
    let plan = FreshdeskConfigPatch {
        plan: Some("bench".into()),
        per_minute: Some(per_minute),
        create_per_minute: Some(create_per_minute),
        ..Default::default()
    };
    admin.freshdesk_configure(&plan).await?;

    // The workload: order i has two incidents when i % 5 == 0, else one; the events are dealt
    // round-robin over the incidents, so every incident gets its ticket first, then notes.
    let incidents: Vec<(String, String)> = (0..orders)
        .flat_map(|i| {
            let n = if i % 5 == 0 { 2 } else { 1 };
            (0..n).map(move |k| (format!("B{i:04}"), format!("inc-{k}")))
        })
        .collect();
    let bus = env.bus().await?;
    let clock = SystemClock::shared();
    let mut published = Vec::with_capacity(events);
    let started_publish = Instant::now();
    for n in 0..events {
        let (order, incident) = &incidents[n % incidents.len()];
        let msg = Attention {
            incident_id: incident.clone(),
            severity: 2,
            title: format!("Capture refused for {order}"),
            description: format!("attempt {n}: unzer answered COR.001 <retry by hand>"),
            dashboard_url: String::new(),
        };
        let event_id = format!("bench-{n:05}");
        let envelope = NewEvent::new(OrderId::parse(order.as_str())?, "attention", &msg, "bench")?.into_envelope(
            &event_id,
            "pixi-sync",
            clock.now(),
        );
        let bytes = envelope.encode_to_vec();
        let subject = bus.subject("pixi-sync", order, "attention");
        let mut ids = vec![event_id.clone()];
        if n % 20 == 7 {
            // Delivered twice (a republish outside JetStream's de-duplication).
            ids.push(format!("{event_id}-again"));
        }
        for msg_id in ids {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, msg_id.as_str());
            published.push(bus.jetstream().publish_with_headers(subject.clone(), headers, bytes.clone().into()).await?);
        }
    }
    let deliveries = published.len();
    for ack in published {
        ack.await?;
    }
    let publish_sec = started_publish.elapsed().as_secs_f64();

    let mut vars = env.service_env("ticketing_bridge");
    for (k, v) in [
        ("FRESHDESK_RATE_PER_MINUTE", per_minute.to_string()),
        ("FRESHDESK_CREATE_PER_MINUTE", create_per_minute.to_string()),
        ("FRESHDESK_BURST", "1".to_owned()),
        ("FRESHDESK_CONCURRENCY", "4".to_owned()),
        ("ATTENTION_CONSUMER_CONCURRENCY", "4".to_owned()),
        ("DB_MAX_CONNECTIONS", "16".to_owned()),
        ("LOG_FORMAT", "json".to_owned()),
    ] {
        vars.set(k, v);
    }
    let config = Config::for_tests(vars, &sandbox.url(System::Freshdesk), KEY)?;
    let app = App::build(config, clock.clone()).await.context("building the bridge")?;
    // A pool of its own: the bridge closes its pool when it stops.
    let pool = kit::db::connect_lazy(&env.db_config("ticketing_bridge"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let expected_tickets = incidents.len();
    let expected_notes = events - incidents.len();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let (open,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM work WHERE status = 'queued'").fetch_one(&pool).await?;
        let (all,): (i64,) = sqlx::query_as("SELECT count(*) FROM work").fetch_one(&pool).await?;
        if all as usize >= events && open == 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "bench did not finish: {all} events in, {open} open");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    task.await??;

    let fd = admin.freshdesk_tickets().await?;
    let notes: usize = fd.tickets.iter().map(|t| t.notes.len()).sum();
    let mut created: Vec<_> = fd.tickets.iter().map(|t| t.created_at).collect();
    created.sort();
    let span = match (created.first(), created.last()) {
        (Some(a), Some(b)) => (*b - *a).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let tickets_per_sec = if span > 0.0 { (created.len() - 1) as f64 / span } else { 0.0 };
    let allowed = f64::from(create_per_minute) / 60.0;
    let rate = admin.freshdesk_rate().await?;
    let refused: u32 = rate.windows.iter().map(|w| w.refused).sum();
    let max_creates = rate.windows.iter().map(|w| w.created).max().unwrap_or(0);
    let calls: u32 = rate.windows.iter().map(|w| w.used).sum();
    let (done, dead): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'dead') FROM work",
    )
    .fetch_one(&pool)
    .await?;
    let lost = events as i64 - done;
    let line = json!({
        "name": "ticketing-bridge",
        "events": events,
        "deliveries": deliveries,
        "orders": orders,
        "incidents": expected_tickets,
        "tickets": fd.count,
        "tickets_expected": expected_tickets,
        "duplicate_tickets": fd.duplicates.len(),
        "notes": notes,
        "notes_expected": expected_notes,
        "events_lost": lost,
        "dead_letters": dead,
        "allowed_tickets_per_sec": (allowed * 100.0).round() / 100.0,
        "tickets_per_sec": (tickets_per_sec * 100.0).round() / 100.0,
        "ratio": (tickets_per_sec / allowed * 1000.0).round() / 1000.0,
        "freshdesk_calls": calls,
        "http_429": refused,
        "max_creates_in_a_window": max_creates,
        "create_cap_per_window": create_per_minute,
        "publish_sec": (publish_sec * 100.0).round() / 100.0,
        "elapsed_sec": (elapsed * 10.0).round() / 10.0,
    });
    println!("{line}");
    Ok(())
}
