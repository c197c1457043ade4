//! The transactional outbox and its relay. A service writes its state change and the event in
//! one Postgres transaction ([`Outbox::add`]); the [`Relay`] claims unsent rows with
//! `FOR UPDATE SKIP LOCKED` (never a `seq > last_seen` watermark, which skips late commits),
//! publishes them with `Nats-Msg-Id` = event id and marks them sent in the same transaction.
//! If the relay dies after publishing and before marking, the row is published again and
//! JetStream drops the duplicate inside its window; consumers' inboxes catch the rest.
//!
//! Ordering: rows are published in `seq` order, pipelined on one NATS connection; while earlier
//! batches' acks are collected and their rows marked (up to [`Relay::in_flight`] batches open),
//! the next batch is claimed and sent ([`Relay::drain`]). Only a failure (a publish, or the
//! marking of a batch) can reorder one order's events, and consumers tolerate that (states
//! move forward).
//!
//! Waking: the relay polls every 25 ms when idle (cheap: an index-only probe of unsent rows)
//! and is woken at once when its own process adds an event. A `NOTIFY` per commit was measured
//! to cost a third of commit throughput (Postgres serialises committing notifiers), so it is
//! not used; other replicas' events are picked up by the poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use bytes::Bytes;
use prost::Message;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::{Bus, BusConfig, BusError, NewEvent};
use crate::clock::SharedClock;
use crate::fault::FaultPoints;
use crate::metrics as m;
use crate::telemetry;

/// Starts the relay's claim transaction: the claim ([`CLAIM`]) must walk `outbox_unsent` in
/// seq order and stop after a batch. With statistics taken while the outbox was near empty
/// (the usual case) the planner prefers a bitmap scan plus a sort of every unsent row, so each
/// batch of a backlog would cost the whole backlog (20,000 unsent rows: 9.6 ms per claim
/// instead of 0.4 ms) and the drain after an outage would grow quadratic. Those two plans are
/// switched off for this transaction only, in the BEGIN's own round trip.
pub const CLAIM_BEGIN: &str = "BEGIN; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off";

/// The relay's claim of the next due rows, `$1` at most, in seq order.
pub const CLAIM: &str = "SELECT seq, id, subject, envelope, headers, attempts FROM outbox \
     WHERE sent_at IS NULL AND next_attempt_at <= now() ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED";

/// Batches a draining relay keeps published and not yet marked sent, the batch it is claiming
/// included, at most. Each is one open transaction; a relay takes at most half its pool's
/// connections for them, and never fewer than two ([`Relay::in_flight`]). Two left NATS and
/// Postgres idle in turn (the claim, or the marking of 512 rows, waited for the other); three
/// drained the bench backlogs 20–38 % faster on two cores, four no faster
/// (docs/benchmarks.md, target 5).
pub const IN_FLIGHT: usize = 3;

/// Fault point: after JetStream acknowledged a batch, before the rows are marked sent.
pub const AFTER_PUBLISH: &str = "outbox.after_publish";

/// Writes events into the service's outbox table.
#[derive(Clone)]
pub struct Outbox {
    source: String,
    prefix: String,
    clock: SharedClock,
    /// Wakes this process's relay when an event is added.
    wake: Arc<Notify>,
}

impl Outbox {
    /// An outbox for events emitted by `source` (the service name).
    pub fn new(source: &str, bus: &BusConfig, clock: SharedClock) -> Self {
        Outbox { source: source.to_owned(), prefix: bus.prefix.clone(), clock, wake: Arc::new(Notify::new()) }
    }

    /// The waker this outbox pokes; give it to the relay with [`Relay::with_wake`].
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Adds `event` inside the caller's transaction and returns its id. The current span's
    /// trace context is stored with it, so the trace continues through the bus.
    pub async fn add(&self, conn: &mut PgConnection, event: NewEvent) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::now_v7();
        let subject = format!("{}.{}.{}.{}", self.prefix, self.source, event.order_id, event.event_type);
        let order_id = event.order_id.to_string();
        let event_type = event.event_type.clone();
        let envelope = event.into_envelope(&id.to_string(), &self.source, self.clock.now());
        let headers: HashMap<String, String> = telemetry::current_headers().into_iter().collect();
        sqlx::query(
            "INSERT INTO outbox (id, subject, order_id, event_type, envelope, headers) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(&subject)
        .bind(&order_id)
        .bind(&event_type)
        .bind(envelope.encode_to_vec())
        .bind(sqlx::types::Json(headers))
        .execute(conn)
        .await?;
        // The row commits a moment later; the relay retries shortly if it looks too early.
        self.wake.notify_one();
        Ok(id)
    }

    /// The service name events are emitted as.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Publishes outbox rows to JetStream.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    bus: Bus,
    service: String,
    batch: i64,
    retention: Duration,
    poll: Duration,
    faults: FaultPoints,
    /// Woken by the outbox of the same process.
    wake: Arc<Notify>,
}

/// A claimed batch whose publishes were sent: its transaction holds the rows' locks until
/// [`Relay::finish`] marks them.
struct InFlight {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    rows: Vec<Row0>,
    pending:
        Vec<Result<async_nats::jetstream::context::PublishAckFuture, async_nats::jetstream::context::PublishError>>,
}

struct Row0 {
    seq: i64,
    id: Uuid,
    subject: String,
    envelope: Vec<u8>,
    headers: HashMap<String, String>,
    attempts: i32,
}

impl Relay {
    /// A relay for `service`'s outbox.
    pub fn new(pool: PgPool, bus: Bus, service: &str) -> Self {
        metrics::counter!(m::OUTBOX_PUBLISHED, "service" => service.to_owned()).absolute(0);
        metrics::counter!(m::OUTBOX_FAILURES, "service" => service.to_owned()).absolute(0);
        Relay {
            pool,
            bus,
            service: service.to_owned(),
            batch: 256,
            retention: Duration::from_secs(7 * 86_400),
            poll: Duration::from_millis(25),
            faults: FaultPoints::new(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Wakes on events added through the outbox that owns `wake`.
    pub fn with_wake(mut self, wake: Arc<Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// Idle poll interval (default 25 ms).
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Uses `faults` for the relay's fault points.
    pub fn with_faults(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// Keeps sent rows for `retention` (the replay horizon).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Rows per claimed batch.
    pub fn with_batch(mut self, batch: i64) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Publishes one claimed batch and marks it sent; returns how many rows were sent.
    pub async fn publish_batch(&self) -> Result<usize, BusError> {
        match self.claim_and_send().await? {
            Some(batch) => self.finish(batch).await,
            None => Ok(0),
        }
    }

    /// Claims the next due rows (`FOR UPDATE SKIP LOCKED`, in `seq` order) and sends their
    /// publishes, pipelined on the one NATS connection; the acks are collected by
    /// [`Relay::finish`]. `None` when no row is due.
    async fn claim_and_send(&self) -> Result<Option<InFlight>, BusError> {
        let mut tx = self.pool.begin_with(CLAIM_BEGIN).await?;
        let rows = sqlx::query(CLAIM).bind(self.batch).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let rows: Vec<Row0> = rows
            .into_iter()
            .map(|r| {
                Ok(Row0 {
                    seq: r.try_get("seq")?,
                    id: r.try_get("id")?,
                    subject: r.try_get("subject")?,
                    envelope: r.try_get("envelope")?,
                    headers: r.try_get::<sqlx::types::Json<HashMap<String, String>>, _>("headers")?.0,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;

        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            let template = super::subject_template(&row.subject);
            let span = tracing::info_span!(
                "publish",
                otel.name = %format!("publish {template}"),
                otel.kind = "producer",
                messaging.system = "nats",
                messaging.operation.name = "publish",
                messaging.operation.type = "send",
                messaging.destination.name = %row.subject,
                messaging.destination.template = %template,
                messaging.message.id = %row.id,
            );
            telemetry::set_parent_from(&span, &row.headers);
            let mut headers = HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, row.id.to_string().as_str());
            span.in_scope(|| telemetry::inject(&mut telemetry::NatsHeaders(&mut headers)));
            let publish = self
                .bus
                .jetstream()
                .publish_with_headers(row.subject.clone(), headers, Bytes::from(row.envelope.clone()))
                .instrument(span)
                .await;
            pending.push(publish);
        }
        Ok(Some(InFlight { tx, rows, pending }))
    }

    /// Collects a sent batch's acks, marks the acknowledged rows sent and the failed ones for a
    /// retry with backoff, and commits; returns how many rows were sent.
    async fn finish(&self, batch: InFlight) -> Result<usize, BusError> {
        let InFlight { mut tx, rows, pending } = batch;
        let mut sent = Vec::with_capacity(rows.len());
        let mut failed = Vec::new();
        for (row, publish) in rows.iter().zip(pending) {
            let acked = match publish {
                Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match acked {
                Ok(()) => sent.push(row.seq),
                Err(e) => failed.push((row.seq, row.attempts, e)),
            }
        }
        self.faults.check(AFTER_PUBLISH).map_err(|c| BusError::Crashed(c.0))?;

        sqlx::query("UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1)")
            .bind(&sent)
            .execute(&mut *tx)
            .await?;
        for (seq, attempts, error) in &failed {
            let backoff = Duration::from_millis(200u64.saturating_mul(1 << (*attempts).clamp(0, 8) as u64))
                .min(Duration::from_secs(30));
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2, \
                 next_attempt_at = now() + make_interval(secs => $3) WHERE seq = $1",
            )
            .bind(seq)
            .bind(error)
            .bind(backoff.as_secs_f64())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        metrics::counter!(m::OUTBOX_PUBLISHED, "service" => self.service.clone()).increment(sent.len() as u64);
        if !failed.is_empty() {
            metrics::counter!(m::OUTBOX_FAILURES, "service" => self.service.clone()).increment(failed.len() as u64);
            tracing::warn!(failed = failed.len(), error = %failed[0].2, "outbox publish failed; will retry");
        }
        Ok(sent.len())
    }

    /// Publishes until no row is due; returns how many were sent. Pipelined: each claimed
    /// batch is finished (its acks collected, its rows marked, committed) by a task of its own
    /// while the next batch is claimed and sent, with up to [`Relay::in_flight`] batches open —
    /// each claim takes the next unlocked rows in `seq` order, and its publishes go out after
    /// the previous batch's on the same NATS connection, so order holds.
    ///
    /// A batch short of the batch size took every row that was due and unlocked when it was
    /// claimed, so no other is claimed after it: under a steady trickle of events that claim
    /// would mostly find nothing and cost three round trips (begin, claim, rollback). Rows
    /// committed meanwhile by this process wake [`Relay::run_until`] again; other writers'
    /// rows are found by its poll.
    ///
    /// On an error no further batch is claimed; the batches already sent are still finished
    /// (a failed one stays unsent and is published again later — JetStream drops the
    /// duplicates), and the first error is returned.
    pub async fn drain(&self) -> Result<usize, BusError> {
        let depth = self.in_flight();
        let mut total = 0;
        let mut finishing = std::collections::VecDeque::with_capacity(depth);
        let mut failure = None;
        'claiming: loop {
            let batch = match self.claim_and_send().await {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let full = batch.rows.len() as i64 >= self.batch;
            let relay = self.clone();
            finishing.push_back(tokio::spawn(async move { relay.finish(batch).await }));
            if !full {
                break;
            }
            while finishing.len() >= depth {
                let Some(oldest) = finishing.pop_front() else { break };
                match finished(oldest).await {
                    Ok(n) => total += n,
                    Err(e) => {
                        failure = Some(e);
                        break 'claiming;
                    }
                }
            }
        }
        for task in finishing {
            match finished(task).await {
                Ok(n) => total += n,
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    /// How many batches a drain keeps open at once: [`IN_FLIGHT`], or half the pool's
    /// connections if that is fewer, and at least two (one being marked, one being claimed).
    pub fn in_flight(&self) -> usize {
        (self.pool.options().get_max_connections() as usize / 2).clamp(2, IN_FLIGHT)
    }

    /// Rows not yet published.
    pub async fn backlog(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetch_one(&self.pool).await
    }

    /// Deletes sent rows older than the retention.
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query("DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)")
            .bind(self.retention.as_secs_f64())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    /// Runs until `token` is cancelled: publishes whatever is due, then waits for a wake from
    /// this process's outbox or the poll interval; backs off while Postgres or NATS are down.
    pub async fn run_until(self, token: CancellationToken) {
        let mut failures = 0u32;
        let mut last_prune = std::time::Instant::now();
        let mut last_backlog = std::time::Instant::now() - Duration::from_secs(10);
        while !token.is_cancelled() {
            match self.drain().await {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "outbox relay failed; backing off");
                }
            }
            if last_backlog.elapsed() > Duration::from_secs(2) {
                last_backlog = std::time::Instant::now();
                if let Ok(n) = self.backlog().await {
                    metrics::gauge!(m::OUTBOX_BACKLOG, "service" => self.service.clone()).set(n as f64);
                }
            }
            if last_prune.elapsed() > Duration::from_secs(600) {
                last_prune = std::time::Instant::now();
                if let Err(e) = self.prune().await {
                    tracing::warn!(error = %e, "outbox prune failed");
                }
            }
            let wait = if failures > 0 {
                Duration::from_millis(100u64 << failures.min(6)).min(Duration::from_secs(5))
            } else {
                self.poll
            };
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified(), if failures == 0 => {
                    // Woken between the insert and its commit: give the commit a moment.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }
    }
}

/// The outcome of a batch's finishing task; a panic in it is raised again here.
async fn finished(task: tokio::task::JoinHandle<Result<usize, BusError>>) -> Result<usize, BusError> {
    match task.await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Cancelled only when the runtime shuts down; its rows stay unsent (locks released).
        Err(e) => Err(BusError::JetStream(format!("relay batch not finished: {e}"))),
    }
}
