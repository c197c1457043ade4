//! Hotline errors as HTTP answers for the page: `{"error": <German message>, "reason":
//! <machine reason>, "fields": [{"field", "reason"}]}` with a status chosen on purpose. A
//! partner failure is 502/503 with its reason — never an empty "not found".

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::Error;

/// An error answer.
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError(Error::Db(e))
    }
}

fn body(status: StatusCode, reason: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into(), "reason": reason }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.0 {
            Error::Invalid(v) => {
                let fields: Vec<_> = v.items().iter().map(|(f, r)| json!({ "field": f, "reason": r })).collect();
                let message = format!(
                    "Bitte Angaben prüfen: {}",
                    v.items().iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>().join(" · ")
                );
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({ "error": message, "reason": "INVALID_ARGUMENT", "fields": fields })),
                )
                    .into_response()
            }
            Error::Unauthenticated => {
                body(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Bitte anmelden (Sitzung abgelaufen).")
            }
            Error::BadCredentials => body(
                StatusCode::UNAUTHORIZED,
                "INVALID_CREDENTIALS",
                "Anmeldung fehlgeschlagen: Benutzername oder Passwort falsch.",
            ),
            Error::Throttled { retry_after_secs } => {
                let mut r = body(
                    StatusCode::TOO_MANY_REQUESTS,
                    "LOGIN_THROTTLED",
                    format!(
                        "Zu viele Fehlversuche. Bitte in {} Minuten erneut versuchen.",
                        retry_after_secs.div_ceil(60)
                    ),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    r.headers_mut().insert("retry-after", v);
                }
                r
            }
            Error::Forbidden { .. } => {
                body(StatusCode::FORBIDDEN, "ROLE_REQUIRED", "Keine Berechtigung: nur für Admins.")
            }
            Error::StepUpFailed => body(StatusCode::FORBIDDEN, "STEP_UP_FAILED", "Admin-Passwort falsch."),
            Error::NotFound(what) => body(StatusCode::NOT_FOUND, "NOT_FOUND", format!("Nicht gefunden: {what}")),
            Error::Precondition { reason, message } => body(StatusCode::CONFLICT, reason, message),
            Error::Partner { system, detail } => {
                tracing::warn!(system, detail = %detail, "partner failed");
                let (status, name) = match system {
                    "PGW" => (StatusCode::BAD_GATEWAY, "PGW PROD"),
                    "SMALLINVOICE" => (StatusCode::BAD_GATEWAY, "smallinvoice"),
                    _ => (StatusCode::SERVICE_UNAVAILABLE, "Ticketsystem"),
                };
                body(
                    status,
                    &format!("{system}_UNAVAILABLE"),
                    format!("{name} antwortet nicht oder mit einem Fehler. Bitte erneut versuchen."),
                )
            }
            Error::OutcomeUnknown(detail) => {
                tracing::warn!(detail = %detail, "partner outcome unknown");
                body(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "OUTCOME_UNKNOWN",
                    "Ergebnis unbekannt. Bitte erneut versuchen – es wird kein zweiter Code erstellt.",
                )
            }
            Error::AgentExists => body(StatusCode::CONFLICT, "AGENT_EXISTS", "Benutzername bereits vergeben."),
            Error::Db(e) if kit::db::is_transient(&e) => body(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "Datenbank nicht erreichbar. Bitte erneut versuchen.",
            ),
            other => {
                let _ = kit::grpc::status::internal(&other);
                body(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "Interner Fehler.")
            }
        }
    }
}
