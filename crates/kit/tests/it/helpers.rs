//! Shared test fixtures: a table the test handlers write to, and event builders.

use kit::bus::{Bus, NewEvent, Outbox};
use kit::clock::ManualClock;
use kit::id::OrderId;
use proto::payops::events::v1::Attention;
use sqlx::PgPool;

/// Creates `effects(event_id, order_id)` in the pool's schema: one row per applied effect.
pub async fn effects_table(pool: &PgPool) {
    sqlx::query("CREATE TABLE IF NOT EXISTS effects (seq bigserial PRIMARY KEY, event_id text NOT NULL, order_id text NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
}

/// Number of effect rows.
pub async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM effects").fetch_one(pool).await.unwrap()
}

/// An attention event for `order`.
pub fn attention(order: &str, incident: &str) -> NewEvent {
    let msg = Attention { incident_id: incident.into(), title: format!("incident {incident}"), ..Default::default() };
    NewEvent::new(OrderId::parse(order).unwrap(), "attention", &msg, "test").unwrap()
}

/// An outbox for the test service `kit-test`.
pub fn outbox(bus: &Bus) -> Outbox {
    Outbox::new("kit-test", bus.config(), ManualClock::at_default().shared())
}

/// Writes `n` events for `order` in one transaction.
pub async fn write_events(pool: &PgPool, outbox: &Outbox, order: &str, n: usize) {
    let mut tx = pool.begin().await.unwrap();
    for i in 0..n {
        outbox.add(&mut tx, attention(order, &format!("i{i}"))).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// Messages currently in the test's stream.
pub async fn stream_messages(bus: &Bus) -> u64 {
    let mut stream = bus.jetstream().get_stream(&bus.config().stream).await.unwrap();
    stream.info().await.unwrap().state.messages
}
