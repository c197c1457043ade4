//! smallinvoice error bodies (§4.4): `{"code","message"}` plus `meta` for OAuth errors
//! (`error_type`, `hint`), not-found (`entity_type`) and validation (`errors[{key,code,message}]`).
//! The `code` field carries the HTTP status (the real numeric codes are not documented) [INF].

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::shared::Shared;
use crate::system::System;

/// `{"code":<status>,"message":…}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "code": status.as_u16(), "message": message.into() }))).into_response()
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
    let body = json!({ "code": 404, "message": "Entity not found", "meta": { "entity_type": entity_type } });
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

/// Runs `act` under the fault rules of `operation`, then gives injected 429s smallinvoice's
/// JSON body (keeping `Retry-After`).
pub async fn guard<F: Future<Output = Response>>(shared: &Shared, operation: &str, act: F) -> Response {
    let r = shared.guard(System::Smallinvoice, operation, act).await;
    if r.status() != StatusCode::TOO_MANY_REQUESTS {
        return r;
    }
    let retry = r.headers().get(header::RETRY_AFTER).cloned();
    let mut out = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    if let Some(v) = retry {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    out
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
