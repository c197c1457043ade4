//! The events the bridge emits (TK-07). Summaries carry ids only, never personal data or
//! partner error text.

use kit::bus::{EventError, NewEvent};
use kit::id::OrderId;
use proto::payops::events::v1::TicketCreated;
use proto::payops::ticketing::v1::{TicketNoteAdded, TicketWorkDeadLettered};

/// Event type: a ticket was opened.
pub const TICKET_CREATED: &str = "ticket_created";
/// Event type: a note was added to an incident's ticket.
pub const TICKET_NOTE_ADDED: &str = "ticket_note_added";
/// Event type: ticket work went to the dead-letter list.
pub const TICKET_WORK_DEAD_LETTERED: &str = "ticket_work_dead_lettered";

/// `ticket_created` for `order`.
pub fn created(order: &OrderId, msg: &TicketCreated) -> Result<NewEvent, EventError> {
    NewEvent::new(order.clone(), TICKET_CREATED, msg, format!("Freshdesk ticket #{} opened", msg.ticket_id))
}

/// `ticket_note_added` for `order`.
pub fn note_added(order: &OrderId, msg: &TicketNoteAdded) -> Result<NewEvent, EventError> {
    NewEvent::new(order.clone(), TICKET_NOTE_ADDED, msg, format!("note added to Freshdesk ticket #{}", msg.ticket_id))
}

/// `ticket_work_dead_lettered` for `order`.
pub fn dead_lettered(order: &OrderId, msg: &TicketWorkDeadLettered) -> Result<NewEvent, EventError> {
    let summary = format!("ticket work {} dead-lettered ({})", msg.dead_letter_id, msg.reason);
    NewEvent::new(order.clone(), TICKET_WORK_DEAD_LETTERED, msg, summary)
}
