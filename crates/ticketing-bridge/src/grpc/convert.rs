//! Proto ↔ domain and row conversions: requests become plain domain input at the boundary,
//! rows become proto messages on the way out.

use kit::bus::event::timestamp;
use proto::payops::ticketing::v1::{CreateTicketRequest, DeadLetter, Ticket, requester};

use crate::domain::draft::CreateInput;
use crate::store::tickets::TicketRow;
use crate::store::work::WorkRow;

/// The domain input of a CreateTicket request.
pub fn create_input(r: CreateTicketRequest) -> CreateInput {
    let (email, phone, name) = match r.requester {
        Some(req) => {
            let (email, phone) = match req.contact {
                Some(requester::Contact::Email(e)) => (Some(e), None),
                Some(requester::Contact::Phone(p)) => (None, Some(p)),
                None => (None, None),
            };
            (email, phone, req.name)
        }
        None => (None, None, String::new()),
    };
    CreateInput {
        request_id: r.request_id,
        order_id: r.order_id,
        subject: r.subject,
        description: r.description,
        email,
        phone,
        name,
        ticket_type: r.r#type,
        priority: r.priority,
        group: r.group,
        tags: r.tags,
    }
}

/// The proto ticket of a row.
pub fn ticket(t: TicketRow) -> Ticket {
    Ticket {
        ticket_id: t.ticket_id,
        url: t.url,
        order_id: t.order_id,
        subject: t.subject,
        // Custom Freshdesk statuses (above 5) have no proto value: unspecified.
        status: if (2..=5).contains(&t.status) { i32::from(t.status) } else { 0 },
        priority: if (1..=4).contains(&t.priority) { i32::from(t.priority) } else { 0 },
        r#type: t.ticket_type.unwrap_or_default(),
        tags: t.tags,
        created_at: Some(timestamp(t.created_at)),
        incident_id: t.incident_id.unwrap_or_default(),
        request_id: t.request_id.unwrap_or_default(),
        note_count: t.note_count,
    }
}

/// The proto dead letter of a dead work row.
pub fn dead_letter(w: WorkRow) -> DeadLetter {
    DeadLetter {
        id: w.id,
        kind: w.kind,
        order_id: w.order_id,
        error: w.last_error.unwrap_or_default(),
        attempts: w.attempts,
        created_at: Some(timestamp(w.updated_at)),
        incident_id: w.incident_id.unwrap_or_default(),
        request_id: w.request_id.unwrap_or_default(),
        reason: w.dead_reason.unwrap_or_default(),
    }
}

/// Freshdesk field names as the caller knows them.
pub fn request_field(freshdesk_field: &str) -> String {
    match freshdesk_field {
        "email" => "requester.email".into(),
        "phone" => "requester.phone".into(),
        "name" => "requester.name".into(),
        "requester_id" => "requester".into(),
        "group_id" => "group".into(),
        "" => "request".into(),
        other => other.to_owned(),
    }
}
