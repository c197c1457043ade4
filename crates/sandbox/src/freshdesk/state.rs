//! The Freshdesk simulator's state: the account configuration (plan, ticket types, groups,
//! custom fields, API keys), contacts, tickets with their notes, and the rate-limit window.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rate::RateWindow;

/// A ticket group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskGroup {
    /// Group id (as sent in `group_id`).
    pub id: u64,
    /// Display name.
    pub name: String,
}

/// The value type of a custom ticket field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldType {
    /// Single-line text (≤ 255 characters).
    Text,
    /// Multi-line text.
    Paragraph,
    /// Integer.
    Number,
    /// Decimal number.
    Decimal,
    /// Boolean.
    Checkbox,
    /// One of `choices`.
    Dropdown,
    /// `YYYY-MM-DD`.
    Date,
}

/// A custom ticket field (`cf_…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// API name, starting with `cf_`.
    pub name: String,
    /// Value type.
    #[serde(rename = "type")]
    pub field_type: CustomFieldType,
    /// Required when creating a ticket.
    #[serde(default)]
    pub required: bool,
    /// Allowed values of a dropdown.
    #[serde(default)]
    pub choices: Vec<String>,
}

impl CustomField {
    fn new(name: &str, field_type: CustomFieldType) -> Self {
        CustomField { name: name.into(), field_type, required: false, choices: Vec::new() }
    }
}

/// The simulated account's configuration (admin `GET/POST /admin/freshdesk/config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshdeskConfig {
    /// Plan name (informational).
    pub plan: String,
    /// API calls per minute for the whole account.
    pub per_minute: u32,
    /// Ticket creations per minute (a sub-limit of `per_minute`).
    pub create_per_minute: u32,
    /// Allowed values of `type`.
    pub ticket_types: Vec<String>,
    /// Allowed `group_id`s.
    pub groups: Vec<FreshdeskGroup>,
    /// Custom ticket fields.
    pub custom_fields: Vec<CustomField>,
    /// The custom field payops uses as the external reference (admin listing counts by it).
    pub external_ref_field: String,
    /// Valid API keys.
    pub api_keys: Vec<String>,
    /// Seconds (sandbox clock) before a new ticket can be found by search: Freshdesk indexes
    /// tickets for its filter API only after "a few minutes" (CT-07). 0 switches it off.
    #[serde(default = "default_index_delay")]
    pub index_delay_secs: u64,
}

/// The indexing delay of a fresh account. Freshdesk documents only "a few minutes"; two is a
/// guess [INF], long enough that a client trusting an early "not found" makes a duplicate.
pub const DEFAULT_INDEX_DELAY_SECS: u64 = 120;

fn default_index_delay() -> u64 {
    DEFAULT_INDEX_DELAY_SECS
}

impl Default for FreshdeskConfig {
    fn default() -> Self {
        let mut situation = CustomField::new("cf_situation", CustomFieldType::Dropdown);
        situation.choices = vec!["found".into(), "expired".into(), "notfound".into()];
        FreshdeskConfig {
            plan: "growth".into(),
            per_minute: 200,
            create_per_minute: 80,
            ticket_types: ["Question", "Incident", "Problem", "Feature Request", "Refund", "Waschküche", "Billing"]
                .into_iter()
                .map(String::from)
                .collect(),
            groups: vec![
                FreshdeskGroup { id: 43_000_000_001, name: "hotline".into() },
                FreshdeskGroup { id: 43_000_000_002, name: "payments".into() },
                FreshdeskGroup { id: 43_000_000_003, name: "billing".into() },
            ],
            custom_fields: vec![
                CustomField::new("cf_payops_ref", CustomFieldType::Text),
                CustomField::new("cf_order_id", CustomFieldType::Text),
                CustomField::new("cf_tenant", CustomFieldType::Text),
                CustomField::new("cf_amount_minor", CustomFieldType::Number),
                CustomField::new("cf_callback_requested", CustomFieldType::Checkbox),
                situation,
            ],
            external_ref_field: "cf_payops_ref".into(),
            api_keys: Vec::new(),
            index_delay_secs: DEFAULT_INDEX_DELAY_SECS,
        }
    }
}

/// Plan presets: (name, calls per minute, creations per minute), from Freshdesk's rate-limit
/// article (`crates/sandbox/contracts/freshdesk/`).
pub const PLANS: [(&str, u32, u32); 4] =
    [("trial", 50, 50), ("growth", 200, 80), ("pro", 400, 160), ("enterprise", 700, 280)];

/// A contact (requester), auto-created from an unknown e-mail or phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
}

/// A note (conversation entry) on a ticket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Note {
    pub(crate) id: u64,
    pub(crate) body: String,
    pub(crate) private: bool,
    pub(crate) incoming: bool,
    pub(crate) user_id: Option<u64>,
    pub(crate) notify_emails: Vec<String>,
    pub(crate) created_at: DateTime<Utc>,
}

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticket {
    pub(crate) id: u64,
    pub(crate) subject: String,
    /// HTML exactly as received.
    pub(crate) description: String,
    pub(crate) status: u8,
    pub(crate) priority: u8,
    pub(crate) source: u8,
    pub(crate) ticket_type: Option<String>,
    pub(crate) requester_id: u64,
    pub(crate) responder_id: Option<u64>,
    pub(crate) group_id: Option<u64>,
    pub(crate) company_id: Option<u64>,
    pub(crate) product_id: Option<u64>,
    pub(crate) tags: Vec<String>,
    pub(crate) cc_emails: Vec<String>,
    /// Only the fields that were set.
    pub(crate) custom_fields: Map<String, Value>,
    pub(crate) due_by: DateTime<Utc>,
    pub(crate) fr_due_by: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) notes: Vec<Note>,
}

/// Simulator state.
pub struct State {
    pub(crate) config: FreshdeskConfig,
    pub(crate) contacts: Vec<Contact>,
    pub(crate) tickets: BTreeMap<u64, Ticket>,
    pub(crate) next_ticket: u64,
    pub(crate) next_note: u64,
    pub(crate) next_contact: u64,
    pub(crate) rate: RateWindow,
}

impl Default for State {
    fn default() -> Self {
        State {
            config: FreshdeskConfig::default(),
            contacts: Vec::new(),
            tickets: BTreeMap::new(),
            next_ticket: 1,
            // Conversation and contact ids beyond i32 like the real ones, so narrow ids break.
            next_note: 43_000_100_001,
            next_contact: 43_000_200_001,
            rate: RateWindow::default(),
        }
    }
}

impl State {
    /// The contact with `email` or `phone`, created when unknown (as Freshdesk does).
    pub(crate) fn contact_for(&mut self, name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> u64 {
        let found = self.contacts.iter().find(|c| match (email, phone) {
            (Some(e), _) => c.email.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(e)),
            (None, Some(p)) => c.phone.as_deref() == Some(p),
            (None, None) => false,
        });
        if let Some(c) = found {
            return c.id;
        }
        let id = self.next_contact;
        self.next_contact += 1;
        let name = name.or(email).or(phone).unwrap_or("Unknown").to_owned();
        self.contacts.push(Contact { id, name, email: email.map(str::to_owned), phone: phone.map(str::to_owned) });
        id
    }

    /// Whether search finds `t` at `now`: only once the indexing delay has passed since it was
    /// created.
    pub(crate) fn indexed(&self, t: &Ticket, now: DateTime<Utc>) -> bool {
        let delay = i64::try_from(self.config.index_delay_secs).unwrap_or(i64::MAX / 2_000);
        t.created_at + chrono::Duration::seconds(delay) <= now
    }

    /// The value of the external-reference field of `t`, if set.
    pub(crate) fn external_ref(&self, t: &Ticket) -> Option<String> {
        t.custom_fields.get(&self.config.external_ref_field).and_then(Value::as_str).map(str::to_owned)
    }
}
