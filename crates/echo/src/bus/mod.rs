//! Events of the echo service: `note_recorded` (published through the outbox) and the
//! consumer that counts them per order.

use kit::bus::{Bus, Consumer, ConsumerConfig, Delivered, Handler, HandlerError};
use proto::payops::echo::v1::NoteRecorded;
use sqlx::{PgConnection, PgPool};

use crate::store;

/// Event type of a recorded note.
pub const NOTE_RECORDED: &str = "note_recorded";
/// Durable consumer name.
pub const COUNTER: &str = "echo-note-counter";

/// Counts `note_recorded` events per order.
pub struct NoteCounter;

impl Handler for NoteCounter {
    async fn handle(&self, tx: &mut PgConnection, event: &Delivered) -> Result<(), HandlerError> {
        let _note: NoteRecorded = event.payload()?;
        store::notes::increment_count(tx, &event.envelope.order_id).await?;
        Ok(())
    }
}

/// Binds the counter to `echo`'s own `note_recorded` events.
pub async fn counter(bus: &Bus, pool: PgPool) -> Result<Consumer<NoteCounter>, kit::bus::BusError> {
    let filter = format!("{}.echo.*.{NOTE_RECORDED}", bus.config().prefix);
    Consumer::bind(bus, pool, ConsumerConfig::new(COUNTER, vec![filter]), NoteCounter).await
}
