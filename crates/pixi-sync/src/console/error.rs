//! Console answers on failure: `{"error": <German message>, "reason": <machine reason>,
//! "fields": [{"field", "reason"}]}` with a status chosen on purpose — 422 with every field
//! violation (shown at the field), 401 without a session, 403 without the permission or the
//! tenant, 404, 409 for a business refusal, 503 when pixi, unzer or the database cannot be
//! reached now. Internal causes are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tonic::{Code, Status};

use super::german;

/// An error answer of the console API.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable reason.
    pub reason: String,
    /// For people, in German.
    pub message: String,
    /// Field violations (field, German reason).
    pub fields: Vec<(String, String)>,
}

/// The console's result.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An answer with `status`, `reason` and `message`.
    pub fn new(status: StatusCode, reason: &str, message: impl Into<String>) -> Self {
        ApiError { status, reason: reason.to_owned(), message: message.into(), fields: Vec::new() }
    }

    /// 422 for fields the console itself checked (English reasons are translated).
    pub fn fields(fields: Vec<(String, String)>) -> Self {
        let fields: Vec<(String, String)> = fields.into_iter().map(|(f, r)| (f, german::field_reason(&r))).collect();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            reason: "INVALID_ARGUMENT".into(),
            message: "Bitte die markierten Felder prüfen.".into(),
            fields,
        }
    }

    /// One field.
    pub fn field(field: &str, reason: &str) -> Self {
        ApiError::fields(vec![(field.to_owned(), reason.to_owned())])
    }

    /// 401: no live session.
    pub fn unauthenticated() -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Bitte anmelden (Sitzung abgelaufen).")
    }

    /// 403: the permission is missing.
    pub fn forbidden(permission: &str) -> Self {
        let mut e =
            ApiError::new(StatusCode::FORBIDDEN, "PERMISSION_MISSING", german::refusal("PERMISSION_MISSING", ""));
        e.fields.clear();
        tracing::info!(permission, "console call refused: permission missing");
        e
    }

    /// 403: the user may not act for this tenant.
    pub fn tenant() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "TENANT_NOT_ALLOWED", german::refusal("TENANT_NOT_ALLOWED", ""))
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("Nicht gefunden: {what}."))
    }

    /// A gRPC status of the service, in German.
    pub fn from_status(s: &Status) -> Self {
        let reason = kit::grpc::status::error_reason(s);
        match s.code() {
            Code::InvalidArgument => {
                let v = kit::grpc::status::field_violations(s);
                if v.is_empty() {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "INVALID_ARGUMENT", "Ungültige Angaben.")
                } else {
                    ApiError::fields(v)
                }
            }
            Code::NotFound => ApiError::not_found(&not_found_de(s.message())),
            Code::AlreadyExists => ApiError::new(
                StatusCode::CONFLICT,
                "ALREADY_EXISTS",
                "Existiert bereits (Name oder pixi API / Mandant / Zahlart schon vergeben).",
            ),
            Code::FailedPrecondition => {
                let r = reason.unwrap_or_else(|| "FAILED_PRECONDITION".into());
                let message = german::refusal(&r, s.message());
                ApiError::new(StatusCode::CONFLICT, &r, message)
            }
            Code::PermissionDenied => {
                let r = reason.unwrap_or_else(|| "PERMISSION_MISSING".into());
                ApiError::new(StatusCode::FORBIDDEN, &r, german::refusal(&r, "Keine Berechtigung."))
            }
            Code::Unauthenticated => ApiError::unauthenticated(),
            Code::Unavailable | Code::DeadlineExceeded => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                format!("{} Bitte später erneut versuchen.", unavailable_de(s.message())),
            ),
            _ => {
                tracing::error!(code = ?s.code(), message = %s.message(), "console call failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "Interner Fehler.")
            }
        }
    }
}

fn not_found_de(message: &str) -> String {
    let what = message.trim_end_matches(" not found");
    match what {
        "tenant" => "Organisation",
        "pixi API configuration" => "pixi API Konfiguration",
        "payment configuration" => "Konfiguration",
        "order" => "Bestellung",
        "SMTP configuration" => "E-Mail Konfiguration",
        "reconciliation run" => "Abgleich",
        "console user" => "Benutzer",
        other => other,
    }
    .to_owned()
}

fn unavailable_de(message: &str) -> String {
    if message.contains("pixi") {
        format!("pixi ist gerade nicht erreichbar ({message}).")
    } else if message.contains("unzer") {
        format!("unzer ist gerade nicht erreichbar ({message}).")
    } else {
        "Der Dienst ist gerade nicht erreichbar (Datenbank).".to_owned()
    }
}

impl From<Status> for ApiError {
    fn from(s: Status) -> Self {
        ApiError::from_status(&s)
    }
}

impl From<crate::error::Error> for ApiError {
    fn from(e: crate::error::Error) -> Self {
        ApiError::from_status(&Status::from(e))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::from(crate::error::Error::Db(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fields: Vec<_> = self.fields.iter().map(|(f, r)| json!({ "field": f, "reason": r })).collect();
        let body = json!({ "error": self.message, "reason": self.reason, "fields": fields });
        (self.status, Json(body)).into_response()
    }
}
