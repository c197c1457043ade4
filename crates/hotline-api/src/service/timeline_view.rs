//! The order timeline served from memory (HL-40; `docs/benchmarks.md` target 2).
//!
//! `timeline_events` stays the read model of record; this keeps the timelines of recently read
//! orders in memory and answers from there when it may. **Guarantee: a read never shows less than
//! what was committed to `timeline_events` before the request started, whichever replica
//! committed it.** How:
//!
//! - Every write to `timeline_events` (`store::timeline::insert`, `insert_many`) sends
//!   `pg_notify('hotline_timeline_changed', '<schema> <order id>')` for each order it added a row
//!   to, in the same transaction: the notification exists if and only if the rows were committed.
//!   (Channels are per database; the schema tells deployments sharing one apart.)
//! - Each replica LISTENs on that channel and drops the order from memory when one arrives.
//! - PostgreSQL delivers the notifications of different transactions in the order the
//!   transactions committed (documentation of `NOTIFY`). So before a read answers from memory it
//!   waits for a **barrier**: a notification on this replica's own channel, sent after the request
//!   started. When the barrier arrives, every transaction committed before the request has had its
//!   notification delivered, and applied — this task applies them in arrival order. Requests that
//!   arrive together share one barrier round, so its cost (one `pg_notify` statement, with
//!   `synchronous_commit = off` on its own connection: the barrier needs ordering, not durability)
//!   is spread over all of them.
//! - An order not in memory is read from the database (a statement that starts after the request
//!   did). Before that read starts, a placeholder is put in memory; a change notification removes
//!   it; the rows are kept only if their placeholder is still there when they arrive, so rows read
//!   before a change are never kept after it.
//! - Nothing is kept or answered from memory unless the listening connection is live. When it is
//!   lost (notifications may have been missed) everything in memory is dropped, barrier rounds in
//!   flight fail, and reads go to the database until the connection LISTENs again. A barrier that
//!   does not arrive within [`ROUND_TIMEOUT`] sends its readers to the database too.
//!
//! At most `TIMELINE_MEMORY_ORDERS` orders are kept (0: none, every read from the database); a new
//! one evicts an arbitrary other. Metrics: `payops_hotline_timeline_reads_total{from}` (`memory`,
//! `database`), `payops_hotline_timeline_memory_losses_total` (listening connection lost).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener};
use sqlx::{ConnectOptions, PgConnection, PgPool};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::store::timeline::{self, TimelineRow};

/// The channel every write to `timeline_events` notifies, with the order id as payload.
pub const CHANGED: &str = "hotline_timeline_changed";
/// How long a read waits for its barrier before it goes to the database.
pub const ROUND_TIMEOUT: Duration = Duration::from_millis(500);
/// Barrier rounds start at least this far apart: a round costs about 0.1 ms of CPU (its
/// `pg_notify` commit, two backends, this view's thread), so under a steady stream of reads that
/// each would start one, the reads arriving within this gap share one instead. The view's timer
/// works in whole milliseconds, so rounds under load come about 1.7 ms apart (about 600/s).
/// Measured on the timeline bench (closed loop, 100 streams, production subscriber, two or
/// three runs each): against 500 µs, no gap (about 2,600 rounds/s) gave 17 % fewer reads per
/// second (the rounds' CPU), 1 ms (about 470/s) 7 % fewer and a p50 0.6 ms longer at 18,000
/// reads/s.
pub const MIN_ROUND_GAP: Duration = Duration::from_micros(500);
/// Pause before the listening connection is opened again after it was lost.
pub const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The last barrier round that ended, and whether its notification arrived.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    done: u64,
    ok: bool,
}

enum Slot {
    /// A database read is under way; its rows are kept only if this ticket is still here.
    Loading(u64),
    Ready(Arc<[TimelineRow]>),
}

#[derive(Default)]
struct State {
    /// The listening connection is up (LISTEN done) and nothing was missed since.
    live: bool,
    /// The last barrier round whose notification was (or is being) sent.
    started: u64,
    next_ticket: u64,
    entries: HashMap<String, Slot>,
}

/// Timelines of recently read orders (see the module documentation).
pub struct TimelineView {
    capacity: usize,
    limit: i64,
    barrier_channel: String,
    state: Mutex<State>,
    from_memory: std::sync::atomic::AtomicU64,
    wanted: Notify,
    rounds: watch::Sender<Round>,
}

impl TimelineView {
    /// A view of at most `capacity` orders, each with at most `limit` events.
    pub fn new(capacity: usize, limit: i64) -> Self {
        TimelineView {
            capacity,
            limit,
            barrier_channel: format!("hotline_timeline_barrier_{}", uuid::Uuid::new_v4().simple()),
            state: Mutex::new(State::default()),
            from_memory: std::sync::atomic::AtomicU64::new(0),
            wanted: Notify::new(),
            rounds: watch::Sender::new(Round::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether reads may be answered from memory now (the listening connection is live).
    pub fn is_live(&self) -> bool {
        self.lock().live
    }

    /// How many orders are in memory.
    pub fn len(&self) -> usize {
        self.lock().entries.values().filter(|s| matches!(s, Slot::Ready(_))).count()
    }

    /// How many reads were answered from memory since start.
    pub fn reads_from_memory(&self) -> u64 {
        self.from_memory.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// This replica's barrier channel (its LISTEN statement names it).
    pub fn barrier_channel(&self) -> &str {
        &self.barrier_channel
    }

    /// Barrier rounds ended so far.
    pub fn rounds(&self) -> u64 {
        self.rounds.borrow().done
    }

    /// Waits for a barrier (tests and benches measure its latency).
    pub async fn wait_for_barrier(&self) -> bool {
        self.barrier().await
    }

    /// Whether no order is in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The events of `order_id`, oldest first: from memory after a barrier, else from `pool`.
    pub async fn read(&self, pool: &PgPool, order_id: &str) -> Result<Arc<[TimelineRow]>, sqlx::Error> {
        let cached = matches!(self.lock().entries.get(order_id), Some(Slot::Ready(_)));
        if cached
            && self.barrier().await
            && let Some(Slot::Ready(rows)) = self.lock().entries.get(order_id)
        {
            metrics::counter!("payops_hotline_timeline_reads_total", "from" => "memory").increment(1);
            self.from_memory.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(rows.clone());
        }
        let ticket = self.begin_load(order_id);
        let rows = match timeline::of_order(pool, order_id, self.limit).await {
            Ok(rows) => Arc::<[TimelineRow]>::from(rows),
            Err(e) => {
                if let Some(t) = ticket {
                    self.end_load(order_id, t, None);
                }
                return Err(e);
            }
        };
        if let Some(t) = ticket {
            self.end_load(order_id, t, Some(rows.clone()));
        }
        metrics::counter!("payops_hotline_timeline_reads_total", "from" => "database").increment(1);
        Ok(rows)
    }

    /// Puts a placeholder for `order_id` before its database read starts (only while live).
    fn begin_load(&self, order_id: &str) -> Option<u64> {
        if self.capacity == 0 {
            return None;
        }
        let mut s = self.lock();
        if !s.live {
            return None;
        }
        if s.entries.len() >= self.capacity && !s.entries.contains_key(order_id) {
            let victim = s.entries.keys().next().cloned();
            if let Some(v) = victim {
                s.entries.remove(&v);
            }
        }
        s.next_ticket += 1;
        let ticket = s.next_ticket;
        s.entries.insert(order_id.to_owned(), Slot::Loading(ticket));
        Some(ticket)
    }

    /// Keeps `rows` if the placeholder `ticket` is still there (no change and no loss since).
    fn end_load(&self, order_id: &str, ticket: u64, rows: Option<Arc<[TimelineRow]>>) {
        let mut s = self.lock();
        if matches!(s.entries.get(order_id), Some(Slot::Loading(t)) if *t == ticket) {
            match rows {
                Some(rows) => {
                    s.entries.insert(order_id.to_owned(), Slot::Ready(rows));
                }
                None => {
                    s.entries.remove(order_id);
                }
            }
        }
    }

    /// Waits for a barrier round that started after this call; false: read from the database.
    async fn barrier(&self) -> bool {
        let target = {
            let s = self.lock();
            if !s.live {
                return false;
            }
            s.started + 1
        };
        let mut rounds = self.rounds.subscribe();
        self.wanted.notify_one();
        match tokio::time::timeout(ROUND_TIMEOUT * 2, rounds.wait_for(|r| r.done >= target)).await {
            Ok(Ok(r)) => r.ok,
            _ => false,
        }
    }

    /// A change notification: `order_id` gained events.
    fn changed(&self, order_id: &str) {
        self.lock().entries.remove(order_id);
    }

    fn listening(&self) {
        self.lock().live = true;
    }

    /// The listening connection was lost: notifications may have been missed.
    fn lost(&self) {
        metrics::counter!("payops_hotline_timeline_memory_losses_total").increment(1);
        self.forget();
    }

    /// Nothing in memory may be shown any more (lost, or stopped).
    fn forget(&self) {
        let started = {
            let mut s = self.lock();
            s.live = false;
            s.entries.clear();
            s.started
        };
        self.end_round(started, false);
    }

    /// Round `n` ended; a round that ended stays as it ended (a barrier arriving after its
    /// round timed out changes nothing).
    fn end_round(&self, n: u64, ok: bool) {
        self.rounds.send_if_modified(|r| {
            if n > r.done {
                *r = Round { done: n, ok };
                true
            } else {
                false
            }
        });
    }

    /// Listens for changes and barriers, and sends barrier rounds, until `token` is cancelled.
    ///
    /// Both run on a thread of their own (a single-threaded runtime): a barrier round is a few
    /// hops between them and Postgres, and behind the queue of a busy request runtime each hop
    /// would wait its turn (measured: 3.5 ms per round under the timeline bench's load on the
    /// shared runtime, against ~0.15 ms idle).
    pub async fn run(self: Arc<Self>, pool: PgPool, token: CancellationToken) {
        if self.capacity == 0 {
            return;
        }
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        let view = self.clone();
        let stop = token.clone();
        let spawned = std::thread::Builder::new().name("timeline-view".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "timeline view: no runtime; every read goes to the database");
                    return;
                }
            };
            runtime.block_on(async move {
                let sender = tokio::spawn(view.clone().send_rounds((*pool.connect_options()).clone(), stop.clone()));
                view.listen(&pool, &stop).await;
                let _ = sender.await;
            });
            let _ = done.send(());
        });
        match spawned {
            Ok(_) => {
                let _ = finished.await;
            }
            Err(e) => tracing::error!(error = %e, "timeline view: no thread; every read goes to the database"),
        }
    }

    async fn listen(&self, pool: &PgPool, token: &CancellationToken) {
        loop {
            if token.is_cancelled() {
                return;
            }
            match self.listen_once(pool, token).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "timeline view: listening connection lost; reading from the database");
                    self.lost();
                }
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(RECONNECT_AFTER) => {}
            }
        }
    }

    /// One listening connection: Ok when cancelled, Err when lost.
    async fn listen_once(&self, pool: &PgPool, token: &CancellationToken) -> Result<(), sqlx::Error> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        let schema: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(&mut listener).await?;
        listener.listen_all([CHANGED, self.barrier_channel.as_str()]).await?;
        self.listening();
        loop {
            let next = tokio::select! {
                _ = token.cancelled() => {
                    self.forget();
                    return Ok(());
                }
                n = listener.try_recv() => n?,
            };
            let Some(n) = next else { return Err(sqlx::Error::Protocol("listening connection closed".into())) };
            if n.channel() == CHANGED {
                if let Some((s, order_id)) = n.payload().split_once(' ')
                    && s == schema
                {
                    self.changed(order_id);
                }
            } else if let Ok(round) = n.payload().parse::<u64>() {
                self.end_round(round, true);
            }
        }
    }

    /// Sends one barrier notification per wanted round, on a connection of its own.
    ///
    /// Rounds overlap: the next one starts [`MIN_ROUND_GAP`] after the last started, whether or
    /// not the last one's notification has arrived. That keeps the order the guarantee needs:
    /// the one connection sends the notifications one after the other, each commits before the
    /// next is sent, and Postgres delivers them in commit order, so round `n` never arrives
    /// before round `n - 1`. A read then waits at most a gap and one round trip (with rounds one
    /// at a time it waited for the rest of the round in flight as well), and the reads a round
    /// releases at once come in smaller batches.
    async fn send_rounds(self: Arc<Self>, options: PgConnectOptions, token: CancellationToken) {
        let options = options.options([("synchronous_commit", "off")]).application_name("hotline-timeline-barrier");
        let mut conn: Option<PgConnection> = None;
        let mut last_start = tokio::time::Instant::now() - MIN_ROUND_GAP;
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = self.wanted.notified() => {}
            }
            tokio::time::sleep_until(last_start + MIN_ROUND_GAP).await;
            last_start = tokio::time::Instant::now();
            let (n, live) = {
                let mut s = self.lock();
                s.started += 1;
                (s.started, s.live)
            };
            if !live {
                self.end_round(n, false);
                continue;
            }
            if conn.is_none() {
                match options.connect().await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "timeline view: barrier connection failed");
                        self.end_round(n, false);
                        tokio::time::sleep(RECONNECT_AFTER).await;
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(&self.barrier_channel)
                .bind(n.to_string())
                .execute(&mut *c)
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "timeline view: barrier not sent");
                conn = None;
                self.end_round(n, false);
                continue;
            }
            // A round whose notification has not arrived within ROUND_TIMEOUT ends unanswered
            // (its readers go to the database), without holding up the rounds after it.
            let view = self.clone();
            tokio::spawn(async move {
                let mut ended = view.rounds.subscribe();
                if tokio::time::timeout(ROUND_TIMEOUT, ended.wait_for(|r| r.done >= n)).await.is_err() {
                    view.end_round(n, false);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> TimelineRow {
        TimelineRow {
            event_id: id.into(),
            source: "pixi-sync".into(),
            event_type: "order_released".into(),
            occurred_at: chrono::Utc::now(),
            summary: "Auftrag freigegeben".into(),
        }
    }

    fn kept(view: &TimelineView, order: &str) -> bool {
        matches!(view.lock().entries.get(order), Some(Slot::Ready(_)))
    }

    #[test]
    fn hl_40_rows_read_before_a_change_of_their_order_are_not_kept() {
        let view = TimelineView::new(10, 1000);
        view.listening();
        let ticket = view.begin_load("4711").unwrap();
        // The order changes while its read is under way: the read may not show it.
        view.changed("4711");
        view.end_load("4711", ticket, Some(vec![row("e1")].into()));
        assert!(!kept(&view, "4711"));
        // A read that no change overtook is kept.
        let ticket = view.begin_load("4711").unwrap();
        view.end_load("4711", ticket, Some(vec![row("e1"), row("e2")].into()));
        assert!(kept(&view, "4711"));
        // A change drops it.
        view.changed("4711");
        assert!(!kept(&view, "4711"));
    }

    #[test]
    fn hl_40_nothing_is_kept_while_the_listening_connection_is_down_or_after_it_was_lost() {
        let view = TimelineView::new(10, 1000);
        assert!(view.begin_load("4711").is_none(), "not live before LISTEN");
        view.listening();
        let ticket = view.begin_load("4711").unwrap();
        let other = view.begin_load("4712").unwrap();
        view.end_load("4712", other, Some(vec![row("e1")].into()));
        view.lost();
        view.end_load("4711", ticket, Some(vec![row("e1")].into()));
        assert!(!kept(&view, "4711"), "a read that started before the loss is not kept");
        assert!(!kept(&view, "4712"), "what was kept is dropped");
        assert!(view.begin_load("4711").is_none());
        assert!(!view.is_live());
    }

    #[test]
    fn at_most_capacity_orders_are_kept_and_a_failed_round_stays_failed() {
        let view = TimelineView::new(2, 1000);
        view.listening();
        for order in ["1", "2", "3"] {
            let t = view.begin_load(order).unwrap();
            view.end_load(order, t, Some(vec![row("e")].into()));
        }
        assert_eq!(view.len(), 2);
        assert!(kept(&view, "3"));
        view.end_round(1, false);
        view.end_round(1, true);
        assert!(!view.rounds.borrow().ok);
        view.end_round(2, true);
        assert!(view.rounds.borrow().ok);
    }
}
