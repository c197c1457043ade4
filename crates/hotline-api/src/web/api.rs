//! The page's HTTP/JSON API (`/api/…`): the same use cases as the gRPC API.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::json;
use super::session::{Caller, is_https, set_cookie};
use crate::domain::agent::{Permission, Role};
use crate::domain::b2b::{B2bInput, TENANT_PROBLEM};
use crate::domain::b2c::LookupInput;
use crate::service::Hotline;
use crate::service::auth::SessionKind;

type ApiResult = Result<Response, ApiError>;
type St = State<Arc<Hotline>>;

/// A JSON body whose rejection (malformed JSON, wrong types) is answered in the API's own
/// error shape, naming the body as the field.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(crate::error::Error::field("body", e.body_text()).into()),
        }
    }
}

/// Login form.
#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /api/login`: sets the session cookie and returns the agent and its CSRF token.
pub async fn login(
    State(h): St,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(b): Body<LoginBody>,
) -> ApiResult {
    let forwarded: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let client = h.auth.client_address(Some(peer.ip()), &forwarded);
    let login = h.auth.login(&b.username, &b.password, client.as_deref(), SessionKind::Web).await?;
    let max_age = (login.expires_at - h.clock.now()).num_seconds().max(0);
    let cookie = set_cookie(login.token.expose_secret(), max_age, h.auth.secure_cookies() || is_https(&headers));
    let body = json!({ "agent": json::agent(&login.actor), "csrf_token": login.csrf_token, "links": links(&h) });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// `POST /api/logout`.
pub async fn logout(State(h): St, headers: HeaderMap, Caller(s): Caller) -> ApiResult {
    h.auth.logout(&s).await?;
    let clear = set_cookie("", 0, h.auth.secure_cookies() || is_https(&headers));
    Ok(([(header::SET_COOKIE, clear)], Json(json!({}))).into_response())
}

fn links(h: &Hotline) -> Value {
    json!({
        "pixi_sync_dashboard": console_home(&h.settings.pixi_sync_dashboard_url),
        "pixi_sync_errors": h.settings.pixi_sync_errors_url,
    })
}

/// The start page of the pixi-sync console behind an order link template (HL-41): the link's
/// origin when the template names an order, the link itself otherwise.
fn console_home(template: &str) -> String {
    if !template.contains("{order_id}") {
        return template.to_owned();
    }
    match reqwest::Url::parse(&template.replace("{order_id}", "0")) {
        Ok(u) => format!("{}/", u.origin().ascii_serialization()),
        Err(_) => template.replace("{order_id}", ""),
    }
}

/// `GET /api/me`: the agent, the CSRF token, the links and the form choices.
pub async fn me(State(h): St, Caller(s): Caller) -> ApiResult {
    Ok(Json(json!({
        "agent": json::agent(&s.actor),
        "csrf_token": s.csrf_token,
        "links": links(&h),
        "problem_types": h.settings.problem_types,
        "tenant_problem": TENANT_PROBLEM,
        "today": h.today().format("%Y-%m-%d").to_string(),
    }))
    .into_response())
}

/// `POST /api/b2c/lookup`.
pub async fn lookup(State(h): St, Caller(s): Caller, Body(input): Body<LookupInput>) -> ApiResult {
    let l = h.lookup_code(&s.actor, &input).await?;
    Ok(Json(json::lookup(&l, h.settings.timezone)).into_response())
}

/// Code generation form.
#[derive(Deserialize)]
pub struct GenerateBody {
    #[serde(default)]
    transaction_id: i64,
    #[serde(default)]
    password: String,
}

/// `POST /api/b2c/generate` (admins, step-up password).
pub async fn generate(State(h): St, Caller(s): Caller, Body(b): Body<GenerateBody>) -> ApiResult {
    let (g, replayed) = h.generate_code(&s.actor, b.transaction_id, &b.password).await?;
    Ok(Json(json::generation(&g, replayed, h.settings.timezone)).into_response())
}

/// Ticket form of a lookup.
#[derive(Deserialize)]
pub struct B2cTicketBody {
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    lookup_id: String,
}

/// `POST /api/b2c/ticket`.
pub async fn b2c_ticket(State(h): St, Caller(s): Caller, Body(b): Body<B2cTicketBody>) -> ApiResult {
    let t = h.create_b2c_ticket(&s.actor, &b.request_id, &b.lookup_id).await?;
    Ok(Json(json!({ "id": t.ticket_id, "url": t.url, "created": t.created })).into_response())
}

/// Search query.
#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `GET /api/b2b/customers?q=`.
pub async fn customers(State(h): St, Caller(s): Caller, Query(q): Query<SearchQuery>) -> ApiResult {
    let found = h.search_customers(&s.actor, &q.q).await?;
    Ok(Json(json!({ "items": found.iter().map(json::customer).collect::<Vec<_>>() })).into_response())
}

/// `GET /api/b2b/customers/{id}/invoices`.
pub async fn invoices(State(h): St, Caller(s): Caller, Path(id): Path<i64>) -> ApiResult {
    let (c, items) = h.list_invoices(&s.actor, id).await?;
    Ok(Json(json!({ "customer": json::customer(&c), "items": items.iter().map(json::invoice).collect::<Vec<_>>() }))
        .into_response())
}

/// B2B request form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct B2bBody {
    request_id: String,
    customer_id: i64,
    building_address: String,
    payment_date: String,
    payment_time: String,
    /// CHF as typed, e.g. `3.50`.
    amount: String,
    tenant_email: String,
    tenant_mobile: String,
    twint_ref: String,
    problem_type: String,
    landlord: String,
    beneficiary: String,
    details: String,
    management_email: String,
}

/// `POST /api/b2b/ticket`.
pub async fn b2b_ticket(State(h): St, Caller(s): Caller, Body(b): Body<B2bBody>) -> ApiResult {
    let amount_text = b.amount.trim().replace(',', ".");
    let amount = (!amount_text.is_empty()).then(|| {
        kit::money::Money::parse(&amount_text, kit::money::Currency::CHF)
            .map_err(|_| "ein Betrag wie 3.50 (höchstens zwei Nachkommastellen)".to_owned())
    });
    let input = B2bInput {
        customer_id: b.customer_id,
        building_address: b.building_address,
        payment_date: b.payment_date,
        payment_time: b.payment_time,
        amount,
        tenant_email: b.tenant_email,
        tenant_mobile: b.tenant_mobile,
        twint_ref: b.twint_ref,
        problem_type: b.problem_type,
        landlord: b.landlord,
        beneficiary: b.beneficiary,
        details: b.details,
        management_email: b.management_email,
    };
    let t = h.create_b2b_ticket(&s.actor, &b.request_id, &input).await?;
    Ok(Json(json!({ "id": t.ticket_id, "url": t.url, "created": t.created })).into_response())
}

/// Day query.
#[derive(Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    date: String,
}

/// `GET /api/overview?date=`.
pub async fn overview(State(h): St, Caller(s): Caller, Query(q): Query<DayQuery>) -> ApiResult {
    let o = h.daily_overview(&s.actor, Some(&q.date)).await?;
    let tz = h.settings.timezone;
    Ok(Json(json!({
        "date": o.date.format("%Y-%m-%d").to_string(),
        "date_label": o.date.format("%d.%m.%Y").to_string(),
        "count": o.count(),
        "unknown_count": o.unknown(),
        "total": json::money(o.total),
        "items": o.payments.iter().map(|p| json::payment(p, tz)).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET /api/orders/{id}/timeline`.
pub async fn timeline(State(h): St, Caller(s): Caller, Path(id): Path<String>) -> ApiResult {
    let t = h.order_timeline(&s.actor, &id).await?;
    let tz = h.settings.timezone;
    Ok(Json(json!({
        "order_id": t.order_id,
        "events": t.events.iter().map(|e| json::event(e, tz)).collect::<Vec<_>>(),
        "links": { "pixi_sync_dashboard": t.dashboard_url, "pixi_sync_errors": t.errors_url },
    }))
    .into_response())
}

/// Audit query.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    before: Option<i64>,
    actor: String,
    action: String,
    limit: Option<i64>,
}

/// `GET /api/audit` (admins).
pub async fn audit(State(h): St, Caller(s): Caller, Query(q): Query<AuditQuery>) -> ApiResult {
    let nonempty = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let (actor, action) = (nonempty(&q.actor), nonempty(&q.action));
    let entries =
        h.audit_entries(&s.actor, q.before, actor.as_deref(), action.as_deref(), q.limit.unwrap_or(100)).await?;
    let tz = h.settings.timezone;
    Ok(Json(json!({ "items": entries.iter().map(|e| json::audit(e, tz)).collect::<Vec<_>>() })).into_response())
}

/// New agent form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AgentBody {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

/// `POST /api/agents` (admins).
pub async fn create_agent(State(h): St, Caller(s): Caller, Body(b): Body<AgentBody>) -> ApiResult {
    h.require(&s.actor, Permission::ManageAgents).await?;
    // Anything but standard or admin is refused by create_agent with the other bad fields.
    let role = Role::parse(&b.role).unwrap_or(Role::Service);
    let a = h.auth.create_agent(&b.username, &b.display_name, role, &b.password).await?;
    let mut e = crate::service::audit::entry(&s.actor, "agent_created", format!("agent:{}", a.name), "ok");
    e.details.insert("role".into(), role.as_str().into());
    h.audit(e).await?;
    Ok((StatusCode::CREATED, Json(json::agent(&a))).into_response())
}
