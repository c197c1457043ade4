//! Freshdesk v2 wire shapes: the ticket and conversation objects, the
//! validation-error body (`crates/sandbox/contracts/freshdesk/`), and the plain-text rendering of HTML (`description_text`,
//! `body_text`).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::state::{Contact, FreshdeskConfig, Note, Ticket};
use super::validate::FieldError;

/// ISO-8601 UTC with seconds, as Freshdesk writes times.
pub(crate) fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// 400 `{"description":"Validation failed","errors":[…]}`.
pub(crate) fn validation_failed(errors: &[FieldError]) -> Response {
    let errors: Vec<Value> = errors
        .iter()
        .map(|e| {
            if e.field.is_empty() {
                json!({ "code": e.code, "message": e.message })
            } else {
                json!({ "field": e.field, "message": e.message, "code": e.code })
            }
        })
        .collect();
    (StatusCode::BAD_REQUEST, Json(json!({ "description": "Validation failed", "errors": errors }))).into_response()
}

/// One validation error on `field`.
pub(crate) fn invalid(field: &str, message: &str, code: &'static str) -> Response {
    validation_failed(&[FieldError { field: field.into(), message: message.into(), code }])
}

/// 404 with an empty body (unknown ticket or path).
pub(crate) fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// 415 for a body that is not declared as JSON.
pub(crate) fn unsupported_content_type(given: &str) -> Response {
    let body = json!({
        "code": "invalid_content_type",
        "message": format!("Content-Type header is set to {given}. It should be set to application/json"),
    });
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(body)).into_response()
}

/// The ticket object. Every configured custom field appears (`null` when unset).
pub(crate) fn ticket(t: &Ticket, cfg: &FreshdeskConfig) -> Value {
    let mut custom = Map::new();
    for f in &cfg.custom_fields {
        custom.insert(f.name.clone(), t.custom_fields.get(&f.name).cloned().unwrap_or(Value::Null));
    }
    for (k, v) in &t.custom_fields {
        custom.entry(k.clone()).or_insert_with(|| v.clone());
    }
    json!({
        "id": t.id,
        "subject": t.subject,
        "description": t.description,
        "description_text": html_to_text(&t.description),
        "status": t.status,
        "priority": t.priority,
        "source": t.source,
        "type": t.ticket_type,
        "requester_id": t.requester_id,
        "responder_id": t.responder_id,
        "group_id": t.group_id,
        "company_id": t.company_id,
        "product_id": t.product_id,
        "email_config_id": null,
        "tags": t.tags,
        "custom_fields": custom,
        "cc_emails": t.cc_emails,
        "fwd_emails": [],
        "reply_cc_emails": t.cc_emails,
        "ticket_cc_emails": t.cc_emails,
        "to_emails": null,
        "due_by": time(t.due_by),
        "fr_due_by": time(t.fr_due_by),
        "is_escalated": false,
        "fr_escalated": false,
        "spam": false,
        "attachments": [],
        "created_at": time(t.created_at),
        "updated_at": time(t.updated_at),
    })
}

/// A note as a conversation object.
pub(crate) fn conversation(n: &Note, ticket_id: u64, requester_id: u64) -> Value {
    json!({
        "id": n.id,
        "body": n.body,
        "body_text": html_to_text(&n.body),
        "incoming": n.incoming,
        "private": n.private,
        "user_id": n.user_id.unwrap_or(requester_id),
        "support_email": null,
        "source": 2,
        "category": 2,
        "ticket_id": ticket_id,
        "to_emails": n.notify_emails,
        "from_email": null,
        "cc_emails": [],
        "bcc_emails": [],
        "attachments": [],
        "created_at": time(n.created_at),
        "updated_at": time(n.created_at),
    })
}

/// The requester object of `include=requester`.
pub(crate) fn requester(c: &Contact) -> Value {
    json!({ "id": c.id, "name": c.name, "email": c.email, "mobile": null, "phone": c.phone })
}

/// Plain text of an HTML fragment: tags dropped (block ends become blanks), common entities
/// decoded, whitespace collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_plain_text() {
        for (html, text) in [
            ("<p>Hello <b>world</b></p>", "Hello world"),
            ("a<br>b", "a b"),
            ("Tom &amp; Jerry &lt;3", "Tom & Jerry <3"),
            ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
            ("plain", "plain"),
        ] {
            assert_eq!(html_to_text(html), text, "{html}");
        }
    }
}
