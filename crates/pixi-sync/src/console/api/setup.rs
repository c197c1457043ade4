//! Settings of a tenant (CN-02, CN-03): organisations, pixi API configurations with
//! "Verbindung testen", the e-mail configuration with "Test-E-Mail senden", console users.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::console_user_service_server::ConsoleUserService;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantService;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, int, tenant};
use crate::console::Console;
use crate::console::error::{ApiError, ApiResult};
use crate::console::gate::call;
use crate::console::json;
use crate::console::session::Session;

#[derive(Deserialize)]
struct NewOrg {
    #[serde(default)]
    name: String,
}

/// `POST /api/orgs`: a new organisation (tenant); its error-page link is shown once.
pub async fn create_org(State(c): State<Arc<Console>>, Session(user): Session, bytes: Bytes) -> ApiResult<Json<Value>> {
    let b: NewOrg = body(&bytes)?;
    let r =
        call!(c, &user, tenants.create_tenant, "TenantService/CreateTenant", pb::CreateTenantRequest { name: b.name })?;
    Ok(Json(json!({ "org": r.tenant.as_ref().map(json::tenant), "error_page_url": r.error_page_url })))
}

/// `GET /api/orgs`: the organisations the user may see.
pub async fn orgs(State(c): State<Arc<Console>>, Session(user): Session) -> ApiResult<Json<Value>> {
    let r = call!(c, &user, tenants.list_tenants, "TenantService/ListTenants", pb::ListTenantsRequest {})?;
    let list: Vec<Value> = r
        .tenants
        .iter()
        .filter(|t| uuid::Uuid::parse_str(&t.tenant_id).is_ok_and(|id| user.may_act_for(id)))
        .map(json::tenant)
        .collect();
    Ok(Json(json!({ "orgs": list })))
}

/// `GET /api/o/{t}/pixi-apis`.
pub async fn pixi_apis(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.list_pixi_api_configs,
        "TenantService/ListPixiApiConfigs",
        pb::ListPixiApiConfigsRequest { tenant_id: t.to_string() }
    )?;
    Ok(Json(json!({ "configs": r.configs.iter().map(json::pixi_api).collect::<Vec<_>>(), "max": 2 })))
}

#[derive(Deserialize)]
struct PixiApiBody {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    active: bool,
}

/// `POST /api/o/{t}/pixi-apis`: creates (no id) or updates; deactivating works while pixi is
/// down (no test call for an inactive configuration).
pub async fn save_pixi_api(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: PixiApiBody = body(&bytes)?;
    let r = call!(
        c,
        &user,
        tenants.save_pixi_api_config,
        "TenantService/SavePixiApiConfig",
        pb::SavePixiApiConfigRequest {
            tenant_id: t.to_string(),
            pixi_api_config_id: b.id,
            name: b.name,
            endpoint: b.endpoint,
            user: b.user,
            password: b.password,
            active: b.active,
            timezone: b.timezone,
        }
    )?;
    Ok(Json(json!({ "config": r.config.as_ref().map(json::pixi_api) })))
}

/// `POST /api/o/{t}/preflight`: "Verbindung testen" — the preflight (CT-06) of every active
/// pixi API configuration of the tenant and the unzer side of its payment configurations.
pub async fn preflight(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.preflight,
        "TenantService/Preflight",
        pb::PreflightRequest { tenant_id: t.to_string() }
    )?;
    let report = r
        .report
        .ok_or_else(|| ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "Interner Fehler."))?;
    Ok(Json(json::preflight(&report)))
}

/// `GET /api/o/{t}/pixi-apis/{id}/methods`: pixi's payment methods (for the Zahlart list).
pub async fn methods(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path((t, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.list_pixi_payment_methods,
        "TenantService/ListPixiPaymentMethods",
        pb::ListPixiPaymentMethodsRequest { tenant_id: t.to_string(), pixi_api_config_id: id }
    )?;
    let list: Vec<Value> =
        r.methods.iter().map(|m| json!({ "code": m.code, "xml_tag": m.xml_tag, "text": m.text })).collect();
    Ok(Json(json!({ "methods": list })))
}

/// `GET /api/o/{t}/smtp`: the e-mail configuration (no password), `null` when none.
pub async fn smtp(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.get_smtp_config,
        "TenantService/GetSmtpConfig",
        pb::GetSmtpConfigRequest { tenant_id: t.to_string() }
    );
    match r {
        Ok(r) => Ok(Json(json!({ "config": r.config.as_ref().map(json::smtp) }))),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => Ok(Json(json!({ "config": null }))),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct SmtpBody {
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    tls_mode: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    recipient: String,
}

/// `POST /api/o/{t}/smtp`.
pub async fn save_smtp(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: SmtpBody = body(&bytes)?;
    let port = int("port", &b.port)?;
    let tls = match b.tls_mode.as_str() {
        "none" => pb::SmtpTlsMode::None,
        "starttls" => pb::SmtpTlsMode::Starttls,
        "implicit" => pb::SmtpTlsMode::Implicit,
        _ => pb::SmtpTlsMode::Unspecified,
    };
    let r = call!(
        c,
        &user,
        tenants.save_smtp_config,
        "TenantService/SaveSmtpConfig",
        pb::SaveSmtpConfigRequest {
            tenant_id: t.to_string(),
            host: b.host,
            port: i32::try_from(port).unwrap_or(-1),
            tls_mode: tls as i32,
            user: b.user,
            password: b.password,
            sender: b.sender,
            recipient: b.recipient,
        }
    )?;
    Ok(Json(json!({ "config": r.config.as_ref().map(json::smtp) })))
}

/// `POST /api/o/{t}/smtp/test`: sends the test mail; the outcome is the answer.
pub async fn test_mail(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.send_test_mail,
        "TenantService/SendTestMail",
        pb::SendTestMailRequest { tenant_id: t.to_string() }
    )?;
    Ok(Json(json!({ "recipient": r.recipient, "subject": r.subject })))
}

/// `POST /api/o/{t}/error-page-link`: a new link for the error page (the old one stops working).
pub async fn rotate_link(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        tenants.rotate_error_page_link,
        "TenantService/RotateErrorPageLink",
        pb::RotateErrorPageLinkRequest { tenant_id: t.to_string() }
    )?;
    Ok(Json(json!({ "error_page_url": r.error_page_url })))
}

/// `GET /api/o/{t}/users`.
pub async fn users(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        users.list_console_users,
        "ConsoleUserService/ListConsoleUsers",
        pb::ListConsoleUsersRequest { tenant_id: t.to_string() }
    )?;
    Ok(Json(json!({ "users": r.users.iter().map(json::user).collect::<Vec<_>>() })))
}

#[derive(Deserialize)]
struct UserBody {
    #[serde(default)]
    id: Option<i64>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    active: Option<bool>,
}

fn role(raw: &str) -> pb::ConsoleRole {
    match raw {
        "viewer" => pb::ConsoleRole::Viewer,
        "operator" => pb::ConsoleRole::Operator,
        "admin" => pb::ConsoleRole::Admin,
        _ => pb::ConsoleRole::Unspecified,
    }
}

/// `POST /api/o/{t}/users`: creates (no id) or changes a user.
pub async fn save_user(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: UserBody = body(&bytes)?;
    let saved = match b.id {
        None => {
            call!(
                c,
                &user,
                users.create_console_user,
                "ConsoleUserService/CreateConsoleUser",
                pb::CreateConsoleUserRequest {
                    tenant_id: t.to_string(),
                    username: b.username,
                    display_name: b.display_name,
                    role: role(&b.role) as i32,
                    password: b.password,
                }
            )?
            .user
        }
        Some(id) => {
            if id == user.id && b.active == Some(false) {
                return Err(ApiError::field("active", "Sie können sich nicht selbst deaktivieren."));
            }
            call!(
                c,
                &user,
                users.update_console_user,
                "ConsoleUserService/UpdateConsoleUser",
                pb::UpdateConsoleUserRequest {
                    tenant_id: t.to_string(),
                    user_id: id,
                    role: role(&b.role) as i32,
                    active: b.active.unwrap_or(true),
                    new_password: b.password,
                }
            )?
            .user
        }
    };
    Ok(Json(json!({ "user": saved.as_ref().map(json::user) })))
}
