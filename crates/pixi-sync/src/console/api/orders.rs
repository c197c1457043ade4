//! The Dashboard (CN-05): processed orders, newest first, paged and filtered; one order with its
//! history, money moved at unzer, pixi documents and incident texts; "Problem gelöst"; the
//! lookup by pixi order number behind hotline-api's links (HL-41).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use chrono::{NaiveDate, TimeZone};
use proto::payops::common::v1::PageRequest;
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::dashboard_service_server::DashboardService;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantService;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, tenant};
use crate::console::Console;
use crate::console::error::{ApiError, ApiResult};
use crate::console::gate::call;
use crate::console::json;
use crate::console::session::Session;

/// The dashboard's filters as the page sends them (the query string of its stable URL).
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    state: String,
    #[serde(default)]
    problem: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    nr: String,
    #[serde(default)]
    page: String,
}

/// Start of `day` in Berlin (the console's zone), as a timestamp.
fn day_start(field: &str, raw: &str, plus_days: i64) -> ApiResult<Option<prost_types::Timestamp>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::field(field, "must be a date (YYYY-MM-DD)"))?;
    let day = day + chrono::Duration::days(plus_days);
    let at = chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .ok_or_else(|| ApiError::field(field, "must be a date (YYYY-MM-DD)"))?;
    Ok(Some(kit::bus::event::timestamp(at.with_timezone(&chrono::Utc))))
}

fn request(t: &str, f: &Filters) -> ApiResult<pb::ListOrdersRequest> {
    let states = match f.state.as_str() {
        "" => vec![],
        "waiting" => vec![pb::SyncState::Waiting as i32],
        "released" => vec![pb::SyncState::Released as i32],
        "locked" => vec![pb::SyncState::Locked as i32],
        "completed" => vec![pb::SyncState::Completed as i32],
        "not_processed" => vec![pb::SyncState::NotProcessed as i32],
        _ => return Err(ApiError::field("state", "contains an unknown state")),
    };
    let problem = match f.problem.as_str() {
        "" => pb::ProblemFilter::Unspecified,
        "any" => pb::ProblemFilter::Any,
        "error" => pb::ProblemFilter::Error,
        "hint" => pb::ProblemFilter::Hint,
        "none" => pb::ProblemFilter::None,
        _ => return Err(ApiError::field("problem", "is not a known filter")),
    };
    let nr = if f.nr.trim().is_empty() {
        0
    } else {
        f.nr.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::field("nr", "must be a pixi order number"))?
    };
    let mut errors = Vec::new();
    let from = day_start("from", &f.from, 0).map_err(|e| errors.extend(e.fields)).ok().flatten();
    let to = day_start("to", &f.to, 1).map_err(|e| errors.extend(e.fields)).ok().flatten();
    if !errors.is_empty() {
        let mut e = ApiError::field("from", "must be a date (YYYY-MM-DD)");
        e.fields = errors;
        return Err(e);
    }
    Ok(pb::ListOrdersRequest {
        tenant_id: t.to_owned(),
        pixi_api_config_id: String::new(),
        states,
        problem: problem as i32,
        payment_method: f.method.trim().to_owned(),
        updated_from: from,
        updated_to: to,
        page: Some(PageRequest { page_size: 25, page_token: f.page.clone() }),
        order_nr: nr,
    })
}

/// `GET /api/o/{t}/orders?state&problem&method&from&to&nr&page`.
pub async fn list(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    Query(f): Query<Filters>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let req = request(&t.to_string(), &f)?;
    let r = call!(c, &user, dashboard.list_orders, "DashboardService/ListOrders", req).map_err(|mut e| {
        // The gRPC field names of the filters are the page's.
        for (field, _) in &mut e.fields {
            *field = match field.as_str() {
                "updated_from" => "from".into(),
                "updated_to" => "to".into(),
                "order_nr" => "nr".into(),
                "payment_method" => "method".into(),
                other => other.to_owned(),
            };
        }
        e
    })?;
    Ok(Json(json!({
        "orders": r.orders.iter().map(json::order).collect::<Vec<_>>(),
        "next_page": r.page.map(|p| p.next_page_token).unwrap_or_default(),
    })))
}

/// `GET /api/o/{t}/orders/{api}/{nr}`.
pub async fn detail(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path((t, api, nr)): Path<(String, String, i64)>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        dashboard.get_order,
        "DashboardService/GetOrder",
        pb::GetOrderRequest { tenant_id: t.to_string(), pixi_api_config_id: api, order_nr: nr }
    )?;
    Ok(Json(json::order_detail(&r)))
}

#[derive(Deserialize)]
struct NoteBody {
    #[serde(default)]
    note: String,
}

/// `POST /api/o/{t}/orders/{api}/{nr}/solved`: "Problem gelöst" — clears the marks, nothing else.
pub async fn solved(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path((t, api, nr)): Path<(String, String, i64)>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: NoteBody = body(&bytes)?;
    let r = call!(
        c,
        &user,
        dashboard.mark_problem_solved,
        "DashboardService/MarkProblemSolved",
        pb::MarkProblemSolvedRequest {
            tenant_id: t.to_string(),
            pixi_api_config_id: api,
            order_nr: nr,
            solved_by: String::new(),
            note: b.note,
        }
    )?;
    Ok(Json(json!({ "order": r.order.as_ref().map(json::order), "solved_incident_ids": r.solved_incident_ids })))
}

/// `POST /api/o/{t}/orders/{api}/{nr}/retry`: "Erneut versuchen" — pixi-sync tries the order
/// again at once (what pixi refused is sent again), audited.
pub async fn retry(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path((t, api, nr)): Path<(String, String, i64)>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: NoteBody = body(&bytes)?;
    let r = call!(
        c,
        &user,
        dashboard.retry_order,
        "DashboardService/RetryOrder",
        pb::RetryOrderRequest {
            tenant_id: t.to_string(),
            pixi_api_config_id: api,
            order_nr: nr,
            requested_by: String::new(),
            note: b.note,
        }
    )?;
    Ok(Json(json!({ "order": r.order.as_ref().map(json::order), "reopened": r.reopened })))
}

/// `GET /api/orders/{nr}`: the orders with pixi order number `nr` in every organisation the user
/// may see (hotline-api links here knowing only the number).
pub async fn lookup(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(nr): Path<String>,
) -> ApiResult<Json<Value>> {
    let nr: i64 = nr
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::field("nr", "must be a pixi order number"))?;
    let all = call!(c, &user, tenants.list_tenants, "TenantService/ListTenants", pb::ListTenantsRequest {})?;
    let mut found = Vec::new();
    for t in all.tenants.iter().filter(|t| uuid::Uuid::parse_str(&t.tenant_id).is_ok_and(|id| user.may_act_for(id))) {
        let req = pb::ListOrdersRequest { tenant_id: t.tenant_id.clone(), order_nr: nr, ..Default::default() };
        let r = call!(c, &user, dashboard.list_orders, "DashboardService/ListOrders", req)?;
        for o in &r.orders {
            let mut v = json::order(o);
            v["tenant_name"] = json!(t.name);
            found.push(v);
        }
    }
    Ok(Json(json!({ "orders": found })))
}
