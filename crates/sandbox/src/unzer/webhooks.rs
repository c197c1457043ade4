//! Webhook registrations (`/v1/webhooks`, `WebhookService.php`): register one event or an
//! `eventList`, list, fetch, update and delete (one or all). Delivery is in `delivery.rs`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{Access, Ctx, body, run};
use super::model::{State as UnzerState, Webhook};
use super::wire::{ApiError, codes};
use crate::shared::Shared;
use crate::system::System;

/// Event names a webhook may be registered for (§1.7, `WebhookEvents.php`).
pub const EVENTS: [&str; 38] = [
    "all",
    "authorize",
    "authorize.succeeded",
    "authorize.failed",
    "authorize.pending",
    "authorize.canceled",
    "authorize.expired",
    "authorize.resumed",
    "preauthorize",
    "preauthorize.succeeded",
    "preauthorize.failed",
    "preauthorize.pending",
    "preauthorize.canceled",
    "preauthorize.expired",
    "preauthorize.resumed",
    "charge",
    "charge.succeeded",
    "charge.failed",
    "charge.pending",
    "charge.canceled",
    "charge.expired",
    "charge.resumed",
    "chargeback",
    "payout",
    "payout.succeeded",
    "payout.failed",
    "types",
    "customer",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "payment",
    "payment.pending",
    "payment.completed",
    "payment.canceled",
    "payment.partly",
    "payment.payment_review",
    "payment.chargeback",
];

/// The routes (`shipment` is also accepted as an event name).
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/webhooks", get(list).post(register).delete(delete_all))
        .route("/v1/webhooks/{id}", get(fetch).put(update).delete(delete_one))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct WebhookBody {
    url: Option<String>,
    event: Option<String>,
    event_list: Option<Vec<String>>,
}

fn valid_event(e: &str) -> Result<(), ApiError> {
    if EVENTS.contains(&e) || e == "shipment" {
        Ok(())
    } else {
        Err(ApiError::bad(codes::REQUEST_INVALID, format!("Unknown webhook event {e:?}.")))
    }
}

fn valid_url(u: Option<&str>) -> Result<String, ApiError> {
    let u = u.filter(|u| !u.is_empty()).ok_or_else(|| ApiError::bad(codes::FIELD_MISSING, "url is missing."))?;
    match reqwest::Url::parse(u) {
        Ok(p) if matches!(p.scheme(), "http" | "https") => Ok(u.to_owned()),
        _ => Err(ApiError::bad(codes::REQUEST_INVALID, format!("url {u:?} is not a valid http(s) URL."))),
    }
}

fn view(w: &Webhook) -> Value {
    json!({ "id": w.id, "url": w.url, "event": w.event })
}

async fn with<F>(s: Shared, headers: HeaderMap, uri: Uri, f: F) -> Response
where
    F: FnOnce(&mut UnzerState, usize) -> Result<Value, ApiError> + Send,
{
    let inner = s.clone();
    s.guard(System::Unzer, "webhooks", async move {
        let ctx = Ctx::new(&inner, headers, &uri);
        run(&inner, &ctx, Access::Private, |st, _env, caller| f(st, caller.merchant))
    })
    .await
}

fn hooks(st: &mut UnzerState, merchant: usize) -> Result<&mut Vec<Webhook>, ApiError> {
    st.merchants
        .get_mut(merchant)
        .map(|m| &mut m.webhooks)
        .ok_or_else(|| ApiError::bad(codes::GENERAL, "merchant vanished"))
}

async fn register(State(s): State<Shared>, headers: HeaderMap, uri: Uri, bytes: Bytes) -> Response {
    let parsed = body::<WebhookBody>(&headers, &bytes);
    with(s, headers, uri, move |st, m| {
        let b = parsed?;
        let url = valid_url(b.url.as_deref())?;
        let (events, single) = match (b.event, b.event_list) {
            (_, Some(list)) if !list.is_empty() => (list, false),
            (Some(e), _) => (vec![e], true),
            _ => return Err(ApiError::bad(codes::FIELD_MISSING, "event or eventList is missing.")),
        };
        for e in &events {
            valid_event(e)?;
        }
        let existing = hooks(st, m)?;
        if let Some(dup) = events.iter().find(|e| existing.iter().any(|w| &w.event == *e && w.url == url)) {
            return Err(ApiError::bad(
                codes::WEBHOOK_EXISTS,
                format!("The event {dup:?} is already registered for this URL."),
            ));
        }
        let mut created = Vec::new();
        for e in events {
            st.last_webhook += 1;
            let w = Webhook { id: format!("s-whk-{}", st.last_webhook), url: url.clone(), event: e };
            created.push(view(&w));
            hooks(st, m)?.push(w);
        }
        Ok(if single { created.remove(0) } else { json!({ "events": created }) })
    })
    .await
}

async fn list(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    with(s, headers, uri, |st, m| Ok(json!({ "events": hooks(st, m)?.iter().map(view).collect::<Vec<_>>() }))).await
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, codes::WEBHOOK_NOT_FOUND, format!("Webhook {id} not found."))
}

async fn fetch(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    with(s, headers, uri, move |st, m| {
        hooks(st, m)?.iter().find(|w| w.id == id).map(view).ok_or_else(|| not_found(&id))
    })
    .await
}

async fn update(
    State(s): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let parsed = body::<WebhookBody>(&headers, &bytes);
    with(s, headers, uri, move |st, m| {
        let b = parsed?;
        let url = valid_url(b.url.as_deref())?;
        if let Some(e) = &b.event {
            valid_event(e)?;
        }
        let w = hooks(st, m)?.iter_mut().find(|w| w.id == id).ok_or_else(|| not_found(&id))?;
        w.url = url;
        if let Some(e) = b.event {
            w.event = e;
        }
        Ok(view(w))
    })
    .await
}

async fn delete_one(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    with(s, headers, uri, move |st, m| {
        let hooks = hooks(st, m)?;
        let i = hooks.iter().position(|w| w.id == id).ok_or_else(|| not_found(&id))?;
        Ok(view(&hooks.remove(i)))
    })
    .await
}

async fn delete_all(State(s): State<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    with(s, headers, uri, |st, m| {
        let gone: Vec<Value> = hooks(st, m)?.drain(..).map(|w| view(&w)).collect();
        Ok(json!({ "events": gone }))
    })
    .await
}
