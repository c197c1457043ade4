//! The partner-facing Freshdesk v2 endpoints. Each runs under the fault guard with its
//! operation name, then the rate limit and the API-key check ([`super::rate::gate`]), then the
//! operation itself — all under one short lock, nothing awaited inside.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::rate::{self, Cost};
use super::state::{Note, State as FdState, Ticket};
use super::{search, validate, wire};
use crate::shared::Shared;
use crate::system::System;

type Params = Query<HashMap<String, String>>;

/// Search results per page, and the last page reachable.
const SEARCH_PAGE: usize = 30;
const SEARCH_MAX_PAGE: usize = 10;

/// Runs `op` after the rate limit and authentication, adding the rate-limit headers.
fn gated(
    s: &Shared,
    headers: &HeaderMap,
    cost: Cost,
    op: impl FnOnce(&mut FdState, DateTime<Utc>) -> Response,
) -> Response {
    let now = s.now();
    let mut st = Shared::lock(&s.0.freshdesk);
    match rate::gate(&mut st, headers, now, cost) {
        Ok(h) => h.apply(op(&mut st, now)),
        Err(r) => *r,
    }
}

/// The body as JSON, or the answer for a wrong content type / unparsable body.
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Box<Response>> {
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.trim_start().to_ascii_lowercase().starts_with("application/json") {
        return Err(Box::new(wire::unsupported_content_type(if ct.is_empty() { "none" } else { ct })));
    }
    serde_json::from_slice(body).map_err(|_| Box::new(wire::validation_failed(&[validate::invalid_json()])))
}

/// `POST /api/v2/tickets` → 201 ticket.
pub(crate) async fn create_ticket(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "create_ticket", async move {
            let base = s.url(System::Freshdesk);
            gated(&s, &headers, Cost { credits: 1, create: true }, |st, now| {
                create_now(st, now, &base, &headers, &body)
            })
        })
        .await
}

fn create_now(st: &mut FdState, now: DateTime<Utc>, base: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let value = match json_body(headers, body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let known: Vec<u64> = st.contacts.iter().map(|c| c.id).collect();
    let new = match validate::ticket(&value, &st.config, &|id| known.contains(&id)) {
        Ok(t) => t,
        Err(errors) => return wire::validation_failed(&errors),
    };
    let requester_id = match new.requester_id {
        Some(id) => id,
        None => st.contact_for(new.name.as_deref(), new.email.as_deref(), new.phone.as_deref()),
    };
    let (first_response, resolution) = sla_hours(new.priority);
    let id = st.next_ticket;
    st.next_ticket += 1;
    let ticket = Ticket {
        id,
        subject: new.subject,
        description: new.description,
        status: new.status,
        priority: new.priority,
        source: new.source,
        ticket_type: new.ticket_type,
        requester_id,
        responder_id: new.responder_id,
        group_id: new.group_id,
        company_id: new.company_id,
        product_id: new.product_id,
        tags: new.tags,
        cc_emails: new.cc_emails,
        custom_fields: new.custom_fields,
        due_by: new.due_by.unwrap_or(now + Duration::hours(resolution)),
        fr_due_by: new.fr_due_by.unwrap_or(now + Duration::hours(first_response)),
        created_at: now,
        updated_at: now,
        notes: Vec::new(),
    };
    let body = wire::ticket(&ticket, &st.config);
    st.tickets.insert(id, ticket);
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    // "POST requests will contain the Location Header … that points to the URL of the created
    // resource" (an absolute URL in the documented example).
    if let Ok(loc) = HeaderValue::from_str(&format!("{base}/api/v2/tickets/{id}")) {
        r.headers_mut().insert("location", loc);
    }
    r
}

/// Default SLA policy: (first response, resolution) hours by priority.
fn sla_hours(priority: u8) -> (i64, i64) {
    match priority {
        4 => (1, 4),
        3 => (4, 24),
        2 => (8, 48),
        _ => (24, 72),
    }
}

/// `GET /api/v2/tickets/{id}[?include=conversations,requester,stats,company]`.
pub(crate) async fn view_ticket(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "view_ticket", async move {
            let includes: Vec<String> = q
                .get("include")
                .map(|i| i.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
                .unwrap_or_default();
            let valid = ["conversations", "requester", "company", "stats"];
            let bad = includes.iter().any(|i| !valid.contains(&i.as_str()));
            let credits = if bad { 1 } else { 1 + u32::try_from(includes.len()).unwrap_or(0) };
            gated(&s, &headers, Cost { credits, create: false }, |st, _| {
                if bad {
                    let msg = "It should be one of these values: 'conversations,requester,company,stats'";
                    return wire::invalid("include", msg, "invalid_value");
                }
                let Some(t) = id.parse::<u64>().ok().and_then(|id| st.tickets.get(&id)) else {
                    return wire::not_found();
                };
                let mut body = wire::ticket(t, &st.config);
                for inc in &includes {
                    body[inc.as_str()] = match inc.as_str() {
                        "conversations" => {
                            json!(
                                t.notes
                                    .iter()
                                    .take(10)
                                    .map(|n| wire::conversation(n, t.id, t.requester_id))
                                    .collect::<Vec<_>>()
                            )
                        }
                        "requester" => {
                            st.contacts.iter().find(|c| c.id == t.requester_id).map_or(Value::Null, wire::requester)
                        }
                        "stats" => json!({
                            "agent_responded_at": null, "requester_responded_at": null, "first_responded_at": null,
                            "status_updated_at": wire::time(t.created_at), "reopened_at": null,
                            "resolved_at": null, "closed_at": null, "pending_since": null,
                        }),
                        _ => Value::Null,
                    };
                }
                (StatusCode::OK, Json(body)).into_response()
            })
        })
        .await
}

/// `POST /api/v2/tickets/{id}/notes` → 201 conversation.
pub(crate) async fn add_note(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "add_note", async move {
            gated(&s, &headers, Cost { credits: 1, create: false }, |st, now| {
                let Some(ticket_id) = id.parse::<u64>().ok().filter(|id| st.tickets.contains_key(id)) else {
                    return wire::not_found();
                };
                let value = match json_body(&headers, &body) {
                    Ok(v) => v,
                    Err(r) => return *r,
                };
                let new = match validate::note(&value) {
                    Ok(n) => n,
                    Err(errors) => return wire::validation_failed(&errors),
                };
                let note_id = st.next_note;
                st.next_note += 1;
                let Some(t) = st.tickets.get_mut(&ticket_id) else {
                    return wire::not_found();
                };
                let note = Note {
                    id: note_id,
                    body: new.body,
                    private: new.private,
                    incoming: new.incoming,
                    user_id: new.user_id,
                    notify_emails: new.notify_emails,
                    created_at: now,
                };
                let body = wire::conversation(&note, t.id, t.requester_id);
                t.notes.push(note);
                t.updated_at = now;
                (StatusCode::CREATED, Json(body)).into_response()
            })
        })
        .await
}

/// `GET /api/v2/tickets/{id}/conversations[?page=&per_page=]` (paged, `Link` to the next page).
pub(crate) async fn conversations(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "view_ticket", async move {
            gated(&s, &headers, Cost { credits: 1, create: false }, |st, _| {
                let (page, per_page) = match paging(&q, 100) {
                    Ok(p) => p,
                    Err(r) => return *r,
                };
                let Some(t) = id.parse::<u64>().ok().and_then(|id| st.tickets.get(&id)) else {
                    return wire::not_found();
                };
                let list: Vec<Value> = t
                    .notes
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .map(|n| wire::conversation(n, t.id, t.requester_id))
                    .collect();
                let mut r = (StatusCode::OK, Json(list)).into_response();
                if t.notes.len() > page * per_page {
                    let link = format!(
                        "</api/v2/tickets/{id}/conversations?page={}&per_page={per_page}>; rel=\"next\"",
                        page + 1
                    );
                    if let Ok(v) = HeaderValue::from_str(&link) {
                        r.headers_mut().insert("link", v);
                    }
                }
                r
            })
        })
        .await
}

/// `GET /api/v2/search/tickets?query="…"[&page=]` → `{"results":[…],"total":N}`.
pub(crate) async fn search_tickets(State(shared): State<Shared>, headers: HeaderMap, Query(q): Params) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Freshdesk, "search", async move {
            gated(&s, &headers, Cost { credits: 1, create: false }, |st, now| {
                let Some(raw) = q.get("query") else {
                    return wire::invalid("query", "It should be a/an String", "missing_field");
                };
                let query = match search::parse(raw.trim(), &st.config) {
                    Ok(query) => query,
                    Err(msg) => return wire::invalid("query", &msg, "invalid_value"),
                };
                let page = match q.get("page").map(|p| p.parse::<usize>()) {
                    None => 1,
                    Some(Ok(p)) if (1..=SEARCH_MAX_PAGE).contains(&p) => p,
                    Some(_) => {
                        let msg = format!("It should be a Positive Integer less than or equal to {SEARCH_MAX_PAGE}");
                        return wire::invalid("page", &msg, "invalid_value");
                    }
                };
                // Only what the index already holds: a new ticket appears after the delay.
                let hits: Vec<&Ticket> =
                    st.tickets.values().rev().filter(|t| st.indexed(t, now) && search::matches(&query, t)).collect();
                let results: Vec<Value> = hits
                    .iter()
                    .skip((page - 1) * SEARCH_PAGE)
                    .take(SEARCH_PAGE)
                    .map(|t| wire::ticket(t, &st.config))
                    .collect();
                (StatusCode::OK, Json(json!({ "results": results, "total": hits.len() }))).into_response()
            })
        })
        .await
}

/// `page` (from 1) and `per_page` (≤ `max`, default 30).
fn paging(q: &HashMap<String, String>, max: usize) -> Result<(usize, usize), Box<Response>> {
    let read = |name: &str, default: usize, upper: usize| match q.get(name).map(|v| v.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(v)) if (1..=upper).contains(&v) => Ok(v),
        Some(_) => {
            let msg = format!("It should be a Positive Integer less than or equal to {upper}");
            Err(Box::new(wire::invalid(name, &msg, "invalid_value")))
        }
    };
    Ok((read("page", 1, usize::MAX)?, read("per_page", 30, max)?))
}
