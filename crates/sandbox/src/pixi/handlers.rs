//! The HTTP side of the SOAP endpoint: Basic authentication per API user, envelope parsing,
//! the nightly quiet window, and running the call under the fault rules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{NaiveDateTime, Timelike};

use super::calls::{self, Call, Ctx};
use super::model::QuietCall;
use super::params::bind;
use super::wire::{self, Fault, SoapRequest};
use crate::shared::Shared;
use crate::system::System;

/// `POST /` (the gateway form: the API user comes from Basic auth).
pub(crate) async fn soap_root(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    handle(shared, None, &headers, &body).await
}

/// `POST /soap/<ApiUser>/` (the classic installation URL).
pub(crate) async fn soap_user(
    State(shared): State<Shared>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(shared, Some(user), &headers, &body).await
}

async fn handle(shared: Shared, path_user: Option<String>, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(user) = authenticate(&shared, path_user.as_deref(), headers) else {
        return unauthorized();
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return fault(&Fault::client("Bad Request"));
    };
    let request = match wire::parse(text) {
        Ok(r) => r,
        Err(f) => return fault(&f),
    };
    let Some(call) = calls::find(&request.call) else {
        return fault(&Fault::client(format!("Procedure '{}' not present", request.call)));
    };
    if quiet_window_refuses(&shared, &user, call.name) {
        let mut r =
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable: database backup in progress").into_response();
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("3600"));
        return r;
    }
    let s = shared.clone();
    shared.guard(System::Pixi, call.name, async move { execute(&s, &user, call, &request) }).await
}

/// The API user whose Basic credentials match (and who owns the `/soap/<user>/` path).
fn authenticate(shared: &Shared, path_user: Option<&str>, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    if path_user.is_some_and(|p| p != user) {
        return None;
    }
    let state = Shared::lock(&shared.0.pixi);
    let install = state.installs.get(user)?;
    (install.password == password).then(|| user.to_owned())
}

/// Installation local time, millisecond precision.
pub(crate) fn local_now(shared: &Shared, tz: chrono_tz::Tz) -> NaiveDateTime {
    let now = shared.now().with_timezone(&tz).naive_local();
    now.with_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(now)
}

/// Records calls between 00:00 and 04:00 local (PX-22); true when the installation refuses them.
fn quiet_window_refuses(shared: &Shared, user: &str, call: &str) -> bool {
    let mut state = Shared::lock(&shared.0.pixi);
    let Some(install) = state.installs.get_mut(user) else { return false };
    let now = local_now(shared, install.tz);
    if now.hour() >= 4 {
        return false;
    }
    let refused = install.enforce_quiet_window;
    install.quiet_calls.push(QuietCall { at: now, call: call.to_owned(), refused });
    refused
}

/// Binds the parameters and runs the call against the installation (synchronously: the state
/// lock never spans an `.await`).
fn execute(shared: &Shared, user: &str, call: &Call, request: &SoapRequest) -> Response {
    let mut state = Shared::lock(&shared.0.pixi);
    let Some(install) = state.installs.get_mut(user) else { return unauthorized() };
    let args = match bind(call.name, call.params, &request.params) {
        Ok(a) => a,
        Err(f) => return fault(&f),
    };
    let ctx = Ctx { now: local_now(shared, install.tz) };
    match (call.run)(install, &args, &ctx) {
        Ok(sets) => xml(StatusCode::OK, wire::answer(call.name, &sets)),
        Err(f) => fault(&f),
    }
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// SOAP 1.1 faults travel with HTTP 500.
fn fault(f: &Fault) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, wire::fault(f))
}

/// HTTP 401 with a Basic challenge, and a SOAP fault body for clients that parse it.
fn unauthorized() -> Response {
    let mut r = xml(StatusCode::UNAUTHORIZED, wire::fault(&Fault::client("Unauthorized")));
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"pixi* API\""));
    r
}
