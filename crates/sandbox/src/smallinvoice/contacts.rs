//! `GET /v2/contacts` and `GET /v2/contacts/{id}` (scope `contact`).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::authorize;
use super::listing::{self, Spec};
use super::model::Contact;
use super::render::{address_json, contact_json, omit};
use super::wire::{Failure, error, guard, not_found};
use crate::shared::Shared;

/// Query pairs, or why they could not be read.
pub type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

const SPEC: Spec = Spec {
    filter: &[
        "id",
        "number",
        "relation",
        "type",
        "name",
        "email",
        "phone",
        "currency",
        "communication_language",
        "main_address_id",
    ],
    sort: &["id", "number", "name", "email", "created"],
    with: &["main_address", "addresses"],
    text: &["name", "name_addition", "number", "email", "phone"],
};

/// The pairs, or smallinvoice's 400.
pub fn pairs(q: Pairs) -> Result<Vec<(String, String)>, Failure> {
    q.map(|Query(p)| p).map_err(|e| error(StatusCode::BAD_REQUEST, e.body_text()).into())
}

/// Absolute URL of `path` on the host the client called.
pub fn base(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}{path}")
}

/// The contact with the `with` extras.
pub fn item(c: &Contact, with: &[String]) -> Value {
    let mut v = contact_json(c);
    if with.iter().any(|w| w == "main_address") {
        v["main_address"] = address_json(&c.address);
    }
    if with.iter().any(|w| w == "addresses") {
        v["addresses"] = json!([address_json(&c.address)]);
    }
    v
}

/// `GET /v2/contacts`
pub async fn list(AxState(shared): AxState<Shared>, headers: HeaderMap, query: Pairs) -> Response {
    let s = shared.clone();
    guard(&shared, "list_contacts", async move {
        if let Err(r) = authorize(&s, &headers, "contact") {
            return r.into_response();
        }
        let p = match pairs(query).and_then(|q| listing::parse(&q, &SPEC)) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
        let d = Shared::lock(&s.0.smallinvoice);
        let items: Vec<Value> = d.contacts.values().map(|c| omit(item(c, &p.with), &d.omitted)).collect();
        drop(d);
        Json(listing::page(items, &p, &SPEC, &base(&headers, "/v2/contacts"))).into_response()
    })
    .await
}

/// `GET /v2/contacts/{id}`
pub async fn get(
    AxState(shared): AxState<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Pairs,
) -> Response {
    let s = shared.clone();
    guard(&shared, "get_contact", async move {
        if let Err(r) = authorize(&s, &headers, "contact") {
            return r.into_response();
        }
        let p = match pairs(query).and_then(|q| listing::parse(&q, &SPEC)) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
        let d = Shared::lock(&s.0.smallinvoice);
        match id.parse::<u64>().ok().and_then(|id| d.contacts.get(&id)) {
            Some(c) => Json(json!({ "item": omit(item(c, &p.with), &d.omitted) })).into_response(),
            None => not_found("contact"),
        }
    })
    .await
}
