//! The admin screen's HTTP/JSON API for agents (SE-05, SE-06): list, deactivate or reactivate,
//! change role, reset password and unlock. Cookie callers need the CSRF token like every other
//! write of the page; the use cases check the role and write the audit log.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::api::Body;
use super::error::ApiError;
use super::session::Caller;
use crate::domain::agent::Role;
use crate::service::Hotline;

type ApiResult = Result<Response, ApiError>;
type St = State<Arc<Hotline>>;

/// `GET /api/agents` (admins).
pub async fn list(State(h): St, Caller(s): Caller) -> ApiResult {
    let rows = h.list_agents(&s.actor).await?;
    let items: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "username": r.username,
                "display_name": r.display_name,
                "role": r.role().as_str(),
                "active": r.active,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

/// Deactivation form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActiveBody {
    active: bool,
}

/// `POST /api/agents/{username}/active`.
pub async fn set_active(
    State(h): St,
    Caller(s): Caller,
    Path(name): Path<String>,
    Body(b): Body<ActiveBody>,
) -> ApiResult {
    h.set_agent_active(&s.actor, &name, b.active).await?;
    Ok(Json(json!({})).into_response())
}

/// Role form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleBody {
    role: String,
}

/// `POST /api/agents/{username}/role`.
pub async fn set_role(State(h): St, Caller(s): Caller, Path(name): Path<String>, Body(b): Body<RoleBody>) -> ApiResult {
    // Anything but standard or admin is refused as a field violation.
    let role = Role::parse(&b.role).unwrap_or(Role::Service);
    h.set_agent_role(&s.actor, &name, role).await?;
    Ok(Json(json!({})).into_response())
}

/// Password form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordBody {
    password: String,
}

/// `POST /api/agents/{username}/password`.
pub async fn reset_password(
    State(h): St,
    Caller(s): Caller,
    Path(name): Path<String>,
    Body(b): Body<PasswordBody>,
) -> ApiResult {
    h.reset_agent_password(&s.actor, &name, &b.password).await?;
    Ok(Json(json!({})).into_response())
}

/// `POST /api/agents/{username}/unlock`.
pub async fn unlock(State(h): St, Caller(s): Caller, Path(name): Path<String>) -> ApiResult {
    h.unlock_agent(&s.actor, &name).await?;
    Ok(Json(json!({})).into_response())
}
