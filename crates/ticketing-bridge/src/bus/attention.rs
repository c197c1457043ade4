//! The attention consumer (TK-02): a durable pull consumer on `<prefix>.*.*.attention` whose
//! handler only queues the event as ticket work in the consumer's transaction (with the inbox
//! row), so a redelivered event is queued once and a slow or rate-limited Freshdesk never holds
//! up the stream. An event that can never become a ticket (undecodable payload, bad order or
//! incident id) is recorded as a dead letter with reason `malformed` instead of being retried.
//! The only failure left is the database, so deliveries are retried for a long time rather than
//! dead-lettered by the kit. Events of other types are ignored, should a consumer ever see them
//! (its own `ticket_*` events must never come back as malformed attention: that would loop).

use std::sync::Arc;
use std::time::Duration;

use kit::bus::event::from_timestamp;
use kit::bus::{Bus, BusError, Consumer, ConsumerConfig, Delivered, Handler, HandlerError, Outbox};
use kit::clock::SharedClock;
use kit::id::OrderId;
use proto::payops::events::v1::Attention;
use proto::payops::ticketing::v1::TicketWorkDeadLettered;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

use super::events;
use crate::domain::attention::{self, AttentionFields};
use crate::service::DEAD_LETTERED;
use crate::store::work;

/// Durable consumer name.
pub const CONSUMER: &str = "ticketing-attention";
/// The event type consumed.
pub const ATTENTION: &str = "attention";

/// Queues attention events as ticket work.
pub struct AttentionHandler {
    clock: SharedClock,
    outbox: Outbox,
    /// Wakes the worker when work was queued.
    wake: Arc<Notify>,
}

impl AttentionHandler {
    /// A handler stamping rows with `clock`, writing dead-letter events to `outbox` and waking
    /// the worker through `wake`.
    pub fn new(clock: SharedClock, outbox: Outbox, wake: Arc<Notify>) -> Self {
        AttentionHandler { clock, outbox, wake }
    }
}

impl Handler for AttentionHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        let env = &event.envelope;
        if env.r#type != ATTENTION || !event.subject.ends_with(".attention") {
            // Only a consumer bound without its filter (a stale durable on an old server) sees
            // other events; they are none of this handler's business.
            tracing::debug!(subject = %event.subject, "not an attention event; ignored");
            return Ok(());
        }
        let now = self.clock.now();
        let payload = event.payload::<Attention>();
        let parsed = match &payload {
            Ok(a) => attention::parse(&AttentionFields {
                event_id: &env.event_id,
                source: &env.source,
                order_id: &env.order_id,
                incident_id: &a.incident_id,
                severity: a.severity,
                title: &a.title,
                description: &a.description,
                dashboard_url: &a.dashboard_url,
                occurred_at: env.occurred_at.as_ref().and_then(from_timestamp),
            }),
            Err(e) => Err(format!("payload: {e}")),
        };
        match parsed {
            Ok(w) => {
                work::enqueue_event(tx, &w, now).await?;
                self.wake.notify_one();
            }
            Err(reason) => {
                let incident = payload.as_ref().map(|a| a.incident_id.as_str()).unwrap_or_default();
                tracing::warn!(event_id = %env.event_id, reason = %reason, "attention event cannot become a ticket");
                let id = work::insert_malformed(tx, &env.event_id, &env.order_id, incident, &reason, now).await?;
                if let (Some(id), Ok(order)) = (id, OrderId::parse(env.order_id.as_str())) {
                    metrics::counter!(DEAD_LETTERED, "kind" => "event", "reason" => "malformed").increment(1);
                    let msg = TicketWorkDeadLettered {
                        dead_letter_id: id,
                        kind: "event".into(),
                        reason: "malformed".into(),
                        incident_id: incident.to_owned(),
                        attempts: 0,
                        ..Default::default()
                    };
                    let ev = events::dead_lettered(&order, &msg).map_err(|e| HandlerError::Fatal(e.to_string()))?;
                    self.outbox.add(tx, ev).await?;
                }
            }
        }
        Ok(())
    }
}

/// Binds the attention consumer of `bus` with `concurrency` orders at once.
pub async fn consumer(
    bus: &Bus,
    pool: PgPool,
    handler: AttentionHandler,
    concurrency: usize,
) -> Result<Consumer<AttentionHandler>, BusError> {
    let mut config = ConsumerConfig::new(CONSUMER, vec![bus.filter_type(ATTENTION)]);
    // The handler fails only when the database does: keep redelivering (backing off to two
    // minutes, about a day and a half in all) instead of dead-lettering the event.
    config.max_deliver = 1000;
    config.backoff =
        vec![Duration::from_secs(1), Duration::from_secs(5), Duration::from_secs(30), Duration::from_secs(120)];
    config.concurrency = concurrency;
    Consumer::bind(bus, pool, config, handler).await
}
