//! What the console shows besides orders (CN-06): the three-way reconciliation's mismatches
//! (PX-44) and the configuration problems found in pixi (PX-26), each entry linking to its
//! order or configuration; the reconciliation on demand.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::dashboard_service_server::DashboardService;
use proto::payops::pixi_sync::v1::payment_config_service_server::PaymentConfigService;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantService;
use serde_json::{Value, json};

use super::tenant;
use crate::console::Console;
use crate::console::error::ApiResult;
use crate::console::gate::call;
use crate::console::json;
use crate::console::session::Session;

/// `GET /api/o/{t}/config-problems`: PX-26 problems, each with the configuration it concerns.
pub async fn config_problems(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        dashboard.list_config_problems,
        "DashboardService/ListConfigProblems",
        pb::ListConfigProblemsRequest { tenant_id: t.to_string() }
    )?;
    let configs = call!(
        c,
        &user,
        configs.list_payment_configs,
        "PaymentConfigService/ListPaymentConfigs",
        pb::ListPaymentConfigsRequest { tenant_id: t.to_string(), pixi_api_config_id: String::new() }
    )?;
    let list: Vec<Value> = r
        .problems
        .iter()
        .map(|p| {
            let mut v = json::config_problem(p);
            let config = configs.configs.iter().find(|c| {
                c.pixi_api_config_id == p.pixi_api_config_id && c.payment_method.eq_ignore_ascii_case(&p.payment_method)
            });
            v["payment_config_id"] = json!(config.map(|c| c.payment_config_id.clone()));
            v
        })
        .collect();
    Ok(Json(json!({ "problems": list })))
}

/// `GET /api/o/{t}/mismatches`: the latest run of every pixi API configuration and its mismatches.
pub async fn mismatches(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let apis = call!(
        c,
        &user,
        tenants.list_pixi_api_configs,
        "TenantService/ListPixiApiConfigs",
        pb::ListPixiApiConfigsRequest { tenant_id: t.to_string() }
    )?;
    let mut runs = Vec::new();
    for a in &apis.configs {
        let r = call!(
            c,
            &user,
            dashboard.list_mismatches,
            "DashboardService/ListMismatches",
            pb::ListMismatchesRequest {
                tenant_id: t.to_string(),
                pixi_api_config_id: a.pixi_api_config_id.clone(),
                run_id: String::new(),
            }
        );
        match r {
            Ok(r) => runs.push(json!({
                "pixi_api": json::pixi_api(a),
                "run": r.run.as_ref().map(json::run),
                "mismatches": r.mismatches.iter().map(json::mismatch).collect::<Vec<_>>(),
            })),
            Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
                runs.push(json!({ "pixi_api": json::pixi_api(a), "run": null, "mismatches": [] }));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Json(json!({ "runs": runs })))
}

/// `POST /api/o/{t}/reconcile`: runs the three-way check now.
pub async fn reconcile(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        dashboard.run_reconciliation,
        "DashboardService/RunReconciliation",
        pb::RunReconciliationRequest { tenant_id: t.to_string(), pixi_api_config_id: String::new() }
    )?;
    Ok(Json(json!({
        "runs": r.runs.iter().map(json::run).collect::<Vec<_>>(),
        "mismatches": r.mismatches.iter().map(json::mismatch).collect::<Vec<_>>(),
    })))
}

/// `GET /api/o/{t}/status`: how the app works for the tenant — open tenant-level incidents, pixi
/// calls per minute, the mail queue, whether unzer can reach the app (PUBLIC_BASE_URL).
pub async fn status(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    c.gate.allow(&user, "DashboardService/ListConfigProblems")?;
    let s = crate::console::status::of_tenant(&c.api, t).await?;
    Ok(Json(s))
}
