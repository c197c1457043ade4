//! The console's JSON API under `/api`: one handler per user action, each a call of the gRPC
//! method that does it (see [`super::gate`]). Tenant-scoped routes are `/api/o/{tenant}/…`; the
//! user's tenant binding is checked before anything else.

pub mod auth;
pub mod configs;
pub mod operations;
pub mod orders;
pub mod setup;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::auth::User;
use super::error::{ApiError, ApiResult};

/// Parses a JSON body; a body that is not the expected JSON is a 400 naming what is wrong.
pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_BODY", format!("Ungültige Anfrage: {}", e.classify_name()))
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "Lesefehler",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "kein gültiges JSON",
            serde_json::error::Category::Data => "unerwartete Felder oder Werte",
        }
    }
}

/// The tenant of a path, if the user may act for it (403 otherwise; 404 for a malformed id).
pub fn tenant(user: &User, raw: &str) -> ApiResult<Uuid> {
    let id = Uuid::parse_str(raw).map_err(|_| ApiError::not_found("Organisation"))?;
    if user.may_act_for(id) { Ok(id) } else { Err(ApiError::tenant()) }
}

/// A whole number from a form field, or a field violation.
pub fn int(field: &str, raw: &str) -> ApiResult<i64> {
    raw.trim().parse::<i64>().map_err(|_| ApiError::field(field, "must be a whole number"))
}
