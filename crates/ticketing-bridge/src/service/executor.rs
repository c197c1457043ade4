//! Works on the ticket work of one order at a time (TK-03, TK-04, TK-05): under the order's
//! journal lock, the oldest queued item is taken once due; a request opens its ticket; an
//! attention event opens its incident's ticket or adds a note to it; each Freshdesk change goes
//! through the journal, so an unknown outcome is probed (search by external reference,
//! conversations by marker) before anything is called again. Failures are rescheduled by the
//! retry policy or dead-lettered; successes are recorded with their event in one transaction
//! (see `record.rs`).
//!
//! Because one order is worked on by one worker at a time and its items strictly in order, two
//! attention events of a new incident never race into two tickets: the second finds the
//! first's ticket and becomes a note.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::id::OrderId;
use kit::journal::{Journal, Outcome, ScopeLock};
use sqlx::PgPool;
use tokio::sync::{Notify, Semaphore};

use super::ops::{AddNoteOp, AddedNote, CreateTicketOp, CreatedTicket, IndexWait, take_error};
use super::{OrderRun, RETRIES, Settings, Step};
use crate::domain::attention::{self, AttentionWork, EventAction, KnownTicket};
use crate::domain::draft::{NewRequest, TicketDraft};
use crate::domain::reference;
use crate::domain::retry::{FailureClass, Next};
use crate::error::Error;
use crate::freshdesk::{Freshdesk, FreshdeskError, Limiter, wire};
use crate::store::tickets::{self, TicketRow};
use crate::store::work::{self, WorkRow};

/// The ticket work executor, shared by the worker and the gRPC calls.
pub struct Executor {
    pub(crate) pool: PgPool,
    pub(crate) journal: Journal,
    pub(crate) outbox: Outbox,
    pub(crate) clock: SharedClock,
    pub(crate) fd: Freshdesk,
    pub(crate) settings: Settings,
    /// Bounds the orders worked on at once: each holds its order's lock on a pooled connection.
    permits: Semaphore,
    /// Woken when work is queued, so the worker looks at once.
    wake: Arc<Notify>,
}

/// What happens to an attention event, once its Freshdesk status is known.
type Action = Result<EventAction, FreshdeskError>;

impl Executor {
    /// An executor working with `settings.concurrency` orders at once.
    pub fn new(
        pool: PgPool,
        journal: Journal,
        outbox: Outbox,
        clock: SharedClock,
        fd: Freshdesk,
        settings: Settings,
    ) -> Self {
        let permits = Semaphore::new(settings.concurrency.max(1));
        Executor { pool, journal, outbox, clock, fd, settings, permits, wake: Arc::new(Notify::new()) }
    }

    /// The notifier that wakes the worker.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The process-wide limiter.
    pub fn limiter(&self) -> &Arc<Limiter> {
        self.fd.limiter()
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Works on `order_id`'s due items, oldest first, until none is due or one is deferred.
    /// With `wait` the order's lock is waited for; without, a busy order is left to its holder.
    pub async fn run_order(&self, order_id: &str, wait: bool) -> Result<OrderRun, Error> {
        let _permit = self.permits.acquire().await.map_err(|e| Error::Task(e.to_string()))?;
        let lock = if wait {
            self.journal.lock(order_id).await?
        } else {
            match self.journal.try_lock(order_id).await? {
                Some(l) => l,
                None => return Ok(OrderRun::Busy),
            }
        };
        let mut finished = 0;
        let mut blocked_until = None;
        loop {
            let now = self.clock.now();
            if let Some(until) = self.limiter().paused_until(now) {
                blocked_until = Some(until);
                break;
            }
            let Some(item) = work::head(&self.pool, order_id).await? else { break };
            if item.next_attempt_at > now {
                blocked_until = Some(item.next_attempt_at);
                break;
            }
            // An error drops the lock, which closes its connection and frees it.
            match self.process(&lock, item).await? {
                Step::Finished => finished += 1,
                Step::Deferred(until) => {
                    blocked_until = Some(until);
                    break;
                }
            }
        }
        lock.release().await;
        Ok(OrderRun::Ran { finished, blocked_until })
    }

    async fn process(&self, lock: &ScopeLock, item: WorkRow) -> Result<Step, Error> {
        let Ok(order) = OrderId::parse(item.order_id.as_str()) else {
            return self.kill_malformed(&item, None, "order id is not valid").await;
        };
        kit::grpc::record_order_id(&order);
        if item.kind == work::REQUEST {
            self.process_request(lock, &order, &item).await
        } else {
            self.process_event(lock, &order, &item).await
        }
    }

    async fn process_request(&self, lock: &ScopeLock, order: &OrderId, item: &WorkRow) -> Result<Step, Error> {
        let Some(req) = item.payload.clone().and_then(|p| serde_json::from_value::<NewRequest>(p).ok()) else {
            return self.kill_malformed(item, Some(order), "stored request cannot be read").await;
        };
        let reference = reference::request(&req.request_id);
        match self.create(lock, order, &reference, &req.draft).await? {
            Ok(created) => self.record_created(item, order, &reference, created, &req.draft, None).await,
            Err(e) => self.fail(item, order, e).await,
        }
    }

    async fn process_event(&self, lock: &ScopeLock, order: &OrderId, item: &WorkRow) -> Result<Step, Error> {
        let Some(w) = item.payload.clone().and_then(|p| serde_json::from_value::<AttentionWork>(p).ok()) else {
            return self.kill_malformed(item, Some(order), "stored attention event cannot be read").await;
        };
        let current = tickets::current_for_incident(&self.pool, order, &w.incident_id).await?;
        let action = match &current {
            None => Ok(attention::decide(None, None)),
            Some(t) => self.action_for(order, &w, t).await?,
        };
        match action {
            Err(e) => self.fail(item, order, e).await,
            Ok(EventAction::Create { generation, previous }) => {
                self.create_for_incident(lock, order, item, &w, generation, previous).await
            }
            Ok(EventAction::Note { ticket_id }) => {
                let ticket = current.ok_or_else(|| Error::Task("note without a ticket".into()))?;
                match self.add_note(lock, order, &ticket, &w).await? {
                    Ok(note) => self.record_note(item, order, &ticket, note, &w).await,
                    Err(FreshdeskError::NotFound) => {
                        // Deleted in Freshdesk since: the incident needs a new ticket.
                        tickets::set_status(&self.pool, ticket_id, 5).await?;
                        self.create_for_incident(lock, order, item, &w, ticket.generation + 1, Some(ticket_id)).await
                    }
                    Err(e) => self.fail(item, order, e).await,
                }
            }
        }
    }

    /// Note or new ticket: a note whose call is already under way is finished (probed) first;
    /// otherwise the ticket's current status decides.
    async fn action_for(&self, order: &OrderId, w: &AttentionWork, t: &TicketRow) -> Result<Action, Error> {
        let known = KnownTicket { ticket_id: t.ticket_id, generation: t.generation };
        let entries = self.entries(order).await?;
        let (_, status) = round(&entries, |r| reference::note_key(&w.event_id, r));
        if status.is_some() {
            return Ok(Ok(EventAction::Note { ticket_id: t.ticket_id }));
        }
        let id = u64::try_from(t.ticket_id).unwrap_or_default();
        Ok(match self.fd.view_ticket(id).await {
            Ok(status) => {
                tickets::set_status(&self.pool, t.ticket_id, i16::from(status)).await?;
                Ok(attention::decide(Some(known), Some(status)))
            }
            Err(FreshdeskError::NotFound) => Ok(attention::decide(Some(known), None)),
            Err(e) => Err(e),
        })
    }

    async fn create_for_incident(
        &self,
        lock: &ScopeLock,
        order: &OrderId,
        item: &WorkRow,
        w: &AttentionWork,
        generation: i32,
        previous: Option<i64>,
    ) -> Result<Step, Error> {
        let draft = attention::ticket_draft(w, &self.settings.attention, previous);
        let reference = reference::incident(order, &w.incident_id, generation);
        match self.create(lock, order, &reference, &draft).await? {
            Ok(created) => {
                let incident = Some((w.incident_id.to_string(), generation));
                self.record_created(item, order, &reference, created, &draft, incident).await
            }
            Err(e) => self.fail(item, order, e).await,
        }
    }

    /// Creates the ticket with `reference` through the journal.
    async fn create(
        &self,
        lock: &ScopeLock,
        order: &OrderId,
        reference: &str,
        draft: &TicketDraft,
    ) -> Result<Result<CreatedTicket, FreshdeskError>, Error> {
        if let Err(v) = draft.check() {
            // Never sent: the draft is broken; Freshdesk would refuse it anyway.
            let fields = v.items().iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>().join(", ");
            tracing::error!(reference, fields, "ticket failed the pre-send check");
            return Ok(Err(FreshdeskError::Invalid(Vec::new())));
        }
        let entries = self.entries(order).await?;
        let (r, _) = round(&entries, |r| reference::create_key(reference, r));
        let s = &self.settings;
        let op = CreateTicketOp {
            fd: self.fd.clone(),
            wait: self.index_wait(),
            key: reference::create_key(reference, r),
            scope: order.to_string(),
            reference: reference.to_owned(),
            ref_field: s.ref_field.clone(),
            body: wire::NewTicket::from_draft(draft, &s.ref_field, reference, s.order_field.as_deref(), order),
            error: Mutex::new(None),
        };
        Ok(match self.journal.perform_locked(lock, &op).await? {
            Outcome::Succeeded { output, .. } => Ok(output),
            Outcome::Failed(_) | Outcome::Unknown(_) => Err(take_error(&op.error).unwrap_or(UNKNOWN)),
        })
    }

    /// Adds the note for `w` to `ticket` through the journal.
    async fn add_note(
        &self,
        lock: &ScopeLock,
        order: &OrderId,
        ticket: &TicketRow,
        w: &AttentionWork,
    ) -> Result<Result<AddedNote, FreshdeskError>, Error> {
        let entries = self.entries(order).await?;
        let (r, _) = round(&entries, |r| reference::note_key(&w.event_id, r));
        let marker = reference::note_marker(&w.event_id);
        let op = AddNoteOp {
            fd: self.fd.clone(),
            key: reference::note_key(&w.event_id, r),
            scope: order.to_string(),
            ticket_id: u64::try_from(ticket.ticket_id).unwrap_or_default(),
            body: wire::NewNote { body: attention::note_body(w, &marker), private: true },
            marker,
            error: Mutex::new(None),
        };
        Ok(match self.journal.perform_locked(lock, &op).await? {
            Outcome::Succeeded { output, .. } => Ok(output),
            Outcome::Failed(_) | Outcome::Unknown(_) => Err(take_error(&op.error).unwrap_or(UNKNOWN)),
        })
    }

    /// When search can be trusted about a creation.
    pub(crate) fn index_wait(&self) -> IndexWait {
        IndexWait { pool: self.pool.clone(), clock: self.clock.clone(), delay: self.settings.index_delay }
    }

    async fn entries(&self, order: &OrderId) -> Result<HashMap<String, String>, Error> {
        let entries = self.journal.of_scope(order).await?;
        Ok(entries.into_iter().map(|e| (e.key, e.status)).collect())
    }

    /// Reschedules or dead-letters `item` after `e`.
    async fn fail(&self, item: &WorkRow, order: &OrderId, e: FreshdeskError) -> Result<Step, Error> {
        let now = self.clock.now();
        let class = e.class();
        // Flow control, not failures: a 429, or search that has not indexed a creation yet.
        let failed = !matches!(class, FailureClass::RateLimited { .. } | FailureClass::Wait { .. });
        let failures = u32::try_from(item.attempts).unwrap_or(0) + u32::from(failed);
        metrics::counter!(RETRIES, "reason" => e.label()).increment(1);
        match self.settings.retry.next(failures, class, now, rand::random::<f64>()) {
            Next::RetryAt(at) => {
                work::defer(&self.pool, item.id, failed, at, &e.to_string(), now).await?;
                tracing::info!(work = item.id, failures, retry_at = %at, error = %e, "ticket work deferred");
                Ok(Step::Deferred(at))
            }
            Next::DeadLetter => {
                let reason = if class == FailureClass::Permanent { "rejected" } else { "exhausted" };
                let fields = match &e {
                    FreshdeskError::Invalid(errors) => serde_json::to_value(errors).ok(),
                    _ => None,
                };
                self.kill(item, Some(order), reason, &e.to_string(), fields, failed).await
            }
        }
    }

    async fn kill_malformed(&self, item: &WorkRow, order: Option<&OrderId>, why: &str) -> Result<Step, Error> {
        self.kill(item, order, "malformed", why, None, false).await
    }
}

/// A failure whose details were lost (should not happen): treated as "may have happened".
const UNKNOWN: FreshdeskError = FreshdeskError::Transport { sent: true, kind: "unknown" };

/// The current round of a journal key family and its status: earlier rounds that Freshdesk
/// definitely refused are skipped (nothing happened there), so a replay calls again, while a
/// round with an unknown outcome is reused and therefore probed first.
fn round(entries: &HashMap<String, String>, key: impl Fn(u32) -> String) -> (u32, Option<String>) {
    let mut r = 0;
    loop {
        match entries.get(&key(r)) {
            Some(status) if status == "failed" => r += 1,
            other => return (r, other.cloned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tk_03_journal_rounds_skip_refusals_only() {
        let key = |r| reference::create_key("req:a", r);
        let mut e = HashMap::new();
        assert_eq!(round(&e, key), (0, None));
        e.insert(key(0), "unknown".to_owned());
        assert_eq!(round(&e, key), (0, Some("unknown".into())), "an unknown outcome is probed, not skipped");
        e.insert(key(0), "failed".to_owned());
        assert_eq!(round(&e, key), (1, None));
        e.insert(key(1), "failed".to_owned());
        e.insert(key(2), "pending".to_owned());
        assert_eq!(round(&e, key), (2, Some("pending".into())));
    }
}
