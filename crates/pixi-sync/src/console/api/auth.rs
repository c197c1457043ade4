//! Login, logout and "who am I" (CN-01).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantService;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body;
use crate::console::Console;
use crate::console::auth::User;
use crate::console::error::ApiResult;
use crate::console::gate::call;
use crate::console::session::{Session, is_https, set_cookie};

#[derive(Deserialize)]
struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /api/login`: sets the session cookie.
pub async fn login(
    State(c): State<Arc<Console>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult<Response> {
    let b: LoginBody = body(&bytes)?;
    let client = peer.ip().to_string();
    let login = c.auth.login(&b.username, &b.password, Some(&client)).await?;
    let secure = c.auth.config().secure_cookies || is_https(&headers);
    let cookie =
        set_cookie(secrecy::ExposeSecret::expose_secret(&login.token), c.auth.config().session_max.as_secs(), secure);
    let me = me_json(&c, &login.user).await?;
    let mut r = Json(me).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// `POST /api/logout`: ends the session and deletes the cookie.
pub async fn logout(State(c): State<Arc<Console>>, Session(user): Session) -> ApiResult<Response> {
    c.auth.logout(&user).await?;
    let mut r = Json(json!({ "ok": true })).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie("", 0, c.auth.config().secure_cookies)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// `GET /api/me`: the user, its permissions, the CSRF token and the organisations it may see.
pub async fn me(State(c): State<Arc<Console>>, Session(user): Session) -> ApiResult<Json<Value>> {
    Ok(Json(me_json(&c, &user).await?))
}

async fn me_json(c: &Console, user: &User) -> ApiResult<Value> {
    let all = call!(c, user, tenants.list_tenants, "TenantService/ListTenants", pb::ListTenantsRequest {})?;
    let orgs: Vec<Value> = all
        .tenants
        .iter()
        .filter(|t| uuid::Uuid::parse_str(&t.tenant_id).is_ok_and(|id| user.may_act_for(id)))
        .map(|t| json!({ "id": t.tenant_id, "name": t.name }))
        .collect();
    Ok(json!({
        "user": {
            "username": user.username, "display_name": user.display_name, "role": user.role.as_str(),
            "role_label": user.role.label(), "tenant_id": user.tenant_id.map(|t| t.to_string()),
            "every_tenant": user.tenant_id.is_none(), "permissions": user.permissions(),
        },
        "csrf_token": user.csrf_token,
        "orgs": orgs,
        "public_base_url_missing": c.api.public_base_url.is_none(),
        "session_idle_minutes": c.auth.config().session_idle.as_secs() / 60,
    }))
}
