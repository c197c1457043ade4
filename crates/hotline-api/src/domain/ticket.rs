//! A ticket as the hotline asks the ticketing bridge to open it: the exact subject,
//! description, requester, type, priority, group and tags the B2C and B2B rules prescribe.

use serde::{Deserialize, Serialize};

/// Who the ticket is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Requester {
    /// An e-mail address.
    Email(String),
    /// A phone number with a display name (Freshdesk needs a name for phone-only requesters).
    Phone {
        /// E.164 number.
        phone: String,
        /// Display name.
        name: String,
    },
}

/// Everything a ticket request carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDraft {
    /// Idempotency key.
    pub request_id: String,
    /// The order (payment case) it belongs to.
    pub order_id: String,
    /// Subject.
    pub subject: String,
    /// Plain-text description (the bridge escapes it).
    pub description: String,
    /// Requester.
    pub requester: Requester,
    /// Freshdesk type.
    pub ticket_type: String,
    /// 1 to 4.
    pub priority: i32,
    /// Group name, or empty.
    pub group: String,
    /// Tags.
    pub tags: Vec<String>,
}

/// `value` or the dash the portal shows for an empty field.
pub fn or_dash(value: &str) -> &str {
    if value.trim().is_empty() { "–" } else { value }
}
