//! Attention events into tickets and notes (TK-02, TK-04). An attention event of an order and
//! incident opens a ticket when the incident has none open; a further event of the same
//! incident becomes a private note on that ticket. When an agent resolved or closed the ticket
//! (or deleted it), the incident has happened again: a new ticket (the next generation) is
//! opened that points to the previous one. All text is escaped into HTML.

use chrono::{DateTime, Utc};
use kit::id::{IncidentId, OrderId};
use serde::{Deserialize, Serialize};

use super::draft::{Contact, Priority, Requester, STATUS_OPEN, SUBJECT_MAX, TicketDraft};
use super::html;

/// Longest attention description carried into a ticket (characters); longer text is cut.
const DESCRIPTION_MAX: usize = 10_000;

/// Defaults of tickets opened from attention events (configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttentionDefaults {
    /// Ticket type, if any.
    pub ticket_type: Option<String>,
    /// Group id, if any.
    pub group_id: Option<u64>,
    /// Requester e-mail.
    pub requester_email: String,
}

/// One attention event, parsed: what the work queue stores until it is handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionWork {
    /// Event id (envelope).
    pub event_id: String,
    /// The emitting service.
    pub source: String,
    /// The order.
    pub order_id: OrderId,
    /// The incident within the order.
    pub incident_id: IncidentId,
    /// Proto severity value.
    pub severity: i32,
    /// Title (plain text).
    pub title: String,
    /// Description (plain text).
    pub description: String,
    /// Link to the emitting service's dashboard.
    pub dashboard_url: String,
    /// When the event happened.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// The raw fields of an attention event.
#[derive(Debug, Clone, Default)]
pub struct AttentionFields<'a> {
    /// Event id.
    pub event_id: &'a str,
    /// Emitting service.
    pub source: &'a str,
    /// Order id of the envelope.
    pub order_id: &'a str,
    /// Incident id of the payload.
    pub incident_id: &'a str,
    /// Severity.
    pub severity: i32,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Dashboard link.
    pub dashboard_url: &'a str,
    /// Event time.
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Parses an attention event. An event without a usable order or incident id can never become
/// a ticket; the error says why (it is dead-lettered as malformed).
pub fn parse(f: &AttentionFields<'_>) -> Result<AttentionWork, String> {
    let order_id = OrderId::parse(f.order_id).map_err(|e| format!("order_id: {e}"))?;
    let incident_id = IncidentId::parse(f.incident_id).map_err(|e| format!("incident_id: {e}"))?;
    if f.event_id.is_empty() {
        return Err("event_id: must not be empty".into());
    }
    let source = if f.source.is_empty() { "unknown".to_owned() } else { f.source.to_owned() };
    Ok(AttentionWork {
        event_id: f.event_id.to_owned(),
        source,
        order_id,
        incident_id,
        severity: f.severity,
        title: f.title.trim().to_owned(),
        description: f.description.to_owned(),
        dashboard_url: f.dashboard_url.trim().to_owned(),
        occurred_at: f.occurred_at,
    })
}

/// Severity → priority: low 1, unspecified/medium 2, high 3, urgent 4.
pub fn priority(severity: i32) -> Priority {
    match severity {
        1 => Priority::Low,
        3 => Priority::High,
        4 => Priority::Urgent,
        _ => Priority::Medium,
    }
}

fn severity_label(severity: i32) -> &'static str {
    match severity {
        1 => "low",
        3 => "high",
        4 => "urgent",
        _ => "medium",
    }
}

/// What the ticket of an incident currently looks like to the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownTicket {
    /// Freshdesk id.
    pub ticket_id: i64,
    /// Generation (1 for the incident's first ticket).
    pub generation: i32,
}

/// What to do with an attention event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventAction {
    /// Open the incident's ticket of `generation`, following `previous` if any.
    Create {
        /// Generation of the new ticket.
        generation: i32,
        /// The resolved/closed ticket it follows.
        previous: Option<i64>,
    },
    /// Add a note to the open ticket.
    Note {
        /// The ticket.
        ticket_id: i64,
    },
}

/// Decides from the incident's current ticket and, when there is one, its Freshdesk status
/// (`None` when Freshdesk no longer has it).
pub fn decide(current: Option<KnownTicket>, status: Option<u8>) -> EventAction {
    match (current, status) {
        (None, _) => EventAction::Create { generation: 1, previous: None },
        (Some(t), Some(s)) if !is_closed(s) => EventAction::Note { ticket_id: t.ticket_id },
        (Some(t), _) => EventAction::Create { generation: t.generation + 1, previous: Some(t.ticket_id) },
    }
}

/// Resolved (4) and closed (5) tickets take no more notes; other statuses (custom ones too)
/// count as open.
pub fn is_closed(status: u8) -> bool {
    matches!(status, 4 | 5)
}

/// The ticket for an incident.
pub fn ticket_draft(w: &AttentionWork, d: &AttentionDefaults, previous: Option<i64>) -> TicketDraft {
    let title = if w.title.is_empty() { format!("Attention from {}", w.source) } else { w.title.clone() };
    let suffix = format!(" · order {}", w.order_id);
    let room = SUBJECT_MAX.saturating_sub(suffix.chars().count());
    let subject: String = html::truncate(&single_line(&title), room) + &suffix;
    let mut body = html::paragraphs(&html::truncate(&w.description, DESCRIPTION_MAX));
    if let Some(prev) = previous {
        body.push_str(&format!("<p>The incident happened again after ticket #{prev} was resolved or closed.</p>"));
    }
    body.push_str(&facts(w));
    TicketDraft {
        subject,
        description_html: body,
        requester: Requester { contact: Contact::Email(d.requester_email.clone()), name: None },
        ticket_type: d.ticket_type.clone(),
        priority: priority(w.severity),
        status: STATUS_OPEN,
        group_id: d.group_id,
        tags: tags(w),
    }
}

/// The private note for a further event of an open incident; `marker` lets a probe find it.
pub fn note_body(w: &AttentionWork, marker: &str) -> String {
    let mut body = String::from("<p><b>Again:</b> ");
    body.push_str(&html::escape(&single_line(if w.title.is_empty() { "attention" } else { &w.title })));
    body.push_str("</p>");
    body.push_str(&html::paragraphs(&html::truncate(&w.description, DESCRIPTION_MAX)));
    body.push_str(&facts(w));
    body.push_str(&format!("<p><small>{}</small></p>", html::escape(marker)));
    body
}

fn facts(w: &AttentionWork) -> String {
    let when = w.occurred_at.map_or_else(|| "unknown".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    let mut out = format!(
        "<p>Order: {} · Incident: {} · Source: {} · Severity: {} · Time: {}</p>",
        html::escape(&w.order_id),
        html::escape(&w.incident_id),
        html::escape(&w.source),
        severity_label(w.severity),
        when
    );
    if !w.dashboard_url.is_empty() {
        out.push_str(&format!("<p>Dashboard: {}</p>", html::link(&w.dashboard_url)));
    }
    out
}

fn tags(w: &AttentionWork) -> Vec<String> {
    let mut tags = vec!["payops".to_owned(), "attention".to_owned()];
    let source: String = w.source.chars().filter(|c| !c.is_control() && *c != ',').take(32).collect();
    if !source.is_empty() && !tags.contains(&source) {
        tags.push(source);
    }
    tags
}

fn single_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(title: &str, description: &str) -> AttentionWork {
        parse(&AttentionFields {
            event_id: "e-1",
            source: "pixi-sync",
            order_id: "4711",
            incident_id: "capture-failed-INV-1",
            severity: 3,
            title,
            description,
            dashboard_url: "https://grafana/d/pixi?order=4711",
            occurred_at: None,
        })
        .unwrap()
    }

    fn defaults() -> AttentionDefaults {
        AttentionDefaults {
            ticket_type: Some("Incident".into()),
            group_id: Some(43_000_000_002),
            requester_email: "hotline@smarpay.eu".into(),
        }
    }

    #[test]
    fn tk_04_decision_table() {
        let t = KnownTicket { ticket_id: 7, generation: 1 };
        let cases = [
            (None, None, EventAction::Create { generation: 1, previous: None }),
            (Some(t), Some(2), EventAction::Note { ticket_id: 7 }),
            (Some(t), Some(3), EventAction::Note { ticket_id: 7 }),
            (Some(t), Some(6), EventAction::Note { ticket_id: 7 }),
            (Some(t), Some(4), EventAction::Create { generation: 2, previous: Some(7) }),
            (Some(t), Some(5), EventAction::Create { generation: 2, previous: Some(7) }),
            (Some(t), None, EventAction::Create { generation: 2, previous: Some(7) }),
        ];
        for (current, status, want) in cases {
            assert_eq!(decide(current, status), want, "{current:?} {status:?}");
        }
    }

    #[test]
    fn tk_02_attention_becomes_an_escaped_ticket() {
        let w = work("Capture <refused>", "unzer said <script>x</script>\nsecond line");
        let d = ticket_draft(&w, &defaults(), None);
        assert_eq!(d.subject, "Capture <refused> · order 4711", "the subject is plain text");
        assert!(d.description_html.starts_with("<p>unzer said &lt;script&gt;x&lt;/script&gt;<br>second line</p>"));
        assert!(d.description_html.contains("Incident: capture-failed-INV-1"));
        assert!(d.description_html.contains("<a href=\"https://grafana/d/pixi?order=4711\">"));
        assert!(!d.description_html.contains("<script>"));
        assert_eq!(d.priority, Priority::High);
        assert_eq!(d.tags, ["payops", "attention", "pixi-sync"]);
        assert!(d.check().is_ok());
        let again = ticket_draft(&w, &defaults(), Some(7));
        assert!(again.description_html.contains("after ticket #7"));
    }

    #[test]
    fn tk_02_long_or_empty_titles_still_fit() {
        let w = work(&"t".repeat(400), "");
        let d = ticket_draft(&w, &defaults(), None);
        assert_eq!(d.subject.chars().count(), SUBJECT_MAX);
        assert!(d.subject.ends_with(" · order 4711"));
        assert!(d.check().is_ok(), "the facts paragraph keeps the description non-empty");
        let w = work("", "x");
        assert_eq!(ticket_draft(&w, &defaults(), None).subject, "Attention from pixi-sync · order 4711");
    }

    #[test]
    fn tk_04_note_body_is_escaped_and_carries_its_marker() {
        let w = work("again <b>", "<img src=x onerror=alert(1)>");
        let body = note_body(&w, "payops-ref: note:e-1");
        assert!(body.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(body.contains("again &lt;b&gt;"));
        assert!(body.contains("payops-ref: note:e-1"));
    }

    #[test]
    fn malformed_events_are_refused_with_a_reason() {
        let base = AttentionFields { event_id: "e", order_id: "4711", incident_id: "i", ..Default::default() };
        assert!(parse(&base).is_ok());
        let bad = [
            AttentionFields { order_id: "47.11", ..base.clone() },
            AttentionFields { incident_id: "", ..base.clone() },
            AttentionFields { incident_id: "a b", ..base.clone() },
            AttentionFields { event_id: "", ..base.clone() },
        ];
        for f in bad {
            assert!(parse(&f).is_err(), "{f:?}");
        }
        assert_eq!(parse(&base).unwrap().source, "unknown");
        assert_eq!(priority(0), Priority::Medium);
        assert_eq!(priority(4), Priority::Urgent);
    }
}
