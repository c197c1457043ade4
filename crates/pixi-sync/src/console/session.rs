//! Who calls the console's API: the session cookie (HttpOnly, SameSite=Strict, Secure behind
//! TLS). Writes also need the session's CSRF token in `X-CSRF-Token` and, when the browser
//! sends one, an `Origin` of this host.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::Console;
use super::auth::User;
use super::error::ApiError;

/// Name of the session cookie.
pub const COOKIE: &str = "pxc_session";

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// Whether the request came over TLS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` value for a session token (`max_age` 0 deletes it).
pub fn set_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// An authenticated console user (any method); writes are CSRF-checked.
pub struct Session(pub User);

impl FromRequestParts<Arc<Console>> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, console: &Arc<Console>) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, COOKIE).ok_or_else(ApiError::unauthenticated)?;
        let user = console.auth.authenticate(&token).await?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            check_csrf(&parts.headers, &user)?;
        }
        Ok(Session(user))
    }
}

fn check_csrf(headers: &HeaderMap, user: &User) -> Result<(), ApiError> {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if user.csrf_token.is_empty() || !kit::grpc::auth::constant_time_eq(sent.as_bytes(), user.csrf_token.as_bytes()) {
        tracing::warn!(user = %user.username, "console write without its CSRF token refused");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "CSRF",
            "Sicherheitsprüfung fehlgeschlagen: bitte die Seite neu laden.",
        ));
    }
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin_host = origin.to_str().unwrap_or("").split("://").nth(1).unwrap_or("");
        if origin_host != host.to_str().unwrap_or("") {
            tracing::warn!(user = %user.username, "console write from another origin refused");
            return Err(ApiError::new(StatusCode::FORBIDDEN, "CSRF", "Anfrage von einer anderen Seite abgelehnt."));
        }
    }
    Ok(())
}
