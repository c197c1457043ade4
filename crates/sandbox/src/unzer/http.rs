//! Handler plumbing shared by the partner-facing routes: request context, JSON body parsing
//! with unzer's errors, authentication, and the response (success JSON or the §1.6 error
//! body, stored for `GET /v1/errors/{id}`, sent with HTTP 200 when the admin switch asks).

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::{self, Caller};
use super::model::{HEX, State};
use super::ops::Env;
use super::wire::{self, ApiError, codes};
use crate::shared::Shared;
use crate::system::System;

/// What every handler needs from the request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) headers: HeaderMap,
    /// Full URL as called (for the error body's `url`).
    pub(crate) url: String,
}

impl Ctx {
    /// Context of a request to `uri`.
    pub(crate) fn new(s: &Shared, headers: HeaderMap, uri: &Uri) -> Self {
        let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
        Ctx { headers, url: format!("{}{path}", s.url(System::Unzer)) }
    }

    fn german(&self) -> bool {
        self.headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.trim_start().to_ascii_lowercase().starts_with("de"))
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Private key only (403 for a public key).
    Private,
    /// Public or private key.
    Public,
}

/// Parses a JSON body; an empty body is `T::default()`. Non-JSON content → 415, bad JSON →
/// `API.500.300.999`.
pub(crate) fn body<T: DeserializeOwned + Default>(headers: &HeaderMap, bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let ct = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    if !ct.to_ascii_lowercase().contains("json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::REQUEST_INVALID,
            format!("Unsupported media type {ct:?}: send application/json."),
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(codes::REQUEST_INVALID, format!("The request data is invalid: {e}.")))
}

/// Runs `f` with the state locked after authenticating; renders its result.
pub(crate) fn run<F>(s: &Shared, ctx: &Ctx, access: Access, f: F) -> Response
where
    F: FnOnce(&mut State, &Env, Caller) -> Result<Value, ApiError>,
{
    let env = Env { now: s.now(), base: s.url(System::Unzer), seed: s.0.seed };
    let mut st = Shared::lock(&s.0.unzer);
    let result = auth::check(&st, &ctx.headers, access == Access::Private).and_then(|caller| f(&mut st, &env, caller));
    match result {
        Ok(mut v) => {
            for field in &st.config.omit_fields {
                omit(&mut v, field);
            }
            dated((StatusCode::OK, Json(v)).into_response(), &env)
        }
        Err(e) => error_response(&mut st, &env, ctx, &e),
    }
}

/// Removes `path` (`a.b`, applied to every element of arrays on the way) from an answer: the
/// admin switch `omit_fields` that lets preflight and contract tests see a field go missing.
pub(crate) fn omit(v: &mut Value, path: &str) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| omit(i, path)),
        Value::Object(m) => match rest {
            None => {
                m.remove(head);
            }
            Some(r) => {
                if let Some(x) = m.get_mut(head) {
                    omit(x, r);
                }
            }
        },
        _ => {}
    }
}

/// The `Date` header in sandbox time (unzer's clock as a client sees it; preflight measures
/// the offset from it).
pub(crate) fn dated(mut resp: Response, env: &Env) -> Response {
    let text = env.now.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(v) = text.parse() {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

/// Renders `e` as unzer's error body and stores it.
pub(crate) fn error_response(st: &mut State, env: &Env, ctx: &Ctx, e: &ApiError) -> Response {
    let merchant = !auth::is_public(st, &ctx.headers);
    let id = format!("s-err-{}", st.random_string(env.seed, HEX, 24));
    let trace = st.random_string(env.seed, HEX, 32);
    let body = wire::error_body(&id, &ctx.url, env.now, &trace, e, merchant, ctx.german());
    st.errors.insert(id, body.clone());
    let status = if st.config.errors_with_http_200 { StatusCode::OK } else { e.status };
    dated((status, Json(body)).into_response(), env)
}

/// Fallback for unknown paths: unzer's error body with 404.
pub(crate) fn not_found(s: &Shared, ctx: &Ctx) -> Response {
    let env = Env { now: s.now(), base: s.url(System::Unzer), seed: s.0.seed };
    let mut st = Shared::lock(&s.0.unzer);
    let e = ApiError::new(StatusCode::NOT_FOUND, codes::GENERAL, "The requested resource does not exist.");
    error_response(&mut st, &env, ctx, &e)
}

/// An amount field: absent → `None`; present → parsed or `API.500.300.999`.
pub(crate) fn amount(v: Option<&Value>) -> Result<Option<i64>, ApiError> {
    v.map(|v| super::money::parse(v).map_err(|e| ApiError::bad(codes::REQUEST_INVALID, e))).transpose()
}
