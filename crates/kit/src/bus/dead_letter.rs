//! The dead-letter list of a service's consumers: events that could not be applied after their
//! allowed attempts. Operators list them and replay them once the cause is fixed; a replay
//! runs the handler again in one transaction with the inbox update, so it applies at most once.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::consumer::{Delivered, Handler, HandlerError};
use super::event::decode_envelope;

/// One dead-lettered event.
#[derive(Debug, Clone, FromRow)]
pub struct DeadLetter {
    /// Row id, used to replay.
    pub id: i64,
    /// The consumer that gave up.
    pub consumer: String,
    /// The event id (or `seq-<n>` for undecodable messages).
    pub event_id: String,
    /// The subject it arrived on.
    pub subject: String,
    /// The order, when known.
    pub order_id: Option<String>,
    /// The last error.
    pub error: String,
    /// Deliveries tried.
    pub attempts: i32,
    /// When it was dead-lettered.
    pub created_at: DateTime<Utc>,
    /// When it was replayed successfully, if ever.
    pub replayed_at: Option<DateTime<Utc>>,
}

/// Replay failures.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No such dead letter, or it was already replayed.
    #[error("dead letter {0} not found or already replayed")]
    NotFound(i64),
    /// The stored payload is not an envelope.
    #[error("dead letter {0} cannot be decoded: {1}")]
    Undecodable(i64, String),
    /// The handler failed again; nothing changed.
    #[error("handler failed again: {0}")]
    Handler(#[from] HandlerError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Access to the dead-letter table.
#[derive(Clone)]
pub struct DeadLetters {
    pool: PgPool,
}

impl DeadLetters {
    /// The dead letters in `pool`'s schema.
    pub fn new(pool: PgPool) -> Self {
        DeadLetters { pool }
    }

    /// Dead letters not yet replayed, oldest first, optionally for one consumer.
    pub async fn open(&self, consumer: Option<&str>, limit: i64) -> Result<Vec<DeadLetter>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, consumer, event_id, subject, order_id, error, attempts, created_at, replayed_at \
             FROM dead_letters WHERE replayed_at IS NULL AND ($1::text IS NULL OR consumer = $1) ORDER BY id LIMIT $2",
        )
        .bind(consumer)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Number of dead letters not yet replayed.
    pub async fn count_open(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL").fetch_one(&self.pool).await
    }

    /// Runs `handler` on dead letter `id` again. On success the inbox row becomes `done` and the
    /// dead letter is marked replayed, in the handler's transaction.
    pub async fn replay<H: Handler>(&self, id: i64, handler: &H) -> Result<(), ReplayError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(String, String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT consumer, event_id, subject, payload FROM dead_letters WHERE id = $1 AND replayed_at IS NULL FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (consumer, event_id, subject, payload) = row.ok_or(ReplayError::NotFound(id))?;
        let envelope = decode_envelope(&payload).map_err(|e| ReplayError::Undecodable(id, e.to_string()))?;
        let event = Delivered { envelope, subject, delivery: 0 };
        handler.handle(&mut tx, &event).await?;
        sqlx::query("UPDATE inbox SET outcome = 'done', handled_at = now() WHERE consumer = $1 AND event_id = $2")
            .bind(&consumer)
            .bind(&event_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE dead_letters SET replayed_at = now() WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
