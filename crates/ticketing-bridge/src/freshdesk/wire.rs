//! Freshdesk v2 wire shapes (external-apis.md §3) and the mapping of answers to
//! [`FreshdeskError`]: which failures certainly changed nothing (refusals, 429, auth) and which
//! may have (5xx, timeouts, cut connections, unreadable bodies), which decides between "call
//! again" and "probe first".

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::draft::{Contact, TicketDraft};
use crate::domain::retry::FailureClass;

/// Body of `POST /api/v2/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewTicket {
    /// Requester e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Requester phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Requester name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Subject.
    pub subject: String,
    /// HTML description.
    pub description: String,
    /// 2–5.
    pub status: u8,
    /// 1–4.
    pub priority: u8,
    /// Ticket type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ticket_type: Option<String>,
    /// Group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
    /// `cf_…` values: the external reference and the order id.
    pub custom_fields: Map<String, Value>,
}

impl NewTicket {
    /// The body for `draft`, with `reference` in `ref_field` and the order in `order_field`.
    pub fn from_draft(
        draft: &TicketDraft,
        ref_field: &str,
        reference: &str,
        order_field: Option<&str>,
        order_id: &str,
    ) -> Self {
        let (email, phone) = match &draft.requester.contact {
            Contact::Email(e) => (Some(e.clone()), None),
            Contact::Phone(p) => (None, Some(p.clone())),
        };
        let mut custom_fields = Map::new();
        custom_fields.insert(ref_field.to_owned(), Value::String(reference.to_owned()));
        if let Some(f) = order_field {
            custom_fields.insert(f.to_owned(), Value::String(order_id.to_owned()));
        }
        NewTicket {
            email,
            phone,
            name: draft.requester.name.clone(),
            subject: draft.subject.clone(),
            description: draft.description_html.clone(),
            status: draft.status,
            priority: draft.priority.number(),
            ticket_type: draft.ticket_type.clone(),
            group_id: draft.group_id,
            tags: draft.tags.clone(),
            custom_fields,
        }
    }
}

/// Body of `POST /api/v2/tickets/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewNote {
    /// HTML body.
    pub body: String,
    /// Private note (agents only).
    pub private: bool,
}

/// A ticket as Freshdesk returns it (the fields the bridge reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ticket {
    /// Ticket id.
    pub id: u64,
    /// Status.
    #[serde(default)]
    pub status: u8,
    /// Priority.
    #[serde(default)]
    pub priority: u8,
    /// Subject.
    #[serde(default)]
    pub subject: String,
    /// Type.
    #[serde(rename = "type", default)]
    pub ticket_type: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom fields.
    #[serde(default)]
    pub custom_fields: Map<String, Value>,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// The value of custom field `name`, if it is text.
    pub fn custom_text(&self, name: &str) -> Option<&str> {
        self.custom_fields.get(name).and_then(Value::as_str)
    }
}

/// A conversation entry (note).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Conversation {
    /// Conversation id.
    pub id: u64,
    /// HTML body.
    #[serde(default)]
    pub body: String,
    /// Text of the body.
    #[serde(default)]
    pub body_text: String,
}

/// One page of `GET /api/v2/search/tickets`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SearchPage {
    /// Tickets on this page.
    #[serde(default)]
    pub results: Vec<Ticket>,
    /// Matches in all.
    #[serde(default)]
    pub total: u64,
}

/// One entry of a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Field (empty for body-level errors).
    #[serde(default)]
    pub field: String,
    /// Freshdesk's message (may echo the value sent: never logged).
    #[serde(default)]
    pub message: String,
    /// Code, e.g. `invalid_value`.
    #[serde(default)]
    pub code: String,
}

/// Freshdesk's error bodies: `{"description":…,"errors":[…]}` or `{"code":…,"message":…}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    /// Field errors.
    #[serde(default)]
    pub errors: Vec<FieldError>,
    /// Top-level code.
    #[serde(default)]
    pub code: Option<String>,
}

/// How a Freshdesk call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreshdeskError {
    /// 429: wait for `retry_after`.
    #[error("rate limited by Freshdesk, retry after {retry_after:?}")]
    RateLimited {
        /// Freshdesk's `Retry-After`.
        retry_after: Duration,
    },
    /// 400: the body was refused.
    #[error("Freshdesk refused the request: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// 401/403: the key is wrong or lacks rights (configuration; retried until fixed).
    #[error("Freshdesk refused the credentials ({status} {code})")]
    Auth {
        /// HTTP status.
        status: u16,
        /// Freshdesk's code.
        code: String,
    },
    /// 404.
    #[error("not found at Freshdesk")]
    NotFound,
    /// Another 4xx (405, 406, 409, 415 …): the bridge sent something Freshdesk will never take.
    #[error("Freshdesk answered {0}")]
    Refused(u16),
    /// 5xx or an unexpected status: it may have happened.
    #[error("Freshdesk answered {0}")]
    Server(u16),
    /// No answer in time: it may have happened.
    #[error("Freshdesk did not answer in time")]
    Timeout,
    /// The connection broke; `sent` is false when it broke before the request left.
    #[error("connection to Freshdesk failed ({kind})")]
    Transport {
        /// Whether the request may have reached Freshdesk.
        sent: bool,
        /// What broke, without URLs or bodies.
        kind: &'static str,
    },
    /// A success status with a body the bridge cannot read: it happened, the answer is lost.
    #[error("unreadable answer from Freshdesk")]
    Malformed,
}

impl FreshdeskError {
    /// True when Freshdesk may have acted although the call failed (probe before calling again).
    pub fn maybe_acted(&self) -> bool {
        match self {
            FreshdeskError::Server(_) | FreshdeskError::Timeout | FreshdeskError::Malformed => true,
            FreshdeskError::Transport { sent, .. } => *sent,
            _ => false,
        }
    }

    /// How the work should be retried.
    pub fn class(&self) -> FailureClass {
        match self {
            FreshdeskError::RateLimited { retry_after } => FailureClass::RateLimited { retry_after: *retry_after },
            FreshdeskError::Invalid(_) | FreshdeskError::Refused(_) => FailureClass::Permanent,
            _ => FailureClass::Transient,
        }
    }

    /// Metric label of the failure.
    pub fn label(&self) -> &'static str {
        match self {
            FreshdeskError::RateLimited { .. } => "rate_limited",
            FreshdeskError::Invalid(_) => "invalid",
            FreshdeskError::Auth { .. } => "auth",
            FreshdeskError::NotFound => "not_found",
            FreshdeskError::Refused(_) => "refused",
            FreshdeskError::Server(_) => "server_error",
            FreshdeskError::Timeout => "timeout",
            FreshdeskError::Transport { .. } => "transport",
            FreshdeskError::Malformed => "malformed",
        }
    }
}

/// Field names and codes of a validation error (no messages: they may echo personal data).
pub fn summary(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return "validation failed".into();
    }
    errors
        .iter()
        .map(|e| if e.field.is_empty() { e.code.clone() } else { format!("{} {}", e.field, e.code) })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The error for a non-success `status` with `body`; `retry_after` is the header's value.
pub fn error_for(status: u16, body: &[u8], retry_after: Option<&str>) -> FreshdeskError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    match status {
        429 => FreshdeskError::RateLimited { retry_after: parse_retry_after(retry_after) },
        400 => FreshdeskError::Invalid(parsed.errors),
        401 | 403 => FreshdeskError::Auth { status, code: parsed.code.unwrap_or_default() },
        404 => FreshdeskError::NotFound,
        405..=499 => FreshdeskError::Refused(status),
        _ => FreshdeskError::Server(status),
    }
}

/// `Retry-After` in seconds (Freshdesk sends whole seconds); missing or unreadable → 60 s, a
/// whole window.
pub fn parse_retry_after(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(60), |s| Duration::from_secs(s.clamp(1, 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (status, body, Retry-After, expected error, may have acted)
    type Case = (u16, &'static [u8], Option<&'static str>, FreshdeskError, bool);

    #[test]
    fn tk_05_status_mapping_table() {
        let invalid = br#"{"description":"Validation failed","errors":[{"field":"email","message":"It is not in a valid email format (a@b)","code":"invalid_value"}]}"#;
        let cases: Vec<Case> = vec![
            (429, b"{}", Some("17"), FreshdeskError::RateLimited { retry_after: Duration::from_secs(17) }, false),
            (
                429,
                b"Too Many Requests",
                None,
                FreshdeskError::RateLimited { retry_after: Duration::from_secs(60) },
                false,
            ),
            (
                400,
                invalid,
                None,
                FreshdeskError::Invalid(vec![FieldError {
                    field: "email".into(),
                    message: "It is not in a valid email format (a@b)".into(),
                    code: "invalid_value".into(),
                }]),
                false,
            ),
            (
                401,
                br#"{"code":"invalid_credentials","message":"x"}"#,
                None,
                FreshdeskError::Auth { status: 401, code: "invalid_credentials".into() },
                false,
            ),
            (404, b"", None, FreshdeskError::NotFound, false),
            (415, b"{}", None, FreshdeskError::Refused(415), false),
            (500, b"injected fault", None, FreshdeskError::Server(500), true),
            (503, b"", None, FreshdeskError::Server(503), true),
            (504, b"", None, FreshdeskError::Server(504), true),
        ];
        for (status, body, retry_after, want, acted) in cases {
            let got = error_for(status, body, retry_after);
            assert_eq!(got, want, "{status}");
            assert_eq!(got.maybe_acted(), acted, "{status}");
        }
        assert!(FreshdeskError::Timeout.maybe_acted());
        assert!(FreshdeskError::Malformed.maybe_acted());
        assert!(FreshdeskError::Transport { sent: true, kind: "reset" }.maybe_acted());
        assert!(!FreshdeskError::Transport { sent: false, kind: "connect" }.maybe_acted());
    }

    #[test]
    fn tk_05_failure_classes_and_summaries_hold_no_personal_data() {
        let e = error_for(400, br#"{"errors":[{"field":"email","message":"It is not in a valid email format (anna@x)","code":"invalid_value"}]}"#, None);
        assert_eq!(e.class(), FailureClass::Permanent);
        assert_eq!(e.to_string(), "Freshdesk refused the request: email invalid_value");
        assert_eq!(FreshdeskError::Server(502).class(), FailureClass::Transient);
        assert_eq!(FreshdeskError::Auth { status: 401, code: String::new() }.class(), FailureClass::Transient);
        assert_eq!(parse_retry_after(Some("0")), Duration::from_secs(1));
    }
}
