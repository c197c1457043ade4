//! OAuth2 of smallinvoice (§4.1): `POST /v2/auth/access-tokens` with the client-credentials
//! grant (JSON or form body), tokens living 43 200 s on the sandbox clock, and the
//! Bearer/scope check of every call. As the official auth workflow documents, the
//! client-credentials answer has **no refresh token** (refresh tokens belong to the
//! authorization-code grant, which the sandbox does not offer): a refresh-token grant finds no
//! token. Error texts follow the OAuth server library smallinvoice's PHP stack uses
//! (league/oauth2-server).

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{Value, json};

use super::model::{SCOPES, Token};
use super::wire::{Failure, access_denied, forbidden, guard, oauth};
use crate::shared::Shared;

/// Access-token lifetime in seconds (12 h).
pub const ACCESS_TTL_SECS: i64 = 43_200;

/// `POST /v2/auth/access-tokens`
pub async fn access_tokens(AxState(shared): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let s = shared.clone();
    guard(&shared, "access_token", async move { issue(&s, &headers, &body) }).await
}

fn invalid_request(param: &str) -> Response {
    oauth(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
        &format!("Check the `{param}` parameter"),
    )
}

fn invalid_scope(scope: &str) -> Response {
    oauth(
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        "The requested scope is invalid, unknown, or malformed",
        &format!("Check the `{scope}` scope"),
    )
}

fn invalid_grant(hint: &str) -> Response {
    oauth(StatusCode::BAD_REQUEST, "invalid_grant", "The refresh token is invalid.", hint)
}

/// Reads the request parameters from a JSON object or a form body.
fn params(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, Failure> {
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"))
        || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if is_json {
        let v: serde_json::Map<String, Value> =
            serde_json::from_slice(body).map_err(|_| Failure::from(invalid_request("grant_type")))?;
        return Ok(v
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                _ => None,
            })
            .collect());
    }
    let text = String::from_utf8_lossy(body);
    let url = reqwest::Url::parse(&format!("http://form.invalid/?{text}"))
        .map_err(|_| Failure::from(invalid_request("grant_type")))?;
    Ok(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn issue(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let p = match params(headers, body) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let grant = get("grant_type").unwrap_or_default();
    if grant != "client_credentials" && grant != "refresh_token" {
        return oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            "Check that all required parameters have been provided",
        );
    }
    let Some(client_id) = get("client_id") else { return invalid_request("client_id") };
    let now = s.now();
    let mut d = Shared::lock(&s.0.smallinvoice);
    let client = match d.clients.get(client_id) {
        Some(c) if Some(c.secret.as_str()) == get("client_secret") => c.clone(),
        _ => return oauth(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed", ""),
    };
    let requested: Vec<&str> = get("scope").unwrap_or_default().split([' ', ',']).filter(|x| !x.is_empty()).collect();
    if let Some(bad) = requested.iter().find(|x| !SCOPES.contains(x)) {
        return invalid_scope(bad);
    }
    if grant == "refresh_token" {
        // Only the authorization-code grant issues refresh tokens; none exist here.
        return match get("refresh_token") {
            None => invalid_request("refresh_token"),
            Some(_) => invalid_grant("Cannot decrypt the refresh token"),
        };
    }
    if let Some(bad) = requested.iter().find(|x| !client.scopes.contains(**x)) {
        return invalid_scope(bad);
    }
    let scopes: BTreeSet<String> =
        if requested.is_empty() { client.scopes.clone() } else { requested.iter().map(|x| (*x).to_owned()).collect() };
    let access = d.new_token(s.0.seed);
    let expires_at = now + Duration::seconds(ACCESS_TTL_SECS);
    d.access.insert(access.clone(), Token { client_id: client_id.to_owned(), scopes, expires_at });
    let body = json!({ "token_type": "Bearer", "expires_in": ACCESS_TTL_SECS, "access_token": access });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Checks `Authorization: Bearer …` and that the token carries `scope`.
pub fn authorize(s: &Shared, headers: &HeaderMap, scope: &str) -> Result<(), Failure> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(access_denied("Missing \"Authorization\" header").into());
    };
    let token = match value.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => return Err(access_denied("The JWT string must have two dots").into()),
    };
    let now = s.now();
    let d = Shared::lock(&s.0.smallinvoice);
    let Some(t) = d.access.get(token) else { return Err(access_denied("Access token could not be verified").into()) };
    if now >= t.expires_at {
        return Err(access_denied("Access token has expired").into());
    }
    if !t.scopes.contains(scope) {
        return Err(forbidden().into());
    }
    Ok(())
}
