//! The outbox publishes each event exactly once, even when the relay dies between publishing
//! and marking the row sent.

use kit::bus::outbox::AFTER_PUBLISH;
use kit::bus::{BusError, Relay};
use kit::fault::FaultPoints;
use testkit::TestEnv;

use crate::helpers::{outbox, stream_messages, write_events};

#[tokio::test]
async fn outbox_event_is_published_once_when_the_relay_dies_after_publishing() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    write_events(&pool, &outbox(&bus), "4711", 3).await;

    // The relay publishes, JetStream acks, and the process dies before marking the rows sent.
    let faults = FaultPoints::new();
    faults.arm(AFTER_PUBLISH);
    let relay = Relay::new(pool.clone(), bus.clone(), "kit-test").with_faults(faults.clone());
    let err = relay.publish_batch().await.unwrap_err();
    assert!(matches!(err, BusError::Crashed(AFTER_PUBLISH)), "{err}");
    assert_eq!(stream_messages(&bus).await, 3, "published before the crash");
    assert_eq!(relay.backlog().await.unwrap(), 3, "rows were not marked sent");

    // A new relay (the restarted process) publishes the same rows again.
    let restarted = Relay::new(pool.clone(), bus.clone(), "kit-test");
    assert_eq!(restarted.drain().await.unwrap(), 3);
    assert_eq!(restarted.backlog().await.unwrap(), 0);
    assert_eq!(stream_messages(&bus).await, 3, "JetStream dropped the re-publishes by Nats-Msg-Id");
}

#[tokio::test]
async fn outbox_rows_written_in_a_rolled_back_transaction_are_never_published() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    let mut tx = pool.begin().await.unwrap();
    outbox.add(&mut tx, crate::helpers::attention("1", "a")).await.unwrap();
    tx.rollback().await.unwrap();
    let relay = Relay::new(pool.clone(), bus.clone(), "kit-test");
    assert_eq!(relay.drain().await.unwrap(), 0);
    assert_eq!(stream_messages(&bus).await, 0);
}

#[tokio::test]
async fn concurrent_relays_split_the_backlog_without_duplicates() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for order in 0..20 {
        write_events(&pool, &outbox, &format!("o{order}"), 25).await;
    }
    let relays: Vec<Relay> = (0..4).map(|_| Relay::new(pool.clone(), bus.clone(), "kit-test").with_batch(16)).collect();
    let sent: Vec<usize> =
        futures::future::join_all(relays.iter().map(|r| r.drain())).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(sent.iter().sum::<usize>(), 500, "every row claimed exactly once: {sent:?}");
    assert_eq!(stream_messages(&bus).await, 500);
}

#[tokio::test]
async fn events_carry_the_order_id_in_the_subject_and_the_envelope() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    write_events(&pool, &outbox(&bus), "T-88", 1).await;
    Relay::new(pool, bus.clone(), "kit-test").drain().await.unwrap();
    let stream = bus.jetstream().get_stream(&bus.config().stream).await.unwrap();
    let msg = stream.get_last_raw_message_by_subject(&bus.subject("kit-test", "T-88", "attention")).await.unwrap();
    let envelope = kit::bus::event::decode_envelope(&msg.payload).unwrap();
    assert_eq!(envelope.order_id, "T-88");
    assert_eq!(envelope.source, "kit-test");
    assert_eq!(envelope.r#type, "attention");
    let msg_id = msg.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|v| v.as_str().to_owned());
    assert_eq!(msg_id.as_deref(), Some(envelope.event_id.as_str()));
}

#[tokio::test]
async fn a_backlog_of_many_batches_is_published_once_each_in_seq_order() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for order in 0..10 {
        write_events(&pool, &outbox, &format!("{}", 5000 + order), 7).await;
    }
    // Ten batches: while one batch's acks are collected and its rows marked, the next is sent.
    let relay = Relay::new(pool.clone(), bus.clone(), "kit-test").with_batch(7);
    assert_eq!(relay.drain().await.unwrap(), 70);
    assert_eq!(relay.backlog().await.unwrap(), 0);
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id::text FROM outbox ORDER BY seq").fetch_all(&pool).await.unwrap();
    let stream = bus.jetstream().get_stream(&bus.config().stream).await.unwrap();
    let mut published = Vec::new();
    for seq in 1..=70 {
        let m = stream.get_raw_message(seq).await.unwrap();
        published.push(m.headers.get(async_nats::header::NATS_MESSAGE_ID).unwrap().to_string());
    }
    assert_eq!(published, ids, "every row once, in seq order");
}

#[tokio::test]
async fn a_drain_that_fails_with_batches_in_flight_loses_nothing_and_publishes_nothing_twice() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    let outbox = outbox(&bus);
    for order in 0..10 {
        write_events(&pool, &outbox, &format!("{}", 7000 + order), 7).await;
    }
    // Ten batches of 7; the first batch to be marked fails after JetStream acked it, while the
    // batches sent after it are still in flight.
    let faults = FaultPoints::new();
    faults.arm(AFTER_PUBLISH);
    let relay = Relay::new(pool.clone(), bus.clone(), "kit-test").with_batch(7).with_faults(faults);
    let err = relay.drain().await.unwrap_err();
    assert!(matches!(err, BusError::Crashed(AFTER_PUBLISH)), "{err}");
    let unsent = relay.backlog().await.unwrap();
    assert!(unsent >= 7, "the failed batch stays unsent: {unsent}");
    let in_flight = i64::try_from(relay.in_flight()).unwrap();
    assert!(in_flight > 1, "the test pool lets batches overlap");
    assert!(unsent <= 70 - 7 * (in_flight - 1), "the batches already sent were finished, not dropped: {unsent} unsent");

    // The next drain publishes the rest; JetStream drops the failed batch's re-publishes.
    let restarted = Relay::new(pool.clone(), bus.clone(), "kit-test").with_batch(7);
    assert_eq!(restarted.drain().await.unwrap() as i64, unsent);
    assert_eq!(restarted.backlog().await.unwrap(), 0);
    assert_eq!(stream_messages(&bus).await, 70, "every event once in the stream");
}

#[tokio::test]
async fn the_claim_walks_the_unsent_index_in_order_even_when_statistics_say_the_outbox_is_empty() {
    let env = TestEnv::new().await.unwrap();
    let pool = env.pool("kit_test").await.unwrap();
    let bus = env.bus().await.unwrap();
    // Statistics from the usual, near-empty outbox (kept: autovacuum off for this table); then a
    // backlog (an outage's worth).
    sqlx::query("ALTER TABLE outbox SET (autovacuum_enabled = false)").execute(&pool).await.unwrap();
    sqlx::query("ANALYZE outbox").execute(&pool).await.unwrap();
    let outbox = outbox(&bus);
    for order in 0..20 {
        write_events(&pool, &outbox, &format!("{}", 6000 + order), 250).await;
    }
    let plan = |begin: &'static str| {
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin_with(begin).await.unwrap();
            let plan: serde_json::Value =
                sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) {}", kit::bus::outbox::CLAIM.replace("$1", "256")))
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
            plan.to_string()
        }
    };
    // Left to itself, the planner sorts every unsent row for each batch.
    let default = plan("BEGIN").await;
    assert!(default.contains("\"Sort\""), "{default}");
    let claim = plan(kit::bus::outbox::CLAIM_BEGIN).await;
    assert!(!claim.contains("\"Sort\"") && claim.contains("outbox_unsent"), "{claim}");
}
