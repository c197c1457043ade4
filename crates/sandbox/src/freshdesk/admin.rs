//! Admin routes under `/admin/freshdesk`: the account configuration (plan rate, ticket types,
//! groups, custom fields, API keys), every ticket with its notes and the counts per external
//! reference (for "every incident has exactly one ticket"), the rate-limit windows, and an
//! agent's status change (resolving, closing or reopening a ticket in the helpdesk UI).

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rate::FreshdeskRateWindow;
use super::state::{CustomField, CustomFieldType, FreshdeskConfig, FreshdeskGroup, PLANS, State as FdState};
use crate::admin::AdminError;
use crate::shared::Shared;

/// A partial configuration change; absent fields stay. A known `plan` name without explicit
/// rates sets that plan's rates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FreshdeskConfigPatch {
    /// `trial`, `growth`, `pro`, `enterprise` or any name.
    pub plan: Option<String>,
    /// Calls per minute.
    pub per_minute: Option<u32>,
    /// Ticket creations per minute.
    pub create_per_minute: Option<u32>,
    /// Allowed ticket types (replaces the list).
    pub ticket_types: Option<Vec<String>>,
    /// Groups (replaces the list).
    pub groups: Option<Vec<FreshdeskGroup>>,
    /// Custom fields (replaces the list).
    pub custom_fields: Option<Vec<CustomField>>,
    /// The external-reference custom field.
    pub external_ref_field: Option<String>,
    /// API keys (replaces the list).
    pub api_keys: Option<Vec<String>>,
    /// Seconds before a new ticket is found by search (0 = at once).
    pub index_delay_secs: Option<u64>,
}

/// Body of `POST /admin/freshdesk/api_keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskApiKey {
    /// The key to accept.
    pub key: String,
}

/// Body of `POST /admin/freshdesk/tickets/{id}/status`: what an agent sets in the helpdesk UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskStatusChange {
    /// 2 Open, 3 Pending, 4 Resolved, 5 Closed.
    pub status: u8,
}

/// A note as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshdeskNoteView {
    /// Conversation id.
    pub id: u64,
    /// HTML body as received.
    pub body: String,
    /// Private note.
    pub private: bool,
    /// Sandbox time of creation.
    pub created_at: DateTime<Utc>,
}

/// A ticket as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreshdeskTicketView {
    /// Ticket id.
    pub id: u64,
    /// Subject.
    pub subject: String,
    /// HTML description exactly as received.
    pub description: String,
    /// Status (2–5).
    pub status: u8,
    /// Priority (1–4).
    pub priority: u8,
    /// Ticket type.
    pub ticket_type: Option<String>,
    /// Group.
    pub group_id: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Requester contact id.
    pub requester_id: u64,
    /// Requester e-mail.
    pub requester_email: Option<String>,
    /// Requester phone.
    pub requester_phone: Option<String>,
    /// Custom fields that were set.
    pub custom_fields: serde_json::Map<String, Value>,
    /// Value of the external-reference field.
    pub external_ref: Option<String>,
    /// Sandbox time of creation.
    pub created_at: DateTime<Utc>,
    /// Notes, oldest first.
    pub notes: Vec<FreshdeskNoteView>,
}

/// Every ticket (or those with one external reference) and the counts per reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreshdeskTickets {
    /// Tickets in id order.
    pub tickets: Vec<FreshdeskTicketView>,
    /// Number of tickets listed.
    pub count: usize,
    /// Tickets per external reference (tickets without one are not counted).
    pub by_external_ref: BTreeMap<String, usize>,
    /// External references with more than one ticket.
    pub duplicates: Vec<String>,
}

/// The rate-limit configuration and every window seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshdeskRate {
    /// Calls per minute.
    pub per_minute: u32,
    /// Creations per minute.
    pub create_per_minute: u32,
    /// Windows, oldest first.
    pub windows: Vec<FreshdeskRateWindow>,
}

/// The admin router (nested under `/admin/freshdesk`).
pub(crate) fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/config", get(get_config).post(set_config))
        .route("/api_keys", post(add_key))
        .route("/tickets", get(tickets))
        .route("/tickets/{id}/status", post(set_status))
        .route("/rate", get(rate))
        .with_state(shared)
}

async fn get_config(State(s): State<Shared>) -> Json<FreshdeskConfig> {
    Json(Shared::lock(&s.0.freshdesk).config.clone())
}

async fn set_config(State(s): State<Shared>, body: Bytes) -> Result<Json<FreshdeskConfig>, AdminError> {
    let p: FreshdeskConfigPatch = serde_json::from_slice(&body).map_err(|e| AdminError::bad("body", e))?;
    let mut st = Shared::lock(&s.0.freshdesk);
    let next = apply(st.config.clone(), p)?;
    st.config = next.clone();
    Ok(Json(next))
}

fn apply(mut c: FreshdeskConfig, p: FreshdeskConfigPatch) -> Result<FreshdeskConfig, AdminError> {
    if let Some(plan) = p.plan {
        if let Some((_, total, create)) = PLANS.iter().find(|(n, _, _)| *n == plan) {
            c.per_minute = *total;
            c.create_per_minute = *create;
        }
        c.plan = plan;
    }
    c.per_minute = p.per_minute.unwrap_or(c.per_minute);
    c.create_per_minute = p.create_per_minute.unwrap_or(c.create_per_minute);
    c.ticket_types = p.ticket_types.unwrap_or(c.ticket_types);
    c.groups = p.groups.unwrap_or(c.groups);
    c.custom_fields = p.custom_fields.unwrap_or(c.custom_fields);
    c.external_ref_field = p.external_ref_field.unwrap_or(c.external_ref_field);
    c.api_keys = p.api_keys.unwrap_or(c.api_keys);
    c.index_delay_secs = p.index_delay_secs.unwrap_or(c.index_delay_secs);
    if c.per_minute == 0 {
        return Err(AdminError::bad("per_minute", "must be at least 1"));
    }
    if c.create_per_minute == 0 {
        return Err(AdminError::bad("create_per_minute", "must be at least 1"));
    }
    for f in &c.custom_fields {
        if !f.name.starts_with("cf_") || f.name.len() < 4 {
            return Err(AdminError::bad("custom_fields", format!("{} must be named cf_<name>", f.name)));
        }
        if f.field_type == CustomFieldType::Dropdown && f.choices.is_empty() {
            return Err(AdminError::bad("custom_fields", format!("dropdown {} needs choices", f.name)));
        }
    }
    let ext = c.custom_fields.iter().find(|f| f.name == c.external_ref_field);
    if !ext.is_some_and(|f| matches!(f.field_type, CustomFieldType::Text | CustomFieldType::Paragraph)) {
        return Err(AdminError::bad("external_ref_field", "must name a text custom field"));
    }
    Ok(c)
}

async fn add_key(State(s): State<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let k: FreshdeskApiKey = serde_json::from_slice(&body).map_err(|e| AdminError::bad("body", e))?;
    if k.key.is_empty() || k.key.contains(':') {
        return Err(AdminError::bad("key", "must be non-empty and without ':'"));
    }
    let mut st = Shared::lock(&s.0.freshdesk);
    if !st.config.api_keys.contains(&k.key) {
        st.config.api_keys.push(k.key);
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn tickets(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Json<FreshdeskTickets> {
    let st = Shared::lock(&s.0.freshdesk);
    let all: Vec<FreshdeskTicketView> = st.tickets.values().map(|t| view(&st, t)).collect();
    let mut by_external_ref = BTreeMap::new();
    for r in all.iter().filter_map(|t| t.external_ref.clone()) {
        *by_external_ref.entry(r).or_insert(0) += 1;
    }
    let duplicates = by_external_ref.iter().filter(|(_, n)| **n > 1).map(|(r, _)| r.clone()).collect();
    let tickets: Vec<FreshdeskTicketView> = match q.get("external_ref") {
        Some(r) => all.into_iter().filter(|t| t.external_ref.as_ref() == Some(r)).collect(),
        None => all,
    };
    Json(FreshdeskTickets { count: tickets.len(), tickets, by_external_ref, duplicates })
}

/// An agent changes a ticket's status (no rate limit, no fault: it is not an API call).
async fn set_status(
    State(s): State<Shared>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Json<FreshdeskTicketView>, AdminError> {
    let change: FreshdeskStatusChange = serde_json::from_slice(&body).map_err(|e| AdminError::bad("body", e))?;
    if !(2..=5).contains(&change.status) {
        return Err(AdminError::bad("status", "must be 2 (open), 3 (pending), 4 (resolved) or 5 (closed)"));
    }
    let now = s.now();
    let mut st = Shared::lock(&s.0.freshdesk);
    let t = st.tickets.get_mut(&id).ok_or_else(|| AdminError::not_found(format!("ticket {id}")))?;
    t.status = change.status;
    t.updated_at = now;
    let t = t.clone();
    Ok(Json(view(&st, &t)))
}

fn view(st: &FdState, t: &super::state::Ticket) -> FreshdeskTicketView {
    let contact = st.contacts.iter().find(|c| c.id == t.requester_id);
    FreshdeskTicketView {
        id: t.id,
        subject: t.subject.clone(),
        description: t.description.clone(),
        status: t.status,
        priority: t.priority,
        ticket_type: t.ticket_type.clone(),
        group_id: t.group_id,
        tags: t.tags.clone(),
        requester_id: t.requester_id,
        requester_email: contact.and_then(|c| c.email.clone()),
        requester_phone: contact.and_then(|c| c.phone.clone()),
        custom_fields: t.custom_fields.clone(),
        external_ref: st.external_ref(t),
        created_at: t.created_at,
        notes: t
            .notes
            .iter()
            .map(|n| FreshdeskNoteView { id: n.id, body: n.body.clone(), private: n.private, created_at: n.created_at })
            .collect(),
    }
}

async fn rate(State(s): State<Shared>) -> Json<FreshdeskRate> {
    let st = Shared::lock(&s.0.freshdesk);
    Json(FreshdeskRate {
        per_minute: st.config.per_minute,
        create_per_minute: st.config.create_per_minute,
        windows: st.rate.windows.clone(),
    })
}
