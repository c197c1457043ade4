//! Payment-type resources (`POST /v1/types/<kind>`, allowed with the public key;
//! `GET /v1/types/{id}`), the stored errors (`GET /v1/errors/{id}`) and the simulated
//! customer redirect page (`GET /v1/redirect/{paymentId}`) for redirect types.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::actors;
use super::http::{Access, Ctx, body, run};
use super::model::{PayKind, PayType};
use super::ops::{self, Env};
use super::wire::{ApiError, codes};
use crate::shared::Shared;
use crate::system::System;

/// The routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/v1/types/{kind_or_id}", post(create_type).get(get_type))
        .route("/v1/errors/{id}", get(get_error))
        .route("/v1/redirect/{payment}", get(redirect))
}

async fn create_type(
    State(s): State<Shared>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let inner = s.clone();
    s.guard(System::Unzer, "create_type", async move {
        let ctx = Ctx::new(&inner, headers, &uri);
        run(&inner, &ctx, Access::Public, |st, env, caller| {
            let Some(kind) = PayKind::from_name(&kind) else {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    codes::GENERAL,
                    format!("Payment type {kind:?} is not available."),
                ));
            };
            let fields = body::<Map<String, Value>>(&ctx.headers, &bytes)?;
            let id = ops::type_id(st, env, caller.merchant, kind);
            let v = type_body(&id, kind, &fields)?;
            st.types.insert(id.clone(), PayType { kind, merchant: caller.merchant, body: v.clone() });
            let url = format!("{}/v1/types/{id}", env.base);
            super::delivery::queue(st, env, caller.merchant, "types", None, &url);
            Ok(v)
        })
    })
    .await
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    fields
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::bad(codes::FIELD_MISSING, format!("{name} is missing.")))
}

/// The wire body of a new type; validates the fields a type needs.
fn type_body(id: &str, kind: PayKind, fields: &Map<String, Value>) -> Result<Value, ApiError> {
    let geo = json!({ "clientIp": null, "countryIsoA2": null });
    let opt = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match kind {
        PayKind::Card => {
            let number: String = text(fields, "number")?.chars().filter(|c| !c.is_whitespace()).collect();
            let expiry = text(fields, "expiryDate")?;
            text(fields, "cvc")?;
            if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::bad(codes::REQUEST_INVALID, "number is not a valid card number."));
            }
            let (mm, yy) = expiry.split_once('/').unwrap_or((expiry, ""));
            let year = match yy.len() {
                2 => format!("20{yy}"),
                _ => yy.to_owned(),
            };
            if mm.len() != 2 || year.len() != 4 || !format!("{mm}{year}").bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::bad(codes::REQUEST_INVALID, "expiryDate must be MM/YYYY."));
            }
            let brand = match number.as_bytes()[0] {
                b'4' => "VISA",
                b'5' | b'2' => "MASTER",
                b'3' => "AMEX",
                _ => "UNKNOWN",
            };
            let masked = format!("{}******{}", &number[..6], &number[number.len() - 4..]);
            Ok(json!({
                "id": id, "number": masked, "brand": brand, "cvc": "***", "expiryDate": format!("{mm}/{year}"),
                "holder": opt("holder"), "3ds": true, "method": kind.name(), "recurring": false, "geolocation": geo,
            }))
        }
        PayKind::SepaDirectDebitSecured => {
            let iban = text(fields, "iban")?;
            Ok(json!({
                "id": id, "iban": iban, "bic": opt("bic"), "holder": opt("holder"),
                "method": kind.name(), "recurring": false, "geolocation": geo,
            }))
        }
        _ => Ok(json!({ "id": id, "method": kind.name(), "recurring": false, "geolocation": geo })),
    }
}

async fn get_type(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    let inner = s.clone();
    s.guard(System::Unzer, "get_type", async move {
        let ctx = Ctx::new(&inner, headers, &uri);
        run(&inner, &ctx, Access::Private, |st, _env, caller| match st.types.get(&id) {
            Some(t) if t.merchant == caller.merchant => Ok(t.body.clone()),
            _ => Err(ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Payment type {id} not found."))),
        })
    })
    .await
}

async fn get_error(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap, uri: Uri) -> Response {
    let inner = s.clone();
    s.guard(System::Unzer, "get_error", async move {
        let ctx = Ctx::new(&inner, headers, &uri);
        run(&inner, &ctx, Access::Private, |st, _env, _caller| {
            st.errors
                .get(&id)
                .cloned()
                .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, format!("Error {id} not found.")))
        })
    })
    .await
}

#[derive(Deserialize)]
struct RedirectQuery {
    #[serde(default)]
    outcome: Option<String>,
}

/// The customer's browser lands here: the pending transaction succeeds (or fails with
/// `?outcome=failure`) and the browser goes back to the shop's `returnUrl`.
async fn redirect(State(s): State<Shared>, Path(pid): Path<String>, Query(q): Query<RedirectQuery>) -> Response {
    let inner = s.clone();
    s.guard(System::Unzer, "redirect", async move {
        let env = Env { now: inner.now(), base: inner.url(System::Unzer), seed: inner.0.seed };
        let success = q.outcome.as_deref() != Some("failure");
        let mut st = Shared::lock(&inner.0.unzer);
        let found = st.payments.iter().find(|(_, p)| p.id == pid).map(|(n, p)| (*n, p.return_url.clone()));
        let Some((n, return_url)) = found else {
            return (StatusCode::NOT_FOUND, "unknown payment").into_response();
        };
        match actors::finish_redirect(&mut st, &env, n, success) {
            Ok(()) if !return_url.is_empty() => Redirect::to(&return_url).into_response(),
            Ok(()) => (StatusCode::OK, "payment finished; you may close this page").into_response(),
            Err(e) => (StatusCode::CONFLICT, e.message).into_response(),
        }
    })
    .await
}
