//! The look of payops web pages, shared so the hotline agent portal (hotline-api) and the
//! merchant console (pixi-sync) are one visual language without copies: one stylesheet
//! (`payops.css`: colours, forms, buttons, cards, tabs, tables, toasts) and one script of
//! helpers (`payops.js`: the JSON API call with the CSRF token, toasts, field errors). Each
//! page serves them next to its own stylesheet and script; nothing here needs a build step.
//!
//! [`CSP`] is the Content Security Policy both pages send: scripts and styles only from their
//! own origin, no inline code, no framing.

use axum::http::{HeaderMap, HeaderValue, header};

/// The shared stylesheet (serve as `/payops.css`).
pub const CSS: &str = include_str!("../assets/payops.css");

/// The shared helper script (serve as `/payops.js`, before the page's own script).
pub const JS: &str = include_str!("../assets/payops.js");

/// The Content Security Policy of every payops page: no inline script or style, nothing from
/// elsewhere, no framing, forms only to the page's own origin.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                       frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Sets the security headers of a page answer: the CSP, no sniffing, no referrer, no framing.
pub fn security_headers(h: &mut HeaderMap) {
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
}

/// The `Content-Type` and caching of a static asset (revalidated on every load, so a new
/// build is picked up at once).
pub fn asset_headers(content_type: &'static str) -> [(header::HeaderName, &'static str); 2] {
    [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")]
}

/// Every error answer of a JSON API is JSON (SE-07): the answers axum gives on its own — a path
/// segment that does not parse (400), a method the route does not take (405), a body too large
/// (413), a wrong content type (415), JSON that does not fit (422) — come as text or empty;
/// this layer turns them into `{"error": "...", "reason": "..."}` in German like the handlers'
/// own errors. Answers that are JSON already pass unchanged.
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (message, reason) = match status.as_u16() {
        400 => ("Ungültige Adresse oder Anfrage.", "BAD_REQUEST"),
        401 => ("Bitte anmelden.", "UNAUTHENTICATED"),
        403 => ("Keine Berechtigung.", "PERMISSION_DENIED"),
        404 => ("Nicht gefunden", "NOT_FOUND"),
        405 => ("Diese Methode ist hier nicht erlaubt.", "METHOD_NOT_ALLOWED"),
        413 => ("Die Anfrage ist zu groß.", "BODY_TOO_LARGE"),
        415 => ("Falscher Inhaltstyp: erwartet wird application/json.", "UNSUPPORTED_MEDIA_TYPE"),
        422 => ("Die Eingabe passt nicht zum erwarteten Aufbau.", "INVALID_ARGUMENT"),
        429 => ("Zu viele Anfragen: bitte später erneut versuchen.", "RESOURCE_EXHAUSTED"),
        s if s >= 500 => ("Interner Fehler.", "INTERNAL"),
        _ => ("Anfrage abgelehnt.", "REJECTED"),
    };
    let mut out = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{{\"error\":\"{message}\",\"reason\":\"{reason}\"}}"),
    )
        .into_response();
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_no_inline_code_and_no_other_origin() {
        assert!(CSP.contains("script-src 'self';"));
        assert!(!CSP.contains("unsafe-inline"));
        assert!(!CSP.contains("unsafe-eval"));
        assert!(CSP.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn the_script_writes_server_data_as_text_only() {
        assert!(!JS.contains("innerHTML"), "server data is put into pages with textContent only");
        assert!(JS.contains("X-CSRF-Token"));
    }
}
