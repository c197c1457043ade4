//! Who calls the HTTP API: the session cookie of the page (HttpOnly, SameSite=Strict, Secure
//! behind TLS) or a bearer token. Cookie-authenticated writes also need the session's CSRF
//! token in `X-CSRF-Token` and, when the browser sends one, an `Origin` of this host.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

use super::error::ApiError;
use crate::error::Error;
use crate::service::Hotline;
use crate::service::auth::{Session, SessionKind};

/// Name of the session cookie.
pub const COOKIE: &str = "hl_session";

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

/// The `Set-Cookie` value for a session token.
pub fn set_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// An authenticated caller of the HTTP API.
pub struct Caller(pub Session);

impl FromRequestParts<Arc<Hotline>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hotline: &Arc<Hotline>) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        if let Some(token) = bearer {
            return Ok(Caller(hotline.auth.authenticate(&token).await?));
        }
        let token = cookie(&parts.headers, COOKIE).ok_or(Error::Unauthenticated)?;
        let session = hotline.auth.authenticate(&token).await?;
        if session.kind != SessionKind::Web {
            return Err(Error::Unauthenticated.into());
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            check_csrf(&parts.headers, &session)?;
        }
        Ok(Caller(session))
    }
}

/// The CSRF checks of a cookie-authenticated write.
fn check_csrf(headers: &HeaderMap, session: &Session) -> Result<(), ApiError> {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = session.csrf_token.as_deref().unwrap_or("");
    if expected.is_empty() || !kit::grpc::auth::constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return Err(ApiError(Error::Forbidden {
            role: session.actor.role.as_str(),
            action: "write without CSRF token",
        }));
    }
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let host = host.to_str().unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin_host != host {
            return Err(ApiError(Error::Forbidden {
                role: session.actor.role.as_str(),
                action: "write from another origin",
            }));
        }
    }
    Ok(())
}
