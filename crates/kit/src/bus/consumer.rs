//! The idempotent consumer: a durable JetStream pull consumer whose handler runs inside a
//! Postgres transaction together with the inbox insert for the event id. The message is acked
//! only after that transaction commits, so a crash before the ack redelivers the message and
//! the inbox row makes the redelivery a no-op. A handler that keeps failing is retried with
//! backoff up to `max_deliver` attempts, then the event goes to the dead-letter list (with its
//! inbox row, in one transaction) and is acked: nothing is lost, nothing blocks the stream.
//!
//! Events of one order are handled one after another; different orders run concurrently.
//!
//! With [`ConsumerConfig::transaction_batch`] above 1, a pulled chunk is split into lanes (each
//! order wholly in one lane) and each lane commits up to that many events, with their inbox
//! rows, in one transaction ([`lanes`]): one commit instead of one per event, the same
//! exactly-once and per-order order, and any failure falls back to one event per transaction.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use futures::StreamExt;
use proto::payops::events::v1::Envelope;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::event::{EventError, decode_envelope, unpack};
use super::{Bus, BusError};
use crate::fault::FaultPoints;
use crate::metrics as m;
use crate::telemetry;

mod lanes;

/// Fault point: after the handler's transaction committed, before the message is acked.
pub const AFTER_COMMIT: &str = "consumer.after_commit";

/// Removes one event's inbox row inside a group's transaction (its handler failed; it is
/// recorded when it is handled on its own). On the full key, one row per statement: with
/// `event_id = ANY($2)` the generic plan made while the inbox was small scanned every inbox row
/// of the consumer and filtered, so each failure cost the whole inbox.
pub const FORGET_INBOX_ROW: &str = "DELETE FROM inbox WHERE consumer = $1 AND event_id = $2";

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth trying again later (a partner or the database is down).
    #[error("retryable: {0}")]
    Retry(String),
    /// Will never succeed (malformed or impossible event): dead-letter at once.
    #[error("fatal: {0}")]
    Fatal(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        HandlerError::Retry(e.to_string())
    }
}

impl From<EventError> for HandlerError {
    fn from(e: EventError) -> Self {
        HandlerError::Fatal(e.to_string())
    }
}

/// One delivered event.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The decoded envelope.
    pub envelope: Envelope,
    /// The subject it arrived on.
    pub subject: String,
    /// 1 on first delivery, more on redeliveries.
    pub delivery: i64,
}

impl Delivered {
    /// Decodes the payload as `M`, checking its type.
    pub fn payload<M: prost::Message + prost::Name + Default>(&self) -> Result<M, EventError> {
        unpack(&self.envelope)
    }
}

/// Applies events. Runs inside the transaction that also records the event as handled.
pub trait Handler: Send + Sync + 'static {
    /// Applies `event` using `tx`; must not commit it.
    fn handle(&self, tx: &mut PgConnection, event: &Delivered)
    -> impl Future<Output = Result<(), HandlerError>> + Send;

    /// Applies `events` (in order, none seen before) using `tx`, for a consumer that commits
    /// several events per transaction ([`ConsumerConfig::transaction_batch`]). On failure it
    /// names the index of the event that failed; the consumer rolls the transaction back and
    /// handles that event on its own. The default calls [`Handler::handle`] for each; a
    /// projection can write them all in one statement instead (one round trip, not one each).
    fn handle_all(
        &self,
        tx: &mut PgConnection,
        events: &[Delivered],
    ) -> impl Future<Output = Result<(), (usize, HandlerError)>> + Send {
        async move {
            for (i, event) in events.iter().enumerate() {
                self.handle(tx, event).await.map_err(|e| (i, e))?;
            }
            Ok(())
        }
    }
}

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Durable consumer name, also the inbox and dead-letter key, e.g. `ticketing-attention`.
    pub name: String,
    /// Subject filters, e.g. `payops.events.*.*.attention`. More than one needs NATS 2.10 or
    /// newer (older servers ignore a list and deliver everything).
    pub filter_subjects: Vec<String>,
    /// Deliveries before an event is dead-lettered.
    pub max_deliver: i64,
    /// How long JetStream waits for an ack before redelivering. A pulled message may wait
    /// behind up to two chunks (`batch` each) before its own is handled, so this must stay well
    /// above two chunks' handling time: a message redelivered while it waits counts a delivery.
    pub ack_wait: Duration,
    /// Delay before redelivery after the n-th failure (last entry repeats).
    pub backoff: Vec<Duration>,
    /// Messages per pull.
    pub batch: usize,
    /// Orders handled concurrently.
    pub concurrency: usize,
    /// How long handled (`done`) inbox rows are kept; `None` = twice the stream's replay
    /// horizon (`EVENTS_MAX_AGE`): one horizon for the stream's own redeliveries and one for an
    /// outbox replay of rows that old. Dead-letter rows are kept until replayed or removed.
    pub inbox_retention: Option<Duration>,
    /// Events committed in one transaction (with their inbox rows) when a pulled chunk holds
    /// more than one; 1 (the default) commits each event on its own. Only for handlers whose
    /// whole effect is their transaction (projections): a group is rolled back and handled
    /// again one event per transaction when any of its handlers fails, so a handler with an
    /// effect outside the transaction would repeat it.
    pub transaction_batch: usize,
}

impl ConsumerConfig {
    /// Defaults: 5 deliveries, 30 s ack wait, backoff 1s/5s/30s/2m, batch 64, concurrency 8.
    pub fn new(name: &str, filter_subjects: Vec<String>) -> Self {
        ConsumerConfig {
            name: name.to_owned(),
            filter_subjects,
            max_deliver: 5,
            ack_wait: Duration::from_secs(30),
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ],
            batch: 64,
            concurrency: 8,
            inbox_retention: None,
            transaction_batch: 1,
        }
    }
}

/// A durable pull consumer bound to a handler.
pub struct Consumer<H> {
    config: ConsumerConfig,
    pool: PgPool,
    consumer: PullConsumer,
    handler: Arc<H>,
    faults: FaultPoints,
    /// Handled inbox rows older than this are pruned.
    inbox_retention: Duration,
}

/// Rows deleted per statement when pruning (short transactions next to the hot path).
const PRUNE_CHUNK: i64 = 5_000;

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Duplicate,
    Retry,
    DeadLetter,
}

impl<H: Handler> Consumer<H> {
    /// Creates or binds the durable consumer on the bus's stream (idempotent).
    pub async fn bind(bus: &Bus, pool: PgPool, config: ConsumerConfig, handler: H) -> Result<Self, BusError> {
        let stream = bus.ensure_stream().await?;
        // One filter goes in `filter_subject`, which every JetStream server honours; servers
        // before 2.10 silently ignore `filter_subjects` and would deliver the whole stream.
        let (filter_subject, filter_subjects) = match config.filter_subjects.as_slice() {
            [one] => (one.clone(), Vec::new()),
            many => (String::new(), many.to_vec()),
        };
        let pull_config = pull::Config {
            durable_name: Some(config.name.clone()),
            filter_subject,
            filter_subjects,
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            ack_wait: config.ack_wait,
            // JetStream's own limit sits above ours so the last failure still reaches the
            // handler code that writes the dead letter.
            max_deliver: config.max_deliver + 1,
            max_ack_pending: 10_000,
            ..Default::default()
        };
        let consumer = stream
            .get_or_create_consumer(&config.name, pull_config)
            .await
            .map_err(|e| BusError::JetStream(e.to_string()))?;
        // Export the counters at zero so `increase()` sees the first dead letter.
        metrics::counter!(m::CONSUMER_DEAD_LETTERED, "consumer" => config.name.clone()).absolute(0);
        metrics::counter!(m::CONSUMER_REDELIVERED, "consumer" => config.name.clone()).absolute(0);
        let inbox_retention = config.inbox_retention.unwrap_or(bus.config().max_age * 2);
        Ok(Consumer { config, pool, consumer, handler: Arc::new(handler), faults: FaultPoints::new(), inbox_retention })
    }

    /// Uses `faults` for the consumer's fault points.
    pub fn with_faults(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// Deletes this consumer's handled inbox rows older than the retention, in short chunks;
    /// returns how many went. Rows of dead letters stay (the dead-letter list owns them).
    pub async fn prune_inbox(&self) -> Result<u64, sqlx::Error> {
        let mut total = 0;
        loop {
            let r = sqlx::query(
                "DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox WHERE consumer = $1 AND outcome = 'done' \
                 AND handled_at < now() - make_interval(secs => $2) LIMIT $3)",
            )
            .bind(&self.config.name)
            .bind(self.inbox_retention.as_secs_f64())
            .bind(PRUNE_CHUNK)
            .execute(&self.pool)
            .await?;
            total += r.rows_affected();
            if r.rows_affected() < PRUNE_CHUNK as u64 {
                return Ok(total);
            }
        }
    }

    /// Handles every message available right now; returns how many were handled (tests use
    /// this to drive background work step by step).
    pub async fn drain(&self) -> Result<usize, BusError> {
        let mut total = 0;
        loop {
            let messages = self
                .consumer
                .fetch()
                .max_messages(self.config.batch)
                .messages()
                .await
                .map_err(|e| BusError::JetStream(e.to_string()))?;
            let batch: Vec<_> = messages.filter_map(|m| async { m.ok() }).collect().await;
            if batch.is_empty() {
                return Ok(total);
            }
            total += batch.len();
            self.handle_batch(batch).await?;
        }
    }

    /// Pulls and handles until `token` is cancelled; the in-flight chunk is finished and acked
    /// before returning. Messages are taken from a continuous pull as they arrive, in chunks of
    /// whatever is ready (up to `batch`), so a lone event is handled at once and a burst is
    /// handled concurrently per order.
    pub async fn run_until(self, token: CancellationToken) {
        let mut failures = 0u32;
        let mut last_lag = Instant::now() - Duration::from_secs(60);
        // The first prune a minute after start (not in the start-up rush), then every 10 min.
        let mut last_prune = Instant::now() - Duration::from_secs(540);
        let batch = self.config.batch.max(1);
        'outer: while !token.is_cancelled() {
            // A task pulls the next messages while a chunk is being handled (a pull stream
            // polled only between chunks left the consumer waiting ~20 ms for each). It pulls
            // in one-shot batches, so a stop knows exactly what it was given: it stops pulling,
            // takes what arrived, and gives it back (nak) for immediate redelivery instead of
            // leaving it to the ack wait.
            let (sender, mut buffer) = tokio::sync::mpsc::channel(batch);
            let stop_pulling = CancellationToken::new();
            let pull = tokio::spawn(pull_into(self.consumer.clone(), batch, sender, stop_pulling.clone()));
            let _abort_pull = AbortOnDrop(pull);
            let mut chunk = Vec::with_capacity(batch);
            loop {
                if last_lag.elapsed() > Duration::from_secs(5) {
                    last_lag = Instant::now();
                    self.record_lag().await;
                }
                if last_prune.elapsed() > Duration::from_secs(600) {
                    last_prune = Instant::now();
                    match self.prune_inbox().await {
                        Ok(n) if n > 0 => tracing::info!(consumer = %self.config.name, rows = n, "inbox pruned"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(consumer = %self.config.name, error = %e, "inbox prune failed"),
                    }
                }
                chunk.clear();
                let received = tokio::select! {
                    _ = token.cancelled() => {
                        stop_pulling.cancel();
                        self.give_back(&mut buffer).await;
                        break 'outer;
                    }
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                    n = buffer.recv_many(&mut chunk, batch) => n,
                };
                if received == 0 {
                    // The pull failed (the task logged why); back off, then pull again.
                    failures = failures.saturating_add(1);
                    tokio::select! {
                        _ = token.cancelled() => break 'outer,
                        _ = tokio::time::sleep(Duration::from_millis(100u64 << failures.min(6))) => {}
                    }
                    continue 'outer;
                }
                match self.handle_batch(std::mem::take(&mut chunk)).await {
                    Ok(()) => failures = 0,
                    Err(e) => {
                        failures = failures.saturating_add(1);
                        tracing::warn!(consumer = %self.config.name, error = %e, "consumer batch failed; backing off");
                        stop_pulling.cancel();
                        self.give_back(&mut buffer).await;
                        tokio::select! {
                            _ = token.cancelled() => break 'outer,
                            _ = tokio::time::sleep(Duration::from_millis(100u64 << failures.min(6))) => {}
                        }
                        // Unacked messages of the failed chunk come back after ack_wait.
                        continue 'outer;
                    }
                }
            }
        }
        tracing::info!(consumer = %self.config.name, "consumer stopped");
    }

    /// Gives back every message the stopping pull task delivered: first waits for its pull to
    /// end (the batch is full, or JetStream expires the request within [`PULL_EXPIRES`]), then
    /// naks them all, so they are redelivered at once to whoever pulls next. Naking while the
    /// pull was still open would hand each message straight back into it, burning a delivery
    /// per round until JetStream's delivery limit dropped the message.
    async fn give_back(&self, buffer: &mut tokio::sync::mpsc::Receiver<async_nats::jetstream::Message>) {
        let mut held = Vec::new();
        let deadline = tokio::time::sleep(PULL_EXPIRES + Duration::from_secs(1));
        tokio::pin!(deadline);
        loop {
            let msg = tokio::select! {
                _ = &mut deadline => break,
                m = buffer.recv() => m,
            };
            match msg {
                Some(msg) => held.push(msg),
                None => break,
            }
        }
        buffer.close();
        while let Ok(msg) = buffer.try_recv() {
            held.push(msg);
        }
        let mut given = 0usize;
        for msg in held {
            if msg.ack_with(AckKind::Nak(None)).await.is_ok() {
                given += 1;
            }
        }
        if given > 0 {
            tracing::info!(consumer = %self.config.name, messages = given, "unhandled messages given back for redelivery");
        }
    }

    /// Messages waiting for this consumer.
    pub async fn pending(&mut self) -> Result<u64, BusError> {
        let info = self.consumer.info().await.map_err(|e| BusError::JetStream(e.to_string()))?;
        Ok(info.num_pending + info.num_ack_pending as u64)
    }

    async fn record_lag(&self) {
        let mut c = self.consumer.clone();
        if let Ok(info) = c.info().await {
            metrics::gauge!(m::CONSUMER_LAG, "consumer" => self.config.name.clone()).set(info.num_pending as f64);
        }
    }

    async fn handle_batch(&self, batch: Vec<async_nats::jetstream::Message>) -> Result<(), BusError> {
        if self.config.transaction_batch > 1 && batch.len() > 1 {
            return self.handle_in_lanes(batch).await;
        }
        let results: Vec<Result<(), BusError>> = futures::stream::iter(by_order(batch))
            .map(|msgs| async move {
                for msg in msgs {
                    self.handle_one(msg).await?;
                }
                Ok(())
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// The span of processing one message, continuing the trace its headers carry.
    fn process_span(&self, msg: &async_nats::jetstream::Message, delivery: i64) -> tracing::Span {
        let subject = msg.subject.as_str();
        let name = self.config.name.as_str();
        let template = super::subject_template(subject);
        let span = tracing::info_span!(
            "process",
            otel.name = %format!("process {template}"),
            otel.kind = "consumer",
            messaging.system = "nats",
            messaging.operation.name = "process",
            messaging.operation.type = "process",
            messaging.destination.name = %subject,
            messaging.destination.template = %template,
            messaging.consumer.group.name = %name,
            messaging.message.id = tracing::field::Empty,
            messaging.delivery_count = delivery,
            order_id = tracing::field::Empty,
        );
        if let Some(h) = msg.headers.as_ref() {
            telemetry::set_parent_from(&span, &telemetry::NatsHeadersRef(h));
        }
        span
    }

    /// Counts one processed message (and whether it was a redelivery) and how long it took.
    fn processed(&self, outcome: Outcome, started: Instant, delivery: i64) {
        let name = self.config.name.clone();
        if delivery > 1 {
            metrics::counter!(m::CONSUMER_REDELIVERED, "consumer" => name.clone()).increment(1);
        }
        metrics::histogram!(m::CONSUMER_SECONDS, "consumer" => name.clone()).record(started.elapsed().as_secs_f64());
        let label = match outcome {
            Outcome::Done => "done",
            Outcome::Duplicate => "duplicate",
            Outcome::Retry => "retry",
            Outcome::DeadLetter => "dead_letter",
        };
        metrics::counter!(m::CONSUMER_PROCESSED, "consumer" => name, "outcome" => label).increment(1);
    }

    async fn handle_one(&self, msg: async_nats::jetstream::Message) -> Result<(), BusError> {
        let delivery = msg.info().map(|i| i.delivered).unwrap_or(1);
        let subject = msg.subject.to_string();
        let span = self.process_span(&msg, delivery);
        let started = Instant::now();
        let outcome = self.apply(&msg, &subject, delivery).instrument(span).await?;
        self.processed(outcome, started, delivery);
        match outcome {
            Outcome::Retry => self.retry_later(&msg, delivery).await,
            _ => {
                self.faults.check(AFTER_COMMIT).map_err(|c| BusError::Crashed(c.0))?;
                msg.ack().await.map_err(|e| BusError::Ack(e.to_string()))
            }
        }
    }

    /// Naks `msg` for redelivery after the backoff of its `delivery`.
    async fn retry_later(&self, msg: &async_nats::jetstream::Message, delivery: i64) -> Result<(), BusError> {
        let idx = usize::try_from(delivery - 1).unwrap_or(0).min(self.config.backoff.len().saturating_sub(1));
        let delay = self.config.backoff.get(idx).copied();
        msg.ack_with(AckKind::Nak(delay)).await.map_err(|e| BusError::Ack(e.to_string()))
    }

    async fn apply(
        &self,
        msg: &async_nats::jetstream::Message,
        subject: &str,
        delivery: i64,
    ) -> Result<Outcome, BusError> {
        let envelope = match decode_envelope(&msg.payload) {
            Ok(env) => env,
            Err(e) => {
                // Not an envelope: it can never succeed. Key it by stream sequence.
                let id =
                    msg.info().map(|i| format!("seq-{}", i.stream_sequence)).unwrap_or_else(|_| "seq-unknown".into());
                return self.dead_letter(&id, subject, None, &msg.payload, &e.to_string(), delivery).await;
            }
        };
        let span = tracing::Span::current();
        span.record("messaging.message.id", envelope.event_id.as_str());
        span.record("order_id", envelope.order_id.as_str());
        let event = Delivered { envelope, subject: subject.to_owned(), delivery };
        let mut tx = self.pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO inbox (consumer, event_id, outcome) VALUES ($1, $2, 'done') ON CONFLICT DO NOTHING",
        )
        .bind(&self.config.name)
        .bind(&event.envelope.event_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !fresh {
            tx.rollback().await?;
            tracing::debug!(event_id = %event.envelope.event_id, "duplicate delivery ignored");
            return Ok(Outcome::Duplicate);
        }
        match self.handler.handle(&mut tx, &event).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(Outcome::Done)
            }
            Err(HandlerError::Retry(e)) if delivery < self.config.max_deliver => {
                tx.rollback().await?;
                tracing::warn!(event_id = %event.envelope.event_id, delivery, error = %e, "handler failed; will retry");
                Ok(Outcome::Retry)
            }
            Err(err) => {
                tx.rollback().await?;
                tracing::error!(event_id = %event.envelope.event_id, delivery, error = %err, "event dead-lettered");
                let payload = msg.payload.to_vec();
                let envelope = &event.envelope;
                self.dead_letter(
                    &envelope.event_id,
                    subject,
                    Some(&envelope.order_id),
                    &payload,
                    &err.to_string(),
                    delivery,
                )
                .await
            }
        }
    }

    async fn dead_letter(
        &self,
        event_id: &str,
        subject: &str,
        order_id: Option<&str>,
        payload: &[u8],
        error: &str,
        attempts: i64,
    ) -> Result<Outcome, BusError> {
        let mut tx = self.pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO inbox (consumer, event_id, outcome) VALUES ($1, $2, 'dead') ON CONFLICT DO NOTHING",
        )
        .bind(&self.config.name)
        .bind(event_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if fresh {
            sqlx::query(
                "INSERT INTO dead_letters (consumer, event_id, subject, order_id, payload, error, attempts) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&self.config.name)
            .bind(event_id)
            .bind(subject)
            .bind(order_id)
            .bind(payload)
            .bind(error)
            .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
            metrics::counter!(m::CONSUMER_DEAD_LETTERED, "consumer" => self.config.name.clone()).increment(1);
        }
        tx.commit().await?;
        Ok(if fresh { Outcome::DeadLetter } else { Outcome::Duplicate })
    }
}

/// How long one pull waits for messages when the stream is idle.
const PULL_EXPIRES: Duration = Duration::from_secs(2);

/// Pulls `batch` messages at a time into `sender` until `stop` (finishing the pull in hand) or
/// a failed pull (logged; dropping `sender` tells the consumer).
async fn pull_into(
    consumer: PullConsumer,
    batch: usize,
    sender: tokio::sync::mpsc::Sender<async_nats::jetstream::Message>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let messages = match consumer.batch().max_messages(batch).expires(PULL_EXPIRES).messages().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "consumer pull failed; backing off");
                return;
            }
        };
        let mut messages = std::pin::pin!(messages);
        while let Some(m) = messages.next().await {
            match m {
                Ok(m) => {
                    if sender.send(m).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "consumer pull failed; backing off");
                    return;
                }
            }
        }
    }
}

/// Aborts the pull task when the consumer leaves its pull (stop, error, a fresh pull).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Splits a chunk by order id, each order's messages in arrival order, orders in the order
/// first seen.
fn by_order(batch: Vec<async_nats::jetstream::Message>) -> Vec<Vec<async_nats::jetstream::Message>> {
    let mut groups: HashMap<String, Vec<async_nats::jetstream::Message>> = HashMap::new();
    let mut order = Vec::new();
    for msg in batch {
        let key = order_key(msg.subject.as_str());
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(msg);
    }
    order.into_iter().filter_map(|k| groups.remove(&k)).collect()
}

/// The order id token of `<prefix>.<source>.<order_id>.<type>`.
fn order_key(subject: &str) -> String {
    let mut tokens = subject.rsplit('.');
    tokens.next();
    tokens.next().unwrap_or(subject).to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn order_key_is_the_second_to_last_token() {
        assert_eq!(super::order_key("payops.events.pixi-sync.4711.attention"), "4711");
        assert_eq!(super::order_key("x"), "x");
    }

    #[test]
    fn span_names_carry_the_subject_template_not_the_order_id() {
        assert_eq!(
            crate::bus::subject_template("payops.events.pixi-sync.4711.attention"),
            "payops.events.pixi-sync.{order_id}.attention"
        );
    }
}
