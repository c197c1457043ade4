//! smallinvoice error bodies (§4.4): `{"code","message"}` plus `meta` for OAuth errors
//! (`error_type`, `hint`), not-found (`entity_type`) and validation (`errors[{key,code,message}]`).
//! `code` is smallinvoice's **application code**, as the official PHP SDK's exceptions carry
//! them (smallinvoice/api2-php `src/Wrapper/Exception/…`): 2000 bad request, 2100 invalid
//! `with` key, 2101 filter, 2102 sort key, 2103 limit, 2104 offset, 3000 entity not found, 6000
//! too many requests, 7000 method not allowed, 8000 application offline. OAuth and validation
//! errors keep the HTTP status as their code [INF: not public].
//!
//! Every answer of the API (not the token endpoint) carries the account's rate budget —
//! `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset` (seconds left in the
//! hour) — and a spent budget is a 429 with code 6000 (the introduction of the API
//! documentation; the SDK's RateLimitException).

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::shared::Shared;
use crate::system::System;

/// Application codes (smallinvoice/api2-php exception defaults).
pub mod code {
    /// Bad request.
    pub const BAD_REQUEST: u16 = 2000;
    /// Invalid `with` key.
    pub const WITH_KEY: u16 = 2100;
    /// Invalid `filter` key or value.
    pub const FILTER_KEY: u16 = 2101;
    /// Invalid `sort` key.
    pub const SORT_KEY: u16 = 2102;
    /// Invalid `limit`.
    pub const LIMIT: u16 = 2103;
    /// Invalid `offset`.
    pub const OFFSET: u16 = 2104;
    /// Entity not found.
    pub const NOT_FOUND: u16 = 3000;
    /// Too many requests.
    pub const RATE_LIMIT: u16 = 6000;
}

/// `{"code":<application code>,"message":…}`.
pub fn error_code(status: StatusCode, code: u16, message: impl Into<String>) -> Response {
    (status, Json(json!({ "code": code, "message": message.into() }))).into_response()
}

/// An error with the application code its status has by default.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let code = match status.as_u16() {
        400 => code::BAD_REQUEST,
        404 => code::NOT_FOUND,
        405 => 7000,
        429 => code::RATE_LIMIT,
        503 => 8000,
        other => other,
    };
    error_code(status, code, message)
}

/// An OAuth error with `meta.error_type` and `meta.hint`.
pub fn oauth(status: StatusCode, error_type: &str, message: &str, hint: &str) -> Response {
    let body = json!({
        "code": status.as_u16(),
        "message": message,
        "meta": { "error_type": error_type, "hint": hint },
    });
    let mut r = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"OAuth\""));
    }
    r
}

/// 401 for a missing, unknown, expired or revoked access token.
pub fn access_denied(hint: &str) -> Response {
    oauth(
        StatusCode::UNAUTHORIZED,
        "access_denied",
        "The resource owner or authorization server denied the request.",
        hint,
    )
}

/// 403 without a body: the token lacks the scope.
pub fn forbidden() -> Response {
    Response::builder()
        .status(StatusCode::FORBIDDEN)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::FORBIDDEN.into_response())
}

/// 404 naming the entity type.
pub fn not_found(entity_type: &str) -> Response {
    let body =
        json!({ "code": code::NOT_FOUND, "message": "Entity not found", "meta": { "entity_type": entity_type } });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// One validation problem.
pub struct Invalid {
    /// Field.
    pub key: String,
    /// 1 required, 2 invalid value, 3 unknown reference [INF].
    pub code: u16,
    /// Text.
    pub message: String,
}

/// 422 listing every validation problem.
pub fn validation(errors: Vec<Invalid>) -> Response {
    let errors: Vec<Value> =
        errors.into_iter().map(|e| json!({ "key": e.key, "code": e.code, "message": e.message })).collect();
    let body = json!({ "code": 422, "message": "Validation failed", "meta": { "errors": errors } });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Runs `act` under the account's rate budget and the fault rules of `operation`: a spent
/// budget is a 429 (code 6000) without running it; injected 429s get smallinvoice's body
/// (keeping `Retry-After`); every answer but the token endpoint's carries the budget headers.
pub async fn guard<F: Future<Output = Response>>(shared: &Shared, operation: &str, act: F) -> Response {
    let counted = operation != "access_token";
    let budget = counted.then(|| Shared::lock(&shared.0.smallinvoice).rate.take(shared.now()));
    let limit = Shared::lock(&shared.0.smallinvoice).rate.limit;
    let mut r = match budget {
        Some((Err(()), _)) => error_code(StatusCode::TOO_MANY_REQUESTS, code::RATE_LIMIT, "Too many requests"),
        _ => {
            let r = shared.guard(System::Smallinvoice, operation, act).await;
            if r.status() == StatusCode::TOO_MANY_REQUESTS {
                let retry = r.headers().get(header::RETRY_AFTER).cloned();
                let mut out = error_code(StatusCode::TOO_MANY_REQUESTS, code::RATE_LIMIT, "Too many requests");
                if let Some(v) = retry {
                    out.headers_mut().insert(header::RETRY_AFTER, v);
                }
                out
            } else {
                r
            }
        }
    };
    if let Some((taken, reset)) = budget {
        let remaining = taken.unwrap_or(0);
        let h = r.headers_mut();
        for (name, value) in
            [("x-rate-limit-limit", limit), ("x-rate-limit-remaining", remaining), ("x-rate-limit-reset", reset as u64)]
        {
            if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
                h.insert(name, v);
            }
        }
    }
    r
}

/// A finished error answer, boxed so `Result`s stay small.
pub struct Failure(Box<Response>);

impl From<Response> for Failure {
    fn from(r: Response) -> Self {
        Failure(Box::new(r))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        *self.0
    }
}
