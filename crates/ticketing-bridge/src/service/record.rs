//! Recording outcomes (TK-07): a created ticket, an added note or a dead letter is written with
//! its work item's end and its event in one transaction, so the order timeline shows exactly
//! what happened, once.

use kit::id::OrderId;
use proto::payops::events::v1::TicketCreated;
use proto::payops::ticketing::v1::{TicketNoteAdded, TicketWorkDeadLettered};
use serde_json::Value;

use super::executor::Executor;
use super::ops::{AddedNote, CreatedTicket};
use super::{DEAD_LETTERED, NOTES_ADDED, Step, TICKETS_CREATED};
use crate::bus::events;
use crate::domain::attention::AttentionWork;
use crate::domain::draft::TicketDraft;
use crate::error::Error;
use crate::store::tickets::{self, TicketRow};
use crate::store::work::{self, WorkRow};

impl Executor {
    /// Records a created ticket, ends the item and emits `ticket_created`.
    pub(crate) async fn record_created(
        &self,
        item: &WorkRow,
        order: &OrderId,
        reference: &str,
        created: CreatedTicket,
        draft: &TicketDraft,
        incident: Option<(String, i32)>,
    ) -> Result<Step, Error> {
        let now = self.clock.now();
        let ticket_id =
            i64::try_from(created.id).map_err(|_| Error::Task(format!("ticket id {} too large", created.id)))?;
        let url = self.fd.ticket_url(created.id);
        let (incident_id, generation) = incident.map_or((None, 1), |(i, g)| (Some(i), g));
        let row = TicketRow {
            ticket_id,
            order_id: order.to_string(),
            external_ref: reference.to_owned(),
            url: url.clone(),
            // What was sent; Freshdesk's answer is read for what only it knows.
            subject: draft.subject.clone(),
            status: i16::from(created.status),
            priority: i16::from(draft.priority.number()),
            ticket_type: draft.ticket_type.clone(),
            tags: draft.tags.clone(),
            incident_id: incident_id.clone(),
            generation,
            request_id: item.request_id.clone(),
            note_count: 0,
            // Journal entries of older versions may lack Freshdesk's time.
            created_at: created.created_at.unwrap_or(now),
        };
        let mut tx = self.pool.begin().await?;
        let fresh = tickets::insert(&mut tx, &row, now).await?;
        if !work::finish(&mut tx, item.id, ticket_id, now).await? {
            tx.rollback().await?;
            return Ok(Step::Finished);
        }
        if fresh {
            let msg = TicketCreated {
                ticket_id,
                url,
                incident_id: incident_id.unwrap_or_default(),
                request_id: item.request_id.clone().unwrap_or_default(),
            };
            self.outbox.add(&mut tx, events::created(order, &msg)?).await?;
        }
        tx.commit().await?;
        if fresh {
            metrics::counter!(TICKETS_CREATED, "origin" => origin(item)).increment(1);
            tracing::info!(ticket_id, work = item.id, reference, "Freshdesk ticket recorded");
        }
        Ok(Step::Finished)
    }

    /// Records a note on `ticket`, ends the item and emits `ticket_note_added`.
    pub(crate) async fn record_note(
        &self,
        item: &WorkRow,
        order: &OrderId,
        ticket: &TicketRow,
        note: AddedNote,
        w: &AttentionWork,
    ) -> Result<Step, Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if !work::finish(&mut tx, item.id, ticket.ticket_id, now).await? {
            tx.rollback().await?;
            return Ok(Step::Finished);
        }
        tickets::add_note(&mut tx, ticket.ticket_id).await?;
        let msg = TicketNoteAdded {
            ticket_id: ticket.ticket_id,
            url: ticket.url.clone(),
            incident_id: w.incident_id.to_string(),
            note_id: i64::try_from(note.id).unwrap_or_default(),
            attention_event_id: w.event_id.clone(),
        };
        self.outbox.add(&mut tx, events::note_added(order, &msg)?).await?;
        tx.commit().await?;
        metrics::counter!(NOTES_ADDED).increment(1);
        tracing::info!(ticket_id = ticket.ticket_id, work = item.id, "note added to Freshdesk ticket");
        Ok(Step::Finished)
    }

    /// Moves `item` to the dead-letter list and emits `ticket_work_dead_lettered` (when the
    /// order id is usable).
    pub(crate) async fn kill(
        &self,
        item: &WorkRow,
        order: Option<&OrderId>,
        reason: &str,
        error: &str,
        fields: Option<Value>,
        failed: bool,
    ) -> Result<Step, Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if !work::kill(&mut tx, item.id, reason, error, fields, failed, now).await? {
            tx.rollback().await?;
            return Ok(Step::Finished);
        }
        if let Some(order) = order {
            let attempts = item.attempts + i32::from(failed);
            let msg = TicketWorkDeadLettered {
                dead_letter_id: item.id,
                kind: item.kind.clone(),
                reason: reason.to_owned(),
                incident_id: item.incident_id.clone().unwrap_or_default(),
                request_id: item.request_id.clone().unwrap_or_default(),
                attempts,
            };
            self.outbox.add(&mut tx, events::dead_lettered(order, &msg)?).await?;
        }
        tx.commit().await?;
        metrics::counter!(DEAD_LETTERED, "kind" => item.kind.clone(), "reason" => reason.to_owned()).increment(1);
        tracing::warn!(work = item.id, kind = %item.kind, reason, error, "ticket work dead-lettered");
        Ok(Step::Finished)
    }
}

fn origin(item: &WorkRow) -> &'static str {
    if item.kind == work::REQUEST { "request" } else { "event" }
}
