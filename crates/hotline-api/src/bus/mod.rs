//! Events of hotline-api: `code_generated` (published through the outbox, keyed by the PGW
//! transaction number) and the timeline consumer that reads **every** event of every service
//! (`<prefix>.>`) into the order timeline (HL-40). Envelopes are decoded generically — type,
//! source, time and summary — so events of services this one does not know are shown too.

use kit::bus::{Bus, BusError, Consumer, ConsumerConfig, Delivered, Handler, HandlerError};
use sqlx::{PgConnection, PgPool};

use crate::store::timeline::{self, TimelineRow};

/// Durable consumer name of the timeline.
pub const TIMELINE: &str = "hotline-timeline";

/// Writes every event into `timeline_events`.
pub struct TimelineProjector;

impl TimelineProjector {
    /// The timeline row of `event`, or why it can never be one.
    fn row(event: &Delivered) -> Result<(String, TimelineRow, String), HandlerError> {
        let e = &event.envelope;
        if kit::id::validate_id(&e.order_id, 64).is_err() {
            return Err(HandlerError::Fatal(format!("envelope {} has an invalid order id", e.event_id)));
        }
        let occurred_at = e
            .occurred_at
            .as_ref()
            .and_then(kit::bus::event::from_timestamp)
            .ok_or_else(|| HandlerError::Fatal(format!("envelope {} has no valid time", e.event_id)))?;
        let row = TimelineRow {
            event_id: e.event_id.clone(),
            source: e.source.clone(),
            event_type: e.r#type.clone(),
            occurred_at,
            summary: e.summary.chars().take(500).collect(),
        };
        Ok((e.order_id.clone(), row, event.subject.clone()))
    }
}

impl Handler for TimelineProjector {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        let (order_id, row, subject) = Self::row(event)?;
        timeline::insert(tx, &order_id, &row, &subject).await?;
        metrics::counter!("payops_hotline_timeline_events_total").increment(1);
        Ok(())
    }

    /// All rows in one statement; an event that can never be a row is named by its index.
    async fn handle_all(&self, tx: &mut PgConnection, events: &[Delivered]) -> Result<(), (usize, HandlerError)> {
        let rows = events
            .iter()
            .enumerate()
            .map(|(i, e)| Self::row(e).map_err(|err| (i, err)))
            .collect::<Result<Vec<_>, _>>()?;
        // A database error fails the group as a whole; the consumer then handles its first event
        // on its own and the rest again as a group.
        timeline::insert_many(tx, &rows).await.map_err(|e| (0, e.into()))?;
        metrics::counter!("payops_hotline_timeline_events_total").increment(rows.len() as u64);
        Ok(())
    }
}

/// Binds the timeline consumer to every event on the bus.
pub async fn timeline_consumer(bus: &Bus, pool: PgPool) -> Result<Consumer<TimelineProjector>, BusError> {
    let mut config = ConsumerConfig::new(TIMELINE, vec![bus.filter_all()]);
    config.batch = 256;
    config.concurrency = 16;
    // A projection whose whole effect is its transaction: commit up to 64 events at once.
    config.transaction_batch = 64;
    Consumer::bind(bus, pool, config, TimelineProjector).await
}
