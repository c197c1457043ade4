//! The HTTP side of the SOAP endpoint: Basic authentication per API user, envelope parsing,
//! the nightly quiet window, and running the call under the fault rules.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{NaiveDateTime, Timelike};

use super::calls::{self, Call, Ctx, Sets};
use super::model::{Install, QuietCall};
use super::params::{bind, revision};
use super::wire::{self, DEFAULT_NS, Fault, FaultCode, SoapRequest};
use crate::shared::Shared;
use crate::system::System;

/// `POST /` (the gateway form: the API user comes from Basic auth).
pub(crate) async fn soap_root(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    dated(&shared, handle(shared.clone(), None, &headers, &body).await)
}

/// The HTTP `Date` header in sandbox time (the installation's clock as a client sees it;
/// pixi-sync's preflight measures the offset from it).
fn dated(shared: &Shared, mut r: Response) -> Response {
    if let Ok(v) = shared.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string().parse() {
        r.headers_mut().insert(header::DATE, v);
    }
    r
}

/// `POST /soap/<ApiUser>/` (the classic installation URL).
pub(crate) async fn soap_user(
    State(shared): State<Shared>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    dated(&shared, handle(shared.clone(), Some(user), &headers, &body).await)
}

async fn handle(shared: Shared, path_user: Option<String>, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some(user) = authenticate(&shared, path_user.as_deref(), headers) else {
        return unauthorized();
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return fault(DEFAULT_NS, &Fault::client("Bad Request"));
    };
    let request = match wire::parse(text) {
        Ok(r) => r,
        Err(f) => return fault(DEFAULT_NS, &f),
    };
    let ns = request.ns.clone().unwrap_or_else(|| DEFAULT_NS.to_owned());
    let Some(call) = calls::find(&request.call) else {
        return fault(&ns, &not_present(&request.call));
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

/// An operation the endpoint does not offer (unknown, or not installed on this database).
fn not_present(call: &str) -> Fault {
    Fault::client(format!("Procedure '{call}' not present"))
}

/// Binds the parameters and runs the call against the installation (synchronously: the state
/// lock never spans an `.await`): not installed → fault; an injected SQL error before or after
/// acting; dropped columns left out of the rows.
fn execute(shared: &Shared, user: &str, call: &Call, request: &SoapRequest) -> Response {
    let mut state = Shared::lock(&shared.0.pixi);
    let Some(install) = state.installs.get_mut(user) else { return unauthorized() };
    let ns = request.ns.as_deref().unwrap_or(DEFAULT_NS);
    if install.uninstalled.contains(call.name) {
        return fault(ns, &not_present(call.name));
    }
    let at = revision(&install.revision).unwrap_or([u32::MAX; 4]);
    let args = match bind(call.name, call.params, &request.params, at) {
        Ok(a) => a,
        Err(f) => return error(ns, call.name, &f),
    };
    if let Some(message) = take_refusal(install, call.name) {
        let row = wire::Row::new().s("ReturnCode", "ERROR").s("ErrorMessage", message);
        return xml(StatusCode::OK, wire::answer(ns, call.name, &[vec![row]]));
    }
    let injected = take_sql_error(install, call.name);
    if let Some(f) = injected.as_ref().filter(|(_, after)| !after).map(|(f, _)| f) {
        return error(ns, call.name, f);
    }
    let ctx = Ctx { now: local_now(shared, install.tz) };
    let result = (call.run)(install, &args, &ctx);
    if let Some((f, _)) = injected {
        // The procedure acted; its answer is the error.
        return error(ns, call.name, &f);
    }
    match result {
        Ok(sets) => xml(StatusCode::OK, wire::answer(ns, call.name, &drop_columns(install, call.name, sets))),
        Err(f) => error(ns, call.name, &f),
    }
}

/// The next injected SQL error for `call` (and whether the call acts before it).
fn take_sql_error(install: &mut Install, call: &str) -> Option<(Fault, bool)> {
    let i = install.sql_errors.iter().position(|e| e.call == call && e.times > 0)?;
    let spec = &mut install.sql_errors[i];
    spec.times -= 1;
    let message = spec.message.clone().unwrap_or_else(|| match spec.number {
        1205 => "Transaction (Process ID 57) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.".to_owned(),
        n => format!("Error {n} in procedure pipi{}", call.strip_prefix("pixi").unwrap_or(call)),
    });
    let out = (Fault::sql(spec.class, spec.number, message), spec.after_acting);
    if spec.times == 0 {
        install.sql_errors.remove(i);
    }
    Some(out)
}

/// The next injected refusal of `call` (its `ErrorMessage`).
fn take_refusal(install: &mut Install, call: &str) -> Option<String> {
    let i = install.refusals.iter().position(|r| r.call == call && r.times > 0)?;
    install.refusals[i].times -= 1;
    let message = install.refusals[i].message.clone();
    if install.refusals[i].times == 0 {
        install.refusals.remove(i);
    }
    Some(message)
}

/// The rows without the columns dropped from `call` (an installation whose procedure lacks them).
fn drop_columns(install: &Install, call: &str, mut sets: Sets) -> Sets {
    let dropped: Vec<&str> =
        install.dropped_columns.iter().filter(|(c, _)| c == call).map(|(_, col)| col.as_str()).collect();
    if dropped.is_empty() {
        return sets;
    }
    for row in sets.iter_mut().flatten() {
        row.0.retain(|(name, _)| !dropped.contains(name));
    }
    sets
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// SOAP 1.1 faults travel with HTTP 500.
fn fault(ns: &str, f: &Fault) -> Response {
    xml(StatusCode::INTERNAL_SERVER_ERROR, wire::fault(ns, f))
}

/// A procedure error: an `SqlMessage` in an HTTP 200 answer; other faults as SOAP faults.
fn error(ns: &str, call: &str, f: &Fault) -> Response {
    match f.code {
        FaultCode::Sql { class, number } => xml(StatusCode::OK, wire::sql_error(ns, call, class, number, &f.message)),
        _ => fault(ns, f),
    }
}

/// HTTP 401 with a Basic challenge, and a SOAP fault body for clients that parse it.
fn unauthorized() -> Response {
    let mut r = xml(StatusCode::UNAUTHORIZED, wire::fault(DEFAULT_NS, &Fault::client("Unauthorized")));
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"pixi* API\""));
    r
}
