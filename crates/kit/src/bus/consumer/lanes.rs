//! Handling a pulled chunk in lanes, several events per transaction.
//!
//! Committing costs the database far more than a projection's insert (a WAL flush per commit),
//! so a consumer that commits each event on its own is bound by commits per second. Here a chunk
//! is split by order, orders are dealt to at most `concurrency` lanes (an order's events stay
//! together and in arrival order), and each lane handles its events in groups of up to
//! `transaction_batch`, one transaction per group:
//!
//! 1. the group's inbox rows are inserted in one statement; the ids it returns are the fresh
//!    events (an id already in the inbox, or twice in the group, is a duplicate: acked, not
//!    handled);
//! 2. the fresh events go to [`Handler::handle_all`] in order (a projection writes them in one
//!    statement); each event keeps its own `process` span, continuing its producer's trace;
//! 3. the transaction commits, then every message of the group is acked.
//!
//! A handler failure rolls back to a savepoint taken before the handlers ran; the failed event
//! and its order's events after it leave the group (their inbox rows too) and the rest runs
//! again in the same transaction. After the commit and the acks, a failed event ends as it would
//! alone: nak'd for a retry after its backoff, or (fatal) handled on its own into the dead-letter
//! list; its order's events after it follow as a group — so 5 % failing events cost a few round
//! trips each, not the batching. Undecodable
//! messages and deliveries at their last attempt take that one-by-one path from the start. A
//! crash after the commit and before the acks redelivers the group, and the inbox rows make it
//! a no-op.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use async_nats::jetstream::Message;
use tracing::Instrument;

use super::{AFTER_COMMIT, Consumer, Delivered, Handler, HandlerError, Outcome, by_order};
use crate::bus::BusError;
use crate::bus::event::decode_envelope;

impl<H: Handler> Consumer<H> {
    /// Handles `batch` in lanes of order groups, each lane committing up to
    /// `transaction_batch` events per transaction.
    pub(super) async fn handle_in_lanes(&self, batch: Vec<Message>) -> Result<(), BusError> {
        let per_tx = self.config.transaction_batch.max(1);
        // No more lanes than the chunk fills: a small chunk commits once, not once per lane.
        let lanes_n = self.config.concurrency.max(1).min(batch.len().div_ceil(per_tx)).max(1);
        let mut lanes: Vec<Vec<Message>> = (0..lanes_n).map(|_| Vec::new()).collect();
        for group in by_order(batch) {
            // The shortest lane takes the next order (first one on a tie).
            if let Some(shortest) = lanes.iter_mut().min_by_key(|l| l.len()) {
                shortest.extend(group);
            }
        }
        let results = futures::future::join_all(lanes.into_iter().map(|lane| self.run_lane(lane, per_tx))).await;
        results.into_iter().collect()
    }

    async fn run_lane(&self, lane: Vec<Message>, per_tx: usize) -> Result<(), BusError> {
        let mut rest = lane.into_iter();
        loop {
            let group: Vec<Message> = rest.by_ref().take(per_tx).collect();
            if group.is_empty() {
                return Ok(());
            }
            self.handle_group(group).await?;
        }
    }

    /// Handles `group` in as few transactions as it allows: an event that cannot go with the
    /// others (undecodable, at its last delivery, or its handler failed) is handled on its own,
    /// the events before and after it again as groups.
    async fn handle_group(&self, group: Vec<Message>) -> Result<(), BusError> {
        let mut steps = VecDeque::from([group]);
        while let Some(mut group) = steps.pop_front() {
            if group.len() <= 1 {
                if let Some(msg) = group.pop() {
                    self.handle_one(msg).await?;
                }
                continue;
            }
            let events = match self.decode_group(&group) {
                Ok(events) => events,
                Err(at) => {
                    split_at(group, at, &mut steps);
                    continue;
                }
            };
            let started = Instant::now();
            // Each event's own span, continuing its producer's trace, lasts until its ack.
            let spans: Vec<tracing::Span> = group
                .iter()
                .zip(&events)
                .map(|(msg, event)| {
                    let span = self.process_span(msg, event.delivery);
                    span.record("messaging.message.id", event.envelope.event_id.as_str());
                    span.record("order_id", event.envelope.order_id.as_str());
                    span
                })
                .collect();
            let outcomes = self.apply_group(&events).await?;
            self.faults.check(AFTER_COMMIT).map_err(|c| BusError::Crashed(c.0))?;
            // Each failed event is handled on its own next, then its order's events after it
            // as a group again (an order's failures are met in its order, so each one closes
            // the previous order's segment).
            let mut left_out: Vec<Segment> = Vec::new();
            let mut segment_of = std::collections::HashMap::new();
            for (i, (((msg, event), outcome), span)) in
                group.into_iter().zip(&events).zip(outcomes).zip(spans).enumerate()
            {
                match outcome {
                    Left::Done(outcome) => {
                        self.processed(outcome, started, event.delivery);
                        msg.ack().await.map_err(|e| BusError::Ack(e.to_string()))?;
                    }
                    Left::Failed { retry: true } => {
                        // Its handler asked for a retry, and this is not its last delivery (that
                        // one never joins a group): what handling it alone would end in.
                        span.in_scope(|| {
                            tracing::warn!(event_id = %event.envelope.event_id, delivery = event.delivery, "handler failed; will retry")
                        });
                        self.processed(Outcome::Retry, started, event.delivery);
                        self.retry_later(&msg, event.delivery).await?;
                        segment_of.insert(i, left_out.len());
                        left_out.push(Segment { alone: None, followers: Vec::new() });
                    }
                    Left::Failed { retry: false } => {
                        segment_of.insert(i, left_out.len());
                        left_out.push(Segment { alone: Some(msg), followers: Vec::new() });
                    }
                    Left::After(failed) => match segment_of.get(&failed).and_then(|&k| left_out.get_mut(k)) {
                        Some(segment) => segment.followers.push(msg),
                        None => left_out.push(Segment { alone: Some(msg), followers: Vec::new() }), // cannot happen: the failed one comes first
                    },
                }
                drop(span);
            }
            // A fatal failure on its own (it ends in the dead-letter list), then the order's
            // events after it as a group again, before the rest of the lane.
            for segment in left_out.into_iter().rev() {
                steps.push_front(segment.followers);
                if let Some(msg) = segment.alone {
                    steps.push_front(vec![msg]);
                }
            }
        }
        Ok(())
    }

    /// The group's events, or the index of the first that must be handled on its own: not an
    /// envelope, or at its last delivery (the one-by-one path dead-letters those on failure).
    fn decode_group(&self, group: &[Message]) -> Result<Vec<Delivered>, usize> {
        group
            .iter()
            .enumerate()
            .map(|(i, msg)| {
                let delivery = msg.info().map(|i| i.delivered).unwrap_or(1);
                if delivery >= self.config.max_deliver {
                    return Err(i);
                }
                let envelope = decode_envelope(&msg.payload).map_err(|_| i)?;
                Ok(Delivered { envelope, subject: msg.subject.to_string(), delivery })
            })
            .collect()
    }

    /// Applies the group in one transaction and returns each event's outcome once committed,
    /// or why it was left out: its handler failed, or it follows a failed event of its order. A failure rolls back to a savepoint and
    /// the group goes on without the left-out events, so a few failing events cost a round trip
    /// each, not the group's batching.
    async fn apply_group(&self, events: &[Delivered]) -> Result<Vec<Left>, BusError> {
        let ids: Vec<&str> = events.iter().map(|e| e.envelope.event_id.as_str()).collect();
        let mut tx = self.pool.begin().await?;
        let fresh: Vec<String> = sqlx::query_scalar(
            "INSERT INTO inbox (consumer, event_id, outcome) SELECT $1, id, 'done' FROM unnest($2::text[]) AS id \
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(&self.config.name)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut fresh: HashSet<String> = fresh.into_iter().collect();
        let mut outcomes = Vec::with_capacity(events.len());
        // Positions of the fresh events still in the group.
        let mut todo = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            if fresh.remove(&event.envelope.event_id) {
                outcomes.push(Left::Done(Outcome::Done));
                todo.push(i);
            } else {
                tracing::debug!(event_id = %event.envelope.event_id, "duplicate delivery ignored");
                outcomes.push(Left::Done(Outcome::Duplicate));
            }
        }
        let span = tracing::info_span!(
            "process batch",
            otel.kind = "consumer",
            messaging.system = "nats",
            messaging.operation.name = "process",
            messaging.operation.type = "process",
            messaging.consumer.group.name = %self.config.name,
            messaging.batch.message_count = todo.len(),
        );
        while !todo.is_empty() {
            sqlx::query("SAVEPOINT handle_all").execute(&mut *tx).await?;
            let batch: Vec<Delivered> = todo.iter().map(|&i| events[i].clone()).collect();
            let Err((at, e)) = self.handler.handle_all(&mut tx, &batch).instrument(span.clone()).await else {
                break;
            };
            sqlx::query("ROLLBACK TO SAVEPOINT handle_all").execute(&mut *tx).await?;
            let retry = matches!(e, HandlerError::Retry(_));
            let failed = todo.get(at).copied().unwrap_or(todo[0]);
            let order = events[failed].envelope.order_id.as_str();
            let (left_out, kept): (Vec<usize>, Vec<usize>) =
                todo.iter().partition(|&&i| i >= failed && events[i].envelope.order_id == order);
            span.in_scope(|| {
                tracing::debug!(event_id = %events[failed].envelope.event_id, error = %e, left_out = left_out.len(), "handler failed in a group; handling it on its own")
            });
            // Their inbox rows go too: each is recorded when it is handled on its own.
            for &i in &left_out {
                sqlx::query(super::FORGET_INBOX_ROW).bind(&self.config.name).bind(ids[i]).execute(&mut *tx).await?;
            }
            for i in left_out {
                outcomes[i] = if i == failed { Left::Failed { retry } } else { Left::After(failed) };
            }
            todo = kept;
        }
        tx.commit().await?;
        Ok(outcomes)
    }
}

/// What became of an event of a committed group.
enum Left {
    /// Committed (or a duplicate): ack it.
    Done(Outcome),
    /// Its handler failed: retry it later (`retry`) or handle it on its own (dead letter).
    Failed {
        /// The handler asked for a retry.
        retry: bool,
    },
    /// It follows the failed event at this position (of its order): handle it after that one.
    After(usize),
}

/// An event left out of a committed group and its order's events after it.
struct Segment {
    /// The failed event when it is to be handled on its own (`None`: already nak'd).
    alone: Option<Message>,
    /// Its order's events after it.
    followers: Vec<Message>,
}

/// Puts `group[..at]` back as a group, `group[at]` on its own and the rest as a group, in this
/// order at the front of `steps` (an order's events stay in order).
fn split_at(mut group: Vec<Message>, at: usize, steps: &mut VecDeque<Vec<Message>>) {
    let mut one = group.split_off(at);
    let rest = one.split_off(1.min(one.len()));
    steps.push_front(rest);
    steps.push_front(one);
    steps.push_front(group);
}
