//! The idempotent consumer applies each event once, dead-letters what keeps failing, and loses
//! nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use kit::bus::consumer::AFTER_COMMIT;
use kit::bus::{Consumer, ConsumerConfig, DeadLetters, Delivered, Handler, HandlerError, Relay};
use kit::fault::FaultPoints;
use proto::payops::events::v1::Attention;
use sqlx::PgConnection;
use testkit::TestEnv;

use crate::helpers::{effects, effects_table, outbox, write_events};

/// Writes one effect row per event; fails while `failing` is set.
#[derive(Clone, Default)]
struct Recorder {
    failing: Arc<AtomicBool>,
    calls: Arc<AtomicU32>,
}

impl Handler for Recorder {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let attention: Attention = event.payload()?;
        assert!(!attention.incident_id.is_empty());
        sqlx::query("INSERT INTO effects (event_id, order_id) VALUES ($1, $2)")
            .bind(&event.envelope.event_id)
            .bind(&event.envelope.order_id)
            .execute(&mut *tx)
            .await?;
        if self.failing.load(Ordering::SeqCst) {
            // The effect above is rolled back with the transaction.
            return Err(HandlerError::Retry("partner down".into()));
        }
        Ok(())
    }
}

fn config(env: &TestEnv, name: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new(name, vec![format!("{}.>", env.prefix)]);
    c.backoff = vec![Duration::ZERO];
    c.max_deliver = 3;
    c.ack_wait = Duration::from_secs(1);
    c
}

#[tokio::test]
async fn consumer_applies_an_event_delivered_twice_only_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    write_events(&pool, &outbox(&bus), "4711", 1).await;
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();

    // The same envelope published again under another message id (a republish outside the
    // de-duplication window): JetStream delivers it twice.
    let stream = bus.jetstream().get_stream(&bus.config().stream).await.unwrap();
    let original = stream.get_raw_message(1).await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", "another-id");
    bus.jetstream()
        .publish_with_headers(original.subject.to_string(), headers, Bytes::from(original.payload.to_vec()))
        .await
        .unwrap()
        .await
        .unwrap();

    let handler = Recorder::default();
    let consumer = Consumer::bind(&bus, pool.clone(), config(&env, "dup"), handler.clone()).await.unwrap();
    assert_eq!(consumer.drain().await.unwrap(), 2);
    assert_eq!(effects(&pool).await, 1, "second delivery had no effect");
    assert_eq!(handler.calls.load(Ordering::SeqCst), 1, "the duplicate never reached the handler");
}

#[tokio::test]
async fn consumer_that_dies_after_commit_and_before_ack_gets_the_message_again_without_second_effect() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    write_events(&pool, &outbox(&bus), "4711", 1).await;
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();

    let faults = FaultPoints::new();
    faults.arm(AFTER_COMMIT);
    let handler = Recorder::default();
    let consumer =
        Consumer::bind(&bus, pool.clone(), config(&env, "crash"), handler.clone()).await.unwrap().with_faults(faults);
    assert!(consumer.drain().await.is_err(), "died before the ack");
    assert_eq!(effects(&pool).await, 1);

    // JetStream redelivers after ack_wait; the inbox turns it into a no-op.
    let mut redelivered = 0;
    for _ in 0..50 {
        redelivered += consumer.drain().await.unwrap();
        if redelivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(redelivered, 1);
    assert_eq!(effects(&pool).await, 1);
    assert_eq!(handler.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handler_that_keeps_failing_ends_in_the_dead_letter_list_and_replay_applies_it_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    write_events(&pool, &outbox(&bus), "4711", 1).await;
    write_events(&pool, &outbox(&bus), "4712", 1).await;
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();

    let handler = Recorder::default();
    handler.failing.store(true, Ordering::SeqCst);
    let consumer = Consumer::bind(&bus, pool.clone(), config(&env, "dlq"), handler.clone()).await.unwrap();
    // Each drain sees the nak'd messages again (backoff zero) until max_deliver is reached.
    let mut rounds = 0;
    while DeadLetters::new(pool.clone()).count_open().await.unwrap() < 2 && rounds < 50 {
        consumer.drain().await.unwrap();
        rounds += 1;
    }
    let dead = DeadLetters::new(pool.clone()).open(Some("dlq"), 10).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert!(dead.iter().all(|d| d.attempts == 3 && d.error.contains("partner down")));
    assert_eq!(handler.calls.load(Ordering::SeqCst), 6, "three attempts per event");
    assert_eq!(effects(&pool).await, 0, "failed attempts left no effect");
    assert_eq!(consumer.drain().await.unwrap(), 0, "dead letters are acked, the stream is not blocked");

    // The partner is back: an operator replays; each event takes effect once.
    handler.failing.store(false, Ordering::SeqCst);
    let letters = DeadLetters::new(pool.clone());
    for d in &dead {
        letters.replay(d.id, &handler).await.unwrap();
    }
    assert_eq!(effects(&pool).await, 2);
    assert!(letters.replay(dead[0].id, &handler).await.is_err(), "a replayed letter cannot be replayed twice");
    assert_eq!(effects(&pool).await, 2);
    assert_eq!(letters.count_open().await.unwrap(), 0);
}

#[tokio::test]
async fn undecodable_message_is_dead_lettered_not_retried() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    bus.jetstream()
        .publish(bus.subject("x", "1", "attention"), Bytes::from_static(b"\xff\xfe"))
        .await
        .unwrap()
        .await
        .unwrap();
    let handler = Recorder::default();
    let consumer = Consumer::bind(&bus, pool.clone(), config(&env, "poison"), handler.clone()).await.unwrap();
    assert_eq!(consumer.drain().await.unwrap(), 1);
    assert_eq!(handler.calls.load(Ordering::SeqCst), 0);
    let dead = DeadLetters::new(pool.clone()).open(None, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].error.contains("malformed envelope"));
}

#[tokio::test]
async fn many_orders_are_handled_concurrently_and_each_event_takes_effect_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for o in 0..30 {
        write_events(&pool, &outbox, &format!("o{o}"), 10).await;
    }
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let consumer = Consumer::bind(&bus, pool.clone(), config(&env, "many"), Recorder::default()).await.unwrap();
    assert_eq!(consumer.drain().await.unwrap(), 300);
    assert_eq!(effects(&pool).await, 300);
    let per_order_in_order: bool = sqlx::query_scalar(
        "SELECT bool_and(ordered) FROM (SELECT order_id, array_agg(event_id ORDER BY seq) = array_agg(event_id ORDER BY event_id) AS ordered FROM effects GROUP BY order_id) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(per_order_in_order, "each order's events applied in publish order (UUIDv7 ids sort by time)");
}

#[tokio::test]
async fn consumer_with_one_filter_receives_only_matching_events() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    let mut tx = pool.begin().await.unwrap();
    outbox.add(&mut tx, crate::helpers::attention("4711", "i1")).await.unwrap();
    let order = kit::id::OrderId::parse("4711").unwrap();
    let other = kit::bus::NewEvent::new(order, "ticket_created", &Attention::default(), "other").unwrap();
    outbox.add(&mut tx, other).await.unwrap();
    tx.commit().await.unwrap();
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();

    let mut c = config(&env, "only-attention");
    c.filter_subjects = vec![bus.filter_type("attention")];
    let consumer = Consumer::bind(&bus, pool.clone(), c, Recorder::default()).await.unwrap();
    assert_eq!(consumer.drain().await.unwrap(), 1, "the other event type is not delivered");
    assert_eq!(effects(&pool).await, 1);
}

#[tokio::test]
async fn handled_inbox_rows_past_the_replay_horizon_are_pruned_and_the_rest_kept() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_table(&pool).await;
    let bus = env.bus().await.unwrap();
    let mut c = config(&env, "prune");
    c.inbox_retention = Some(Duration::from_secs(3600));
    let consumer = Consumer::bind(&bus, pool.clone(), c, Recorder::default()).await.unwrap();
    for (consumer, event, outcome, age_h) in [
        ("prune", "old-done", "done", 2),
        ("prune", "old-dead", "dead", 2),
        ("prune", "new-done", "done", 0),
        ("other", "other-old", "done", 2),
    ] {
        sqlx::query("INSERT INTO inbox (consumer, event_id, outcome, handled_at) VALUES ($1, $2, $3, now() - make_interval(hours => $4))")
            .bind(consumer)
            .bind(event)
            .bind(outcome)
            .bind(age_h)
            .execute(&pool)
            .await
            .unwrap();
    }
    assert_eq!(consumer.prune_inbox().await.unwrap(), 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT event_id FROM inbox ORDER BY event_id").fetch_all(&pool).await.unwrap();
    assert_eq!(left, ["new-done", "old-dead", "other-old"], "only this consumer's handled rows past the horizon go");
}

/// Settings for a consumer that commits several events per transaction.
fn lanes_config(env: &TestEnv, name: &str, transaction_batch: usize) -> ConsumerConfig {
    let mut c = config(env, name);
    c.batch = 256;
    c.concurrency = 4;
    c.transaction_batch = transaction_batch;
    c
}

/// Records the transaction each effect was written in.
async fn effects_with_transactions(pool: &sqlx::PgPool) {
    effects_table(pool).await;
    sqlx::query("ALTER TABLE effects ADD COLUMN tx bigint NOT NULL DEFAULT txid_current()")
        .execute(pool)
        .await
        .unwrap();
}

async fn distinct_effects(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(DISTINCT event_id) FROM effects").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn lanes_commit_many_events_per_transaction_keep_each_orders_order_and_apply_each_event_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_with_transactions(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for o in 0..40 {
        write_events(&pool, &outbox, &format!("o{o}"), 10).await;
    }
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let handler = Recorder::default();
    let consumer = Consumer::bind(&bus, pool.clone(), lanes_config(&env, "lanes", 32), handler.clone()).await.unwrap();
    assert_eq!(consumer.drain().await.unwrap(), 400);
    assert_eq!(effects(&pool).await, 400);
    assert_eq!(distinct_effects(&pool).await, 400, "no event applied twice");
    assert_eq!(handler.calls.load(Ordering::SeqCst), 400, "no group was rolled back");
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE consumer = 'lanes' AND outcome = 'done'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(inbox, 400, "every event's inbox row committed with its effect");
    let per_order_in_order: bool = sqlx::query_scalar(
        "SELECT bool_and(ordered) FROM (SELECT order_id, array_agg(event_id ORDER BY seq) = array_agg(event_id ORDER BY event_id) AS ordered FROM effects GROUP BY order_id) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(per_order_in_order, "each order's events applied in publish order");
    let (transactions, largest): (i64, i64) =
        sqlx::query_as("SELECT count(*), max(n) FROM (SELECT tx, count(*) AS n FROM effects GROUP BY tx) x")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(largest <= 32, "at most transaction_batch events per transaction, saw {largest}");
    assert!(transactions <= 40, "400 events took {transactions} transactions, not one each");
}

/// Fails `fail_once` the first time it is seen (retryable) and `always` every time (fatal).
#[derive(Clone, Default)]
struct Picky {
    inner: Recorder,
    fail_once: Arc<std::sync::Mutex<Option<(String, String)>>>,
    always: Option<(String, String)>,
}

impl Handler for Picky {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        self.inner.handle(tx, event).await?;
        let attention: Attention = event.payload()?;
        let key = (event.envelope.order_id.clone(), attention.incident_id);
        if self.always.as_ref() == Some(&key) {
            return Err(HandlerError::Fatal("impossible event".into()));
        }
        let mut once = self.fail_once.lock().unwrap();
        if once.as_ref() == Some(&key) {
            *once = None;
            return Err(HandlerError::Retry("partner down".into()));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_handler_failing_inside_a_group_rolls_the_group_back_and_every_event_still_takes_effect_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_with_transactions(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for o in 0..10 {
        write_events(&pool, &outbox, &format!("o{o}"), 8).await;
    }
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let handler = Picky {
        fail_once: Arc::new(std::sync::Mutex::new(Some(("o3".into(), "i2".into())))),
        always: Some(("o5".into(), "i4".into())),
        ..Default::default()
    };
    let consumer =
        Consumer::bind(&bus, pool.clone(), lanes_config(&env, "lanes-fail", 16), handler.clone()).await.unwrap();
    let letters = DeadLetters::new(pool.clone());
    let mut rounds = 0;
    while (effects(&pool).await < 79 || letters.count_open().await.unwrap() < 1) && rounds < 100 {
        consumer.drain().await.unwrap();
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(effects(&pool).await, 79, "every event but the impossible one took effect");
    assert_eq!(distinct_effects(&pool).await, 79, "none twice, though its group was handled again");
    let dead = letters.open(Some("lanes-fail"), 10).await.unwrap();
    assert_eq!(dead.len(), 1, "the impossible event is dead-lettered, alone");
    assert_eq!(dead[0].order_id.as_deref(), Some("o5"));
    assert!(dead[0].error.contains("impossible event"));
    assert!(handler.fail_once.lock().unwrap().is_none(), "the retryable failure happened");
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT tx) FROM effects").fetch_one(&pool).await.unwrap();
    assert!(transactions <= 20, "the events around the failing ones still shared transactions: {transactions}");
    assert_eq!(consumer.drain().await.unwrap(), 0, "nothing left unacked");
}

#[tokio::test]
async fn lanes_that_die_after_the_commit_and_before_the_acks_get_the_group_again_without_second_effect() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_with_transactions(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for o in 0..5 {
        write_events(&pool, &outbox, &format!("o{o}"), 4).await;
    }
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let faults = FaultPoints::new();
    faults.arm(AFTER_COMMIT);
    let handler = Recorder::default();
    let consumer = Consumer::bind(&bus, pool.clone(), lanes_config(&env, "lanes-crash", 8), handler.clone())
        .await
        .unwrap()
        .with_faults(faults);
    assert!(consumer.drain().await.is_err(), "died before the acks");
    assert_eq!(effects(&pool).await, 20, "every lane's group committed, one lane's acks were lost");

    // JetStream redelivers what was not acked after ack_wait; the inbox turns it into no-ops.
    let mut redelivered = 0;
    for _ in 0..100 {
        redelivered += consumer.drain().await.unwrap();
        if redelivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(redelivered > 0, "the group whose acks were lost came back");
    assert_eq!(consumer.drain().await.unwrap(), 0, "and was acked this time");
    assert_eq!(effects(&pool).await, 20);
    assert_eq!(distinct_effects(&pool).await, 20, "the redelivered group took no second effect");
    assert_eq!(handler.calls.load(Ordering::SeqCst), 20, "the redelivered group never reached the handler");
}

/// Refuses the first delivery of one event in twenty (by incident number).
#[derive(Clone, Default)]
struct RefusesFirst {
    inner: Recorder,
}

impl Handler for RefusesFirst {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        let attention: Attention = event.payload()?;
        let n: u32 = attention.incident_id.trim_start_matches('i').parse().unwrap();
        if event.delivery == 1 && n % 20 == 7 {
            return Err(HandlerError::Retry("refused on first delivery".into()));
        }
        self.inner.handle(tx, event).await
    }
}

#[tokio::test]
async fn a_backlog_with_refused_deliveries_drained_by_lanes_and_stopped_midway_applies_every_event_once() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    effects_with_transactions(&pool).await;
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for o in 0..50 {
        write_events(&pool, &outbox, &format!("o{o}"), 40).await;
    }
    Relay::new(pool.clone(), bus.clone(), "kit-test").drain().await.unwrap();
    let mut c = lanes_config(&env, "lanes-backlog", 64);
    c.backoff = vec![Duration::from_millis(100)];
    // Pulled messages wait in the consumer's buffer while the chunk before them is handled; in a
    // debug build under load that can pass the 1 s of the other tests, and a message whose ack
    // wait expires in the buffer is delivered again (JetStream stops after max_deliver + 1).
    c.ack_wait = Duration::from_secs(10);

    // Stopped (as SIGTERM stops a service: its token) once some of the backlog is applied.
    let token = tokio_util::sync::CancellationToken::new();
    let first = Consumer::bind(&bus, pool.clone(), c.clone(), RefusesFirst::default()).await.unwrap();
    let task = tokio::spawn(first.run_until(token.clone()));
    while effects(&pool).await < 500 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    token.cancel();
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("stopped within the grace period").unwrap();
    assert!(effects(&pool).await < 2000, "stopped mid-drain");

    // Started again, the same durable consumer finishes the backlog.
    let token = tokio_util::sync::CancellationToken::new();
    let second = Consumer::bind(&bus, pool.clone(), c, RefusesFirst::default()).await.unwrap();
    let task = tokio::spawn(second.run_until(token.clone()));
    for _ in 0..300 {
        if effects(&pool).await >= 2000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await; // redeliveries after ack_wait would show now
    token.cancel();
    task.await.unwrap();
    if effects(&pool).await < 2000 {
        let stream = bus.jetstream().get_stream(&bus.config().stream).await.unwrap();
        let mut c: async_nats::jetstream::consumer::PullConsumer = stream.get_consumer("lanes-backlog").await.unwrap();
        let info = c.info().await.unwrap();
        eprintln!(
            "DIAG pending={} ack_pending={} redelivered={} delivered={:?} ackfloor={:?}",
            info.num_pending, info.num_ack_pending, info.num_redelivered, info.delivered, info.ack_floor
        );
        let rows: Vec<(String, Option<String>)> = sqlx::query_as("SELECT o.id::text, i.outcome FROM outbox o LEFT JOIN inbox i ON i.event_id = o.id::text AND i.consumer = 'lanes-backlog' WHERE NOT EXISTS (SELECT 1 FROM effects e WHERE e.event_id = o.id::text) ORDER BY o.seq").fetch_all(&pool).await.unwrap();
        eprintln!("DIAG missing {:?}", rows);
    }
    assert_eq!(effects(&pool).await, 2000, "every event took effect");
    assert_eq!(distinct_effects(&pool).await, 2000, "none twice");
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT tx) FROM effects").fetch_one(&pool).await.unwrap();
    assert!(transactions < 400, "refused deliveries did not undo the batching: {transactions} transactions");
}

#[tokio::test]
async fn removing_a_failed_events_inbox_row_probes_its_key_whatever_plan_the_inbox_size_gave() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    // A young inbox, never analysed (autovacuum off for this table to keep it so).
    sqlx::query("ALTER TABLE inbox SET (autovacuum_enabled = false)").execute(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO inbox (consumer, event_id, outcome) SELECT 'c', 'e' || g, 'done' FROM generate_series(1, 500) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET plan_cache_mode = force_generic_plan").execute(&mut *conn).await.unwrap();
    let mut plan = async |name: &str, sql: &str, args: &str| -> String {
        sqlx::query(&format!("PREPARE {name} AS {sql}")).execute(&mut *conn).await.unwrap();
        let plan: serde_json::Value = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) EXECUTE {name}({args})"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        plan.to_string()
    };
    // The form the consumer used: its generic plan walks every inbox row of the consumer.
    let any =
        plan("forget_any", "DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::text[])", "'c', ARRAY['e7']")
            .await;
    assert!(any.contains(r#""Index Cond":"(consumer = $1)""#) && any.contains("Filter"), "{any}");
    let key = plan("forget_key", kit::bus::consumer::FORGET_INBOX_ROW, "'c', 'e7'").await;
    assert!(key.contains(r#""Index Cond":"((consumer = $1) AND (event_id = $2))""#), "{key}");
}
