//! `POST /v1/login` and the Bearer / `?auth_token=` check of every other call. Tokens look like
//! JWTs (three base64url parts) and expire after `token_lifetime_secs` on the sandbox clock.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::state::Session;
use super::wire;
use crate::shared::Shared;
use crate::system::System;

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// `POST /v1/login {"username","password"}` → 200 `{"token","username","terminals"}` (the ids
/// of the account's terminals as plain strings, as production answers).
pub(crate) async fn login(State(shared): State<Shared>, body: Bytes) -> Response {
    let s = shared.clone();
    shared.guard(System::Nets, "login", async move { login_now(&s, &body) }).await
}

fn login_now(s: &Shared, body: &[u8]) -> Response {
    let Ok(login) = serde_json::from_slice::<Login>(body) else {
        return wire::error(StatusCode::BAD_REQUEST, "Invalid request: username and password are required");
    };
    let now = s.now();
    let mut st = Shared::lock(&s.0.nets);
    if st.accounts.get(&login.username) != Some(&login.password) {
        return wire::error(StatusCode::UNAUTHORIZED, "Invalid username or password");
    }
    st.counter += 1;
    let expires_at = now + Duration::seconds(st.config.token_lifetime_secs);
    let token = make_token(s.0.seed, st.counter, &login.username, now, expires_at);
    st.sessions.retain(|_, sess| sess.expires_at > now);
    let terminals: Vec<&str> =
        st.terminals.values().filter(|t| t.account == login.username).map(|t| t.id.as_str()).collect();
    let mut body = json!({ "token": token, "username": login.username, "terminals": terminals });
    if let Some(map) = body.as_object_mut() {
        for f in &st.config.omit_login_fields {
            map.remove(f);
        }
    }
    st.sessions.insert(token, Session { username: login.username, expires_at });
    (StatusCode::OK, Json(body)).into_response()
}

/// The account behind the request's token, or the reason for the 401 (see [`wire::unauthorized`]).
pub(crate) fn authenticate(
    s: &Shared,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<String, &'static str> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let Some(token) = bearer.or(query.get("auth_token").map(String::as_str)) else {
        return Err("Missing authorization token");
    };
    let st = Shared::lock(&s.0.nets);
    match st.sessions.get(token) {
        None => Err("Invalid token"),
        Some(sess) if sess.expires_at <= s.now() => Err("Token expired"),
        Some(sess) => Ok(sess.username.clone()),
    }
}

/// A JWT-shaped token with production's claims (`username`, `id`, `iat`, `exp`) and a digest of
/// seed and counter as the "signature".
fn make_token(seed: u64, counter: u64, username: &str, now: DateTime<Utc>, exp: DateTime<Utc>) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims =
        json!({ "username": username, "id": format!("sbx{counter}"), "iat": now.timestamp(), "exp": exp.timestamp() });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let sig = URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{seed}:{counter}:{header}.{claims}")));
    format!("{header}.{claims}.{sig}")
}
