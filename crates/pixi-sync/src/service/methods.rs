//! PX-26 and CT-05 problems of a pixi installation found while discovering orders: configured
//! payment methods pixi does not know or imports not on HOLD, and answers that break their
//! contract; both are configuration problems on the dashboard naming what is wrong.

use chrono::{DateTime, Utc};

use super::Worker;
use super::api::{ApiCtx, PassError, after};
use crate::store::sync_state;

/// PX-26: a configured payment method pixi does not know, or whose orders pixi imports with
/// another initial status than HAL (HOLD: `IniOrderStatus` of `pixiGetPaymenttypes`), is a
/// configuration error on the dashboard naming the method. Whether a method behaves like a
/// credit-card method or marks documents paid by itself is not in pixi's API: the preflight
/// warns about it, and a document pixi marked paid is flagged per order (`PAID_BY_PIXI`).
pub(super) async fn check_methods(w: &Worker, ctx: &ApiCtx, now: DateTime<Utc>) -> Result<(), PassError> {
    let i = &w.0;
    let pixi_methods = ctx.pixi.payment_methods().await?;
    for method in ctx.methods() {
        let mut codes = Vec::new();
        match pixi_methods.iter().find(|p| p.code.eq_ignore_ascii_case(&method)) {
            None => codes.push(("METHOD_UNKNOWN", format!("payment method {method} does not exist in pixi"))),
            Some(p) if p.ini_status != "HAL" => codes.push((
                "INITIAL_STATUS",
                format!(
                    "pixi imports orders of payment method {method} with status {} instead of HAL (HOLD): they can be \
                     shipped before pixi-sync checked the payment; ask pixi support to set the method's initial order \
                     status (IniOrderStatus) to HAL",
                    p.ini_status
                ),
            )),
            Some(_) => {}
        }
        for (code, message) in &codes {
            let new =
                sync_state::config_problem(&i.pool, ctx.api.tenant_id, ctx.api.id, &method, code, message, now).await?;
            if new {
                tracing::warn!(pixi_api = %ctx.api.id, method = %method, code, "configuration problem in pixi");
            }
        }
        let keep: Vec<String> = codes.iter().map(|(c, _)| (*c).to_owned()).collect();
        sync_state::resolve_config_problems(&i.pool, ctx.api.id, &method, &keep, now).await?;
    }
    sync_state::set_next(&i.pool, ctx.api.id, "next_method_check_at", after(now, i.settings.method_check_interval))
        .await?;
    Ok(())
}

/// CT-05: an answer of pixi that lacks a column the logic needs is a configuration problem of
/// the installation, raised once per call (it shows on the dashboard until the call answers
/// completely again), besides the violation metric the adapter counted.
pub(super) async fn contract_problem(w: &Worker, ctx: &ApiCtx, e: &kit::contract::ContractError) {
    let code = format!("CONTRACT_{}", e.operation);
    let message = format!(
        "pixi's answer to {} breaks its contract: {} {}; pixi-sync cannot work with this installation until it \
         answers with that column (see the preflight)",
        e.operation, e.field, e.problem
    );
    let now = w.0.clock.now();
    match sync_state::config_problem(&w.0.pool, ctx.api.tenant_id, ctx.api.id, "", &code, &message, now).await {
        Ok(true) => {
            tracing::error!(pixi_api = %ctx.api.id, call = e.operation, field = %e.field, "pixi answer breaks its contract")
        }
        Ok(false) => {}
        Err(db) => tracing::warn!(error = %db, "cannot record the contract problem"),
    }
}
