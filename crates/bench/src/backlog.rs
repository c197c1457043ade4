//! Backlog and restarts (BENCHMARKS target 5): `events` events wait in JetStream, then the
//! idempotent consumer (several events per transaction, as the timeline projection runs) drains
//! them. One delivery in twenty is refused on its first attempt (nak, redelivered), and the
//! consumer is stopped mid-drain the way SIGTERM stops a service (its cancellation token: the
//! chunk in hand is finished and acked) and started again. Measures drain msgs/s, how long the
//! stop took, and checks every event took effect exactly once.

use std::time::{Duration, Instant};

use kit::bus::{Consumer, ConsumerConfig, Delivered, Handler, HandlerError, NewEvent, Outbox, Relay};
use kit::clock::SystemClock;
use kit::id::OrderId;
use proto::payops::events::v1::Attention;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use testkit::TestEnv;
use tokio_util::sync::CancellationToken;

/// Events per consumer transaction.
const TRANSACTION_BATCH: usize = 128;

/// Writes one effect row per event; refuses the first delivery of one event in `nak_every`.
struct Apply {
    nak_every: u64,
}

impl Handler for Apply {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        self.handle_all(tx, std::slice::from_ref(event)).await.map_err(|(_, e)| e)
    }

    /// Like a projection, one statement for the whole group.
    async fn handle_all(&self, tx: &mut PgConnection, events: &[Delivered]) -> Result<(), (usize, HandlerError)> {
        if let Some(i) =
            events.iter().position(|e| e.delivery == 1 && fnv(&e.envelope.event_id).is_multiple_of(self.nak_every))
        {
            return Err((i, HandlerError::Retry("refused on first delivery".into())));
        }
        crate::pipeline::insert_applied(tx, events).await
    }
}

/// FNV-1a: a stable spread of event ids (UUIDv7, whose leading bytes are time).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

async fn count(pool: &PgPool, sql: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

/// Whether at least `n` effects are applied, cheaply enough to ask every few milliseconds: the
/// highest id (an index probe; rolled-back inserts leave gaps, so it only ever runs ahead)
/// before the count (a scan of the table, which would slow the drain it measures).
async fn applied_at_least(pool: &PgPool, n: i64) -> anyhow::Result<bool> {
    let highest: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM applied").fetch_one(pool).await?;
    Ok(highest.unwrap_or(0) >= n && count(pool, "SELECT count(*) FROM applied").await? >= n)
}

/// Queues `events` events (over `orders` orders), then drains them with a stop midway.
pub async fn run(events: usize, orders: usize) -> anyhow::Result<Value> {
    let env = TestEnv::new().await?;
    let mut db = env.db_config("bench");
    db.max_connections = 24;
    let pool = kit::db::connect_lazy(&db)?;
    kit::db::migrate(&pool, "bench", &kit::db::NO_MIGRATIONS).await?;
    sqlx::query("CREATE TABLE applied (id bigserial PRIMARY KEY, event_id text NOT NULL)").execute(&pool).await?;
    let bus = env.bus().await?;
    let outbox = Outbox::new("bench", bus.config(), SystemClock::shared());

    // The backlog: written 500 events per transaction, then relayed into the stream.
    for chunk in (0..events).collect::<Vec<_>>().chunks(500) {
        let mut tx = pool.begin().await?;
        for i in chunk {
            let order = OrderId::parse(format!("b{}", i % orders))?;
            let msg = Attention { incident_id: format!("i{i}"), title: "backlog".into(), ..Default::default() };
            outbox.add(&mut tx, NewEvent::new(order, "attention", &msg, "bench")?).await?;
        }
        tx.commit().await?;
    }
    let relayed = Instant::now();
    Relay::new(pool.clone(), bus.clone(), "bench").with_batch(1000).drain().await?;
    let relay_per_sec = events as f64 / relayed.elapsed().as_secs_f64();

    let mut config = ConsumerConfig::new("bench-backlog", vec![bus.filter_all()]);
    config.batch = 512;
    config.concurrency = 8;
    config.transaction_batch = TRANSACTION_BATCH;
    config.backoff = vec![Duration::from_millis(200)];
    // One in twenty refused on its first delivery (BACKLOG_NAK_EVERY=<n>: one in n).
    let nak_every: u64 = std::env::var("BACKLOG_NAK_EVERY").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let target = events as i64;
    let started = Instant::now();

    // First run, stopped when about half is applied.
    let token = CancellationToken::new();
    let consumer = Consumer::bind(&bus, pool.clone(), config.clone(), Apply { nak_every }).await?;
    let task = tokio::spawn(consumer.run_until(token.clone()));
    while !applied_at_least(&pool, target / 2).await? {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let stop = Instant::now();
    token.cancel();
    task.await?;
    let stop_ms = stop.elapsed().as_millis() as u64;
    let applied_at_stop = count(&pool, "SELECT count(*) FROM applied").await?;

    // Started again: the same durable consumer takes up where the first one stopped.
    let token = CancellationToken::new();
    let consumer = Consumer::bind(&bus, pool.clone(), config, Apply { nak_every }).await?;
    let task = tokio::spawn(consumer.run_until(token.clone()));
    let deadline = Instant::now() + Duration::from_secs(300);
    while !applied_at_least(&pool, target).await? && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    // Late doubles would show up now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    token.cancel();
    task.await?;

    let applied = count(&pool, "SELECT count(*) FROM applied").await?;
    let distinct = count(&pool, "SELECT count(DISTINCT event_id) FROM applied").await?;
    let inbox_rows =
        count(&pool, "SELECT count(*) FROM inbox WHERE consumer = 'bench-backlog' AND outcome = 'done'").await?;
    Ok(json!({
        "name": "backlog",
        "events": events,
        "orders": orders,
        "per_sec": applied.min(target) as f64 / secs,
        "nak_every": nak_every,
        "applied": applied,
        "doubles": applied - distinct,
        "lost": target - distinct,
        "inbox_rows": inbox_rows,
        "applied_at_stop": applied_at_stop,
        "stop_ms": stop_ms,
        "transaction_batch": TRANSACTION_BATCH,
        "rows_per_event": 2,
        "relay_per_sec": relay_per_sec,
    }))
}
