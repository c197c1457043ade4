//! The event pipeline (BENCHMARKS target 1): 8 writers commit a state change plus an outbox row
//! per event; the relay publishes to JetStream; the idempotent consumer applies each event in a
//! transaction with its inbox row. Measures end-to-end events/s, the relay alone on a backlog,
//! loss (rows = events), and how long the consumer lag takes to return to zero after writers stop.

use std::time::{Duration, Instant};

use kit::bus::{Consumer, ConsumerConfig, Delivered, Handler, HandlerError, NewEvent, Outbox, Relay};
use kit::clock::SystemClock;
use kit::id::OrderId;
use proto::payops::events::v1::Attention;
use serde_json::{Value, json};
use sqlx::{PgConnection, PgPool};
use testkit::TestEnv;
use tokio_util::sync::CancellationToken;

struct Apply;

impl Handler for Apply {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        sqlx::query("INSERT INTO applied (event_id) VALUES ($1)")
            .bind(&event.envelope.event_id)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// A projection writes a group in one statement.
    async fn handle_all(&self, tx: &mut PgConnection, events: &[Delivered]) -> Result<(), (usize, HandlerError)> {
        insert_applied(tx, events).await
    }
}

/// Writes one `applied` row per event in one statement (the benches' projection effect).
pub(crate) async fn insert_applied(tx: &mut PgConnection, events: &[Delivered]) -> Result<(), (usize, HandlerError)> {
    let ids: Vec<&str> = events.iter().map(|e| e.envelope.event_id.as_str()).collect();
    sqlx::query("INSERT INTO applied (event_id) SELECT unnest($1::text[])")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .map_err(|e| (0, e.into()))?;
    Ok(())
}

async fn count(pool: &PgPool, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(pool).await?)
}

async fn write(pool: PgPool, outbox: Outbox, writer: usize, n: usize) -> anyhow::Result<()> {
    for i in 0..n {
        let order = OrderId::parse(format!("w{writer}o{}", i % 100))?;
        let msg = Attention { incident_id: format!("i{i}"), title: "bench".into(), ..Default::default() };
        let event = NewEvent::new(order.clone(), "attention", &msg, "bench")?;
        let mut tx = pool.begin().await?;
        sqlx::query("INSERT INTO changes (order_id) VALUES ($1)").bind(order.as_str()).execute(&mut *tx).await?;
        outbox.add(&mut tx, event).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Runs the pipeline with `events` events from `writers` concurrent writers.
pub async fn run(events: usize, writers: usize) -> anyhow::Result<Value> {
    let env = TestEnv::new().await?;
    let mut db = env.db_config("bench");
    db.max_connections = 40;
    let pool = kit::db::connect_lazy(&db)?;
    kit::db::migrate(&pool, "bench", &kit::db::NO_MIGRATIONS).await?;
    sqlx::query("CREATE TABLE changes (id bigserial PRIMARY KEY, order_id text NOT NULL)").execute(&pool).await?;
    sqlx::query("CREATE TABLE applied (id bigserial PRIMARY KEY, event_id text NOT NULL)").execute(&pool).await?;
    let bus = env.bus().await?;
    let outbox = Outbox::new("bench", bus.config(), SystemClock::shared());

    // Relay alone: a backlog of as many events as the end-to-end run (a small one measured
    // mostly the first batches), written first, then drained.
    let per_writer = events / writers;
    let mut handles = Vec::new();
    let t = Instant::now();
    for w in 0..writers {
        handles.push(tokio::spawn(write(pool.clone(), outbox.clone(), w + 1000, per_writer)));
    }
    for h in handles {
        h.await??;
    }
    let write_alone_per_sec = (per_writer * writers) as f64 / t.elapsed().as_secs_f64();
    let backlog = count(&pool, "changes").await?;
    let relay = Relay::new(pool.clone(), bus.clone(), "bench").with_batch(512).with_wake(outbox.waker());
    let t = Instant::now();
    relay.drain().await?;
    let relay_per_sec = backlog as f64 / t.elapsed().as_secs_f64();

    // End to end: writers, relay and consumer all running.
    let token = CancellationToken::new();
    let mut config = ConsumerConfig::new("bench-apply", vec![bus.filter_all()]);
    config.batch = 256;
    config.concurrency = 16;
    config.transaction_batch = 64;
    let consumer = Consumer::bind(&bus, pool.clone(), config, Apply).await?;
    // Catch the consumer up on the relay-only backlog first.
    while consumer.drain().await? > 0 {}
    let consumer_task = tokio::spawn(consumer.run_until(token.clone()));
    let relay_task = tokio::spawn(relay.clone().run_until(token.clone()));
    let before = count(&pool, "applied").await?;
    let t = Instant::now();
    let mut handles = Vec::new();
    for w in 0..writers {
        handles.push(tokio::spawn(write(pool.clone(), outbox.clone(), w, per_writer)));
    }
    for h in handles {
        h.await??;
    }
    let writers_done = t.elapsed();
    let target = before + (per_writer * writers) as i64;
    let deadline = Instant::now() + Duration::from_secs(120);
    // The highest id first (an index probe), the count (a scan) only once it can be reached.
    while Instant::now() < deadline {
        let highest: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM applied").fetch_one(&pool).await?;
        if highest.unwrap_or(0) >= target && count(&pool, "applied").await? >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = t.elapsed();
    let applied = count(&pool, "applied").await? - before;
    token.cancel();
    let _ = consumer_task.await;
    let _ = relay_task.await;
    let rows = count(&pool, "changes").await?;
    let all_applied = count(&pool, "applied").await?;
    Ok(json!({
        "name": "pipeline",
        "writers": writers,
        "events": per_writer * writers,
        "events_per_sec": applied as f64 / total.as_secs_f64(),
        "write_per_sec": (per_writer * writers) as f64 / writers_done.as_secs_f64(),
        "relay_alone_per_sec": relay_per_sec,
        "write_alone_per_sec": write_alone_per_sec,
        "lag_to_zero_ms": total.saturating_sub(writers_done).as_millis() as u64,
        "loss": rows - all_applied,
    }))
}
