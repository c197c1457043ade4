//! `GET /api/v2/ticket_fields[?type=…]`: the account's ticket fields as an agent sees them
//! (<https://developers.freshdesk.com/api/#list_all_ticket_fields>) — the default fields with
//! `ticket_type` choices as a list of names and `group` choices as a name → id map, then every
//! custom field with its API name and `custom_<type>` type. payops' preflight (CT-06) reads it
//! to find the reference field, the ticket types and the groups it is configured with.
//!
//! [INF] The documented sample of this endpoint is old and names custom fields without `cf_`
//! (`rating`, `regional_id`); the admin endpoint (`/api/v2/admin/ticket_fields`) and ticket
//! answers name them `cf_…`. The simulator answers the `cf_` form; clients must accept both.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::rate::{self, Cost};
use super::state::{CustomFieldType, FreshdeskConfig};
use super::wire;
use crate::shared::Shared;
use crate::system::System;

/// `GET /api/v2/ticket_fields[?type=…]` → 200 array of fields.
pub(crate) async fn list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "ticket_fields", async move {
            let now = s.now();
            let mut st = Shared::lock(&s.0.freshdesk);
            match rate::gate(&mut st, &headers, now, Cost { credits: 1, create: false }) {
                Ok(h) => {
                    let all = fields(&st.config, now);
                    let list: Vec<Value> = match q.get("type") {
                        Some(t) => all.into_iter().filter(|f| f["type"].as_str() == Some(t.as_str())).collect(),
                        None => all,
                    };
                    h.apply((StatusCode::OK, Json(Value::Array(list))).into_response())
                }
                Err(r) => *r,
            }
        })
        .await
}

/// Every field of the account, default fields first.
fn fields(cfg: &FreshdeskConfig, now: DateTime<Utc>) -> Vec<Value> {
    let at = wire::time(now);
    let groups: Map<String, Value> = cfg.groups.iter().map(|g| (g.name.clone(), json!(g.id))).collect();
    let mut out = vec![
        field(1, "requester", "Search a requester", "default_requester", true, None, &at),
        field(2, "subject", "Subject", "default_subject", true, None, &at),
        field(3, "ticket_type", "Type", "default_ticket_type", true, Some(json!(cfg.ticket_types)), &at),
        field(4, "source", "Source", "default_source", true, None, &at),
        field(5, "status", "Status", "default_status", true, None, &at),
        field(6, "priority", "Priority", "default_priority", true, None, &at),
        field(7, "group", "Group", "default_group", true, Some(Value::Object(groups)), &at),
        field(8, "agent", "Agent", "default_agent", true, None, &at),
        field(9, "description", "Description", "default_description", true, None, &at),
    ];
    for (i, f) in cfg.custom_fields.iter().enumerate() {
        let kind = match f.field_type {
            CustomFieldType::Text => "custom_text",
            CustomFieldType::Paragraph => "custom_paragraph",
            CustomFieldType::Number => "custom_number",
            CustomFieldType::Decimal => "custom_decimal",
            CustomFieldType::Checkbox => "custom_checkbox",
            CustomFieldType::Dropdown => "custom_dropdown",
            CustomFieldType::Date => "custom_date",
        };
        let choices = (f.field_type == CustomFieldType::Dropdown).then(|| json!(f.choices));
        let label = f.name.trim_start_matches("cf_");
        let mut v = field(20 + i as u64, &f.name, label, kind, false, choices, &at);
        v["required_for_agents"] = json!(f.required);
        out.push(v);
    }
    out
}

fn field(id: u64, name: &str, label: &str, kind: &str, default: bool, choices: Option<Value>, at: &str) -> Value {
    let mut v = json!({
        "id": id,
        "description": label,
        "label": label,
        "name": name,
        "position": id,
        "type": kind,
        "label_for_customers": label,
        "default": default,
        "required_for_closure": false,
        "required_for_agents": false,
        "required_for_customers": false,
        "customers_can_edit": !default,
        "displayed_to_customers": true,
        "created_at": at,
        "updated_at": at,
    });
    if let Some(c) = choices {
        v["choices"] = c;
    }
    v
}
