//! A ticket about to be sent to Freshdesk, and the validation of a CreateTicket request (TK-01,
//! TK-06): every problem is reported at once, by field, before anything is sent; the text is
//! escaped into the HTML description. [`TicketDraft::check`] re-validates what is actually sent
//! (requester present, priority and status in range, lengths) for drafts from any source.

use kit::grpc::status::Violations;
use kit::id::{OrderId, RequestId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::html;

/// Longest subject Freshdesk accepts.
pub const SUBJECT_MAX: usize = 255;
/// Longest plain-text description accepted (characters).
pub const DESCRIPTION_MAX: usize = 20_000;
/// Longest HTML description sent.
pub const DESCRIPTION_HTML_MAX: usize = 200_000;
/// Longest tag Freshdesk accepts.
pub const TAG_MAX: usize = 32;
/// Most tags on one ticket.
pub const TAGS_MAX: usize = 20;
/// Longest requester name, e-mail and type.
const NAME_MAX: usize = 255;
const EMAIL_MAX: usize = 254;
const TYPE_MAX: usize = 64;
/// Freshdesk status Open (2), the status of every new ticket.
pub const STATUS_OPEN: u8 = 2;

/// The ticket types and groups of the Freshdesk account (configuration).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Allowed `type` values.
    pub ticket_types: Vec<String>,
    /// Group names callers use, with their Freshdesk ids.
    pub groups: Vec<(String, u64)>,
}

impl Catalog {
    /// The id of group `name`.
    pub fn group_id(&self, name: &str) -> Option<u64> {
        self.groups.iter().find(|(n, _)| n == name).map(|(_, id)| *id)
    }
}

/// How the requester is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contact {
    /// E-mail address.
    Email(String),
    /// Phone number.
    Phone(String),
}

/// Who the ticket is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// E-mail or phone.
    pub contact: Contact,
    /// Display name (required with a phone only).
    pub name: Option<String>,
}

/// Freshdesk priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Priority {
    /// 1.
    Low,
    /// 2.
    Medium,
    /// 3.
    High,
    /// 4.
    Urgent,
}

impl Priority {
    /// Freshdesk's number.
    pub fn number(self) -> u8 {
        match self {
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
            Priority::Urgent => 4,
        }
    }

    /// The priority of a proto enum value; 0 (unspecified) means Medium.
    pub fn from_proto(value: i32) -> Option<Priority> {
        match value {
            0 | 2 => Some(Priority::Medium),
            1 => Some(Priority::Low),
            3 => Some(Priority::High),
            4 => Some(Priority::Urgent),
            _ => None,
        }
    }
}

/// What Freshdesk is asked to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDraft {
    /// Subject (plain text).
    pub subject: String,
    /// Description, already escaped HTML.
    pub description_html: String,
    /// Requester.
    pub requester: Requester,
    /// Ticket type.
    pub ticket_type: Option<String>,
    /// Priority.
    pub priority: Priority,
    /// Freshdesk status (2 for new tickets).
    pub status: u8,
    /// Group id.
    pub group_id: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
}

impl TicketDraft {
    /// Checks what will be sent, whatever built it: requester present and well-formed, priority
    /// 1–4, status 2–5, subject 1–255 characters, description present and bounded, tags 1–32
    /// characters.
    pub fn check(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        check_requester(&mut v, Some(&self.requester));
        if !(1..=4).contains(&self.priority.number()) {
            v.add("priority", "must be 1 to 4");
        }
        if !(2..=5).contains(&self.status) {
            v.add("status", "must be 2 (open) to 5 (closed)");
        }
        check_subject(&mut v, &self.subject);
        if self.description_html.trim().is_empty() {
            v.add("description", "must not be empty");
        } else if self.description_html.len() > DESCRIPTION_HTML_MAX {
            v.add("description", format!("must be at most {DESCRIPTION_HTML_MAX} bytes of HTML"));
        }
        check_tags(&mut v, &self.tags);
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

/// A CreateTicket request as plain values (the gRPC adapter fills it from the proto message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateInput {
    /// Caller's idempotency key.
    pub request_id: String,
    /// The order.
    pub order_id: String,
    /// Subject.
    pub subject: String,
    /// Plain-text description.
    pub description: String,
    /// Requester e-mail, if given.
    pub email: Option<String>,
    /// Requester phone, if given.
    pub phone: Option<String>,
    /// Requester name.
    pub name: String,
    /// Ticket type (empty for none).
    pub ticket_type: String,
    /// Proto priority value.
    pub priority: i32,
    /// Group name (empty for none).
    pub group: String,
    /// Tags.
    pub tags: Vec<String>,
}

/// A validated CreateTicket request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequest {
    /// Idempotency key.
    pub request_id: RequestId,
    /// The order.
    pub order_id: OrderId,
    /// The ticket.
    pub draft: TicketDraft,
}

impl NewRequest {
    /// A hash of the request's content: a request id reused with other content is refused.
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }
}

/// Validates a CreateTicket request completely, reporting every violation at once.
pub fn parse_request(input: &CreateInput, catalog: &Catalog) -> Result<NewRequest, Violations> {
    let mut v = Violations::new();
    let request_id = v.check("request_id", RequestId::parse(input.request_id.as_str()));
    let order_id = v.check("order_id", OrderId::parse(input.order_id.as_str()));
    let subject = input.subject.trim().to_owned();
    check_subject(&mut v, &subject);
    let chars = input.description.chars().count();
    if input.description.trim().is_empty() {
        v.add("description", "must not be empty");
    } else if chars > DESCRIPTION_MAX {
        v.add("description", format!("must be at most {DESCRIPTION_MAX} characters, got {chars}"));
    }
    let requester = requester(input);
    check_requester(&mut v, requester.as_ref());
    let ticket_type = Some(input.ticket_type.trim().to_owned()).filter(|t| !t.is_empty());
    if let Some(t) = &ticket_type
        && (t.chars().count() > TYPE_MAX || !catalog.ticket_types.contains(t))
    {
        v.add("type", format!("must be one of: {}", catalog.ticket_types.join(", ")));
    }
    let priority = Priority::from_proto(input.priority);
    if priority.is_none() {
        v.add("priority", format!("must be 1 (low) to 4 (urgent), got {}", input.priority));
    }
    let group = input.group.trim();
    let group_id = if group.is_empty() { None } else { catalog.group_id(group) };
    if !group.is_empty() && group_id.is_none() {
        let names: Vec<&str> = catalog.groups.iter().map(|(n, _)| n.as_str()).collect();
        v.add(
            "group",
            format!("unknown group; configured: {}", if names.is_empty() { "none".into() } else { names.join(", ") }),
        );
    }
    let mut tags: Vec<String> = Vec::new();
    for t in input.tags.iter().map(|t| t.trim().to_owned()) {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    check_tags(&mut v, &tags);
    match (request_id, order_id, requester, priority) {
        (Some(request_id), Some(order_id), Some(requester), Some(priority)) if v.is_empty() => Ok(NewRequest {
            request_id,
            order_id,
            draft: TicketDraft {
                subject,
                description_html: html::paragraphs(&input.description),
                requester,
                ticket_type,
                priority,
                status: STATUS_OPEN,
                group_id,
                tags,
            },
        }),
        _ => Err(v),
    }
}

fn requester(input: &CreateInput) -> Option<Requester> {
    let name = Some(input.name.trim().to_owned()).filter(|n| !n.is_empty());
    let contact = match (&input.email, &input.phone) {
        (Some(e), _) => Contact::Email(e.trim().to_owned()),
        (None, Some(p)) => Contact::Phone(p.trim().to_owned()),
        (None, None) => return None,
    };
    Some(Requester { contact, name })
}

fn check_requester(v: &mut Violations, requester: Option<&Requester>) {
    let Some(r) = requester else {
        v.add("requester", "must be given: an e-mail address or a phone number");
        return;
    };
    match &r.contact {
        Contact::Email(e) if e.len() > EMAIL_MAX || !is_email(e) => {
            v.add("requester.email", "must be an e-mail address such as name@example.ch");
        }
        Contact::Phone(p) if !is_phone(p) => {
            v.add("requester.phone", "must be a phone number of 6 to 20 digits, optionally with +, blanks, - or ()");
        }
        Contact::Phone(_) if r.name.is_none() => {
            v.add("requester.name", "is required when only a phone number is given");
        }
        _ => {}
    }
    if r.name.as_ref().is_some_and(|n| n.chars().count() > NAME_MAX || n.chars().any(char::is_control)) {
        v.add("requester.name", format!("must be at most {NAME_MAX} characters without control characters"));
    }
}

fn check_subject(v: &mut Violations, subject: &str) {
    let chars = subject.chars().count();
    if subject.trim().is_empty() {
        v.add("subject", "must not be empty");
    } else if chars > SUBJECT_MAX {
        v.add("subject", format!("must be at most {SUBJECT_MAX} characters, got {chars}"));
    } else if subject.chars().any(char::is_control) {
        v.add("subject", "must not contain control characters or line breaks");
    }
}

fn check_tags(v: &mut Violations, tags: &[String]) {
    if tags.len() > TAGS_MAX {
        v.add("tags", format!("at most {TAGS_MAX} tags"));
    }
    for t in tags {
        let chars = t.chars().count();
        if chars == 0 || chars > TAG_MAX || t.contains(',') || t.chars().any(char::is_control) {
            v.add("tags", format!("every tag must be 1 to {TAG_MAX} characters without commas, got {t:?}"));
            break;
        }
    }
}

/// A deliberately simple e-mail check: one `@`, a dotted domain, no blanks or markup.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';'))
}

/// 6 to 20 digits, optionally a leading `+` and blanks, `-`, `/`, `.` or parentheses.
pub fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (6..=20).contains(&digits)
        && s.len() <= 32
        && body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '/' | '.' | '(' | ')'))
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
