//! Admin routes under `/admin/smtp`: list, read and clear the stored mail; require given
//! credentials (AUTH then answers 535 for others, MAIL without AUTH 530) or accept any.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::Message;
use super::session::Credentials;
use crate::admin::AdminError;
use crate::shared::Shared;

/// `POST /admin/smtp/auth`: the only credentials accepted from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequireAuth {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

/// `GET /admin/smtp/auth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthMode {
    /// Credentials are required (otherwise any AUTH, or none, is accepted).
    pub required: bool,
    /// The required user name.
    pub user: Option<String>,
}

/// The admin router.
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/messages", get(list).delete(clear))
        .route("/messages/{id}", get(read))
        .route("/auth", get(auth_mode).post(require).delete(accept_any))
        .with_state(shared)
}

async fn list(State(s): State<Shared>) -> Json<Vec<Message>> {
    Json(Shared::lock(&s.0.smtp).messages.clone())
}

async fn read(State(s): State<Shared>, Path(id): Path<u64>) -> Result<Json<Message>, AdminError> {
    let st = Shared::lock(&s.0.smtp);
    st.messages
        .iter()
        .find(|m| m.id == id)
        .cloned()
        .map(Json)
        .ok_or_else(|| AdminError::not_found(format!("message {id}")))
}

async fn clear(State(s): State<Shared>) -> StatusCode {
    Shared::lock(&s.0.smtp).messages.clear();
    StatusCode::NO_CONTENT
}

async fn auth_mode(State(s): State<Shared>) -> Json<AuthMode> {
    let st = Shared::lock(&s.0.smtp);
    Json(AuthMode { required: st.required.is_some(), user: st.required.as_ref().map(|c| c.user.clone()) })
}

async fn require(State(s): State<Shared>, bytes: Bytes) -> Result<Json<AuthMode>, AdminError> {
    let r: RequireAuth = serde_json::from_slice(&bytes).map_err(|e| AdminError::bad("body", e))?;
    if r.user.is_empty() {
        return Err(AdminError::bad("user", "must not be empty"));
    }
    let user = r.user.clone();
    Shared::lock(&s.0.smtp).required = Some(Credentials { user: r.user, password: r.password });
    Ok(Json(AuthMode { required: true, user: Some(user) }))
}

async fn accept_any(State(s): State<Shared>) -> StatusCode {
    Shared::lock(&s.0.smtp).required = None;
    StatusCode::NO_CONTENT
}
