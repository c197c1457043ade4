//! The ticketing-bridge contract (`payops.ticketing.v1`): a ticket draft as a
//! `CreateTicketRequest`, and the bridge's answers mapped to a call outcome.

use proto::payops::ticketing::v1::{CreateTicketRequest, Requester as WireRequester, TicketPriority, requester};
use serde::{Deserialize, Serialize};
use tonic::Code;

use crate::domain::ticket::{Requester, TicketDraft};

/// A ticket the bridge opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedTicket {
    /// Freshdesk id.
    pub ticket_id: i64,
    /// Link for agents.
    pub url: String,
    /// False when the request id had opened it before.
    pub created: bool,
}

/// The exact request sent to the bridge.
pub fn request(d: &TicketDraft) -> CreateTicketRequest {
    let requester = match &d.requester {
        Requester::Email(e) => {
            WireRequester { contact: Some(requester::Contact::Email(e.clone())), name: String::new() }
        }
        Requester::Phone { phone, name } => {
            WireRequester { contact: Some(requester::Contact::Phone(phone.clone())), name: name.clone() }
        }
    };
    let priority = match d.priority {
        1 => TicketPriority::Low,
        3 => TicketPriority::High,
        4 => TicketPriority::Urgent,
        _ => TicketPriority::Medium,
    };
    CreateTicketRequest {
        request_id: d.request_id.clone(),
        order_id: d.order_id.clone(),
        subject: d.subject.clone(),
        description: d.description.clone(),
        requester: Some(requester),
        r#type: d.ticket_type.clone(),
        priority: priority as i32,
        group: d.group.clone(),
        tags: d.tags.clone(),
    }
}

/// Whether a status from the bridge means "may have happened, ask again" (true) or "refused,
/// nothing happened" (false). The bridge is idempotent on the request id, so asking again is
/// always safe.
pub fn is_unknown(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable
            | Code::DeadlineExceeded
            | Code::Unknown
            | Code::Internal
            | Code::Aborted
            | Code::ResourceExhausted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_map_to_the_bridge_contract() {
        let d = TicketDraft {
            request_id: "r-1".into(),
            order_id: "100005".into(),
            subject: "S".into(),
            description: "D".into(),
            requester: Requester::Phone { phone: "+41791234567".into(), name: "Mieter".into() },
            ticket_type: "Problem".into(),
            priority: 3,
            group: String::new(),
            tags: vec!["b2c".into()],
        };
        let r = request(&d);
        assert_eq!(r.priority, TicketPriority::High as i32);
        assert_eq!(r.requester.unwrap().contact, Some(requester::Contact::Phone("+41791234567".into())));
        assert!(is_unknown(Code::Unavailable));
        assert!(!is_unknown(Code::InvalidArgument));
    }
}
