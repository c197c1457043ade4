//! Deterministic Freshdesk demo data (SB-08): an API key and a few hotline tickets with notes.

use chrono::Duration;
use serde_json::{Map, json};

use super::state::{Note, Ticket};
use crate::shared::Shared;

/// The demo API key (Basic auth user name, any password).
pub const DEMO_API_KEY: &str = "demo-api-key";

/// Loads the demo key and tickets.
pub(crate) fn load(shared: &Shared) {
    let now = shared.now();
    let mut st = Shared::lock(&shared.0.freshdesk);
    if !st.config.api_keys.iter().any(|k| k == DEMO_API_KEY) {
        st.config.api_keys.push(DEMO_API_KEY.into());
    }
    let tickets = [
        ("Code abgelaufen – Waschküche Musterstrasse 1", "Waschküche", 3, "expired", "demo-inc-1", "anna@example.ch"),
        ("Kein Code gefunden", "Problem", 2, "notfound", "demo-inc-2", "beat@example.ch"),
        ("B2B – Verwaltung Meier – Abrechnung", "Billing", 2, "b2b", "demo-inc-3", "verwaltung@example.ch"),
    ];
    for (i, (subject, ticket_type, priority, tag, reference, email)) in tickets.into_iter().enumerate() {
        let created = now - Duration::hours(24 - i as i64);
        let requester_id = st.contact_for(None, Some(email), None);
        let id = st.next_ticket;
        st.next_ticket += 1;
        let note_id = st.next_note;
        st.next_note += 1;
        let mut custom = Map::new();
        custom.insert("cf_payops_ref".into(), json!(reference));
        st.tickets.insert(
            id,
            Ticket {
                id,
                subject: subject.into(),
                description: format!("<p>{subject}</p>"),
                status: 2,
                priority,
                source: 3,
                ticket_type: Some(ticket_type.into()),
                requester_id,
                responder_id: None,
                group_id: Some(43_000_000_001),
                company_id: None,
                product_id: None,
                tags: vec!["profioffice".into(), tag.into()],
                cc_emails: Vec::new(),
                custom_fields: custom,
                due_by: created + Duration::hours(48),
                fr_due_by: created + Duration::hours(8),
                created_at: created,
                updated_at: created,
                notes: vec![Note {
                    id: note_id,
                    body: "<p>Rückruf vereinbart.</p>".into(),
                    private: true,
                    incoming: false,
                    user_id: None,
                    notify_emails: Vec::new(),
                    created_at: created,
                }],
            },
        );
    }
}
