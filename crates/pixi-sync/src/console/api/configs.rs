//! The Konfigurations-Center (CN-04): payment configurations per (pixi API, Mandant, Zahlart),
//! created in the seed's order, edited with the warning about processed orders, copied as a
//! draft that must be saved.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::payment_config_service_server::PaymentConfigService;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{body, int, tenant};
use crate::console::Console;
use crate::console::error::ApiResult;
use crate::console::gate::call;
use crate::console::json;
use crate::console::session::Session;

/// `GET /api/o/{t}/configs`: every configuration, with the mandants already configured (pixi's
/// API has no call that lists mandants: they are typed, with these as suggestions).
pub async fn list(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        configs.list_payment_configs,
        "PaymentConfigService/ListPaymentConfigs",
        pb::ListPaymentConfigsRequest { tenant_id: t.to_string(), pixi_api_config_id: String::new() }
    )?;
    let mut mandants: Vec<String> = r.configs.iter().map(|c| c.mandant.clone()).collect();
    mandants.sort();
    mandants.dedup();
    Ok(Json(json!({ "configs": r.configs.iter().map(json::payment_config).collect::<Vec<_>>(), "mandants": mandants })))
}

/// `GET /api/o/{t}/configs/{id}`.
pub async fn get(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path((t, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let r = call!(
        c,
        &user,
        configs.get_payment_config,
        "PaymentConfigService/GetPaymentConfig",
        pb::GetPaymentConfigRequest { tenant_id: t.to_string(), payment_config_id: id }
    )?;
    Ok(Json(json!({ "config": r.config.as_ref().map(json::payment_config) })))
}

#[derive(Deserialize)]
struct ConfigBody {
    #[serde(default)]
    id: String,
    #[serde(default)]
    pixi_api_id: String,
    #[serde(default)]
    mandant: String,
    #[serde(default)]
    payment_method: String,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    invoice_booking_event: String,
    #[serde(default)]
    return_booking_event: String,
    #[serde(default)]
    xml_tag: String,
    #[serde(default)]
    rounding_tolerance_minor: String,
    #[serde(default)]
    unzer_public_key: String,
    #[serde(default)]
    unzer_private_key: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    copy_from: String,
}

/// `POST /api/o/{t}/configs`: creates (no id), updates, or saves a copied draft (`copy_from`).
pub async fn save(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: ConfigBody = body(&bytes)?;
    let tolerance = if b.rounding_tolerance_minor.trim().is_empty() {
        0
    } else {
        int("rounding_tolerance_minor", &b.rounding_tolerance_minor)?
    };
    let mode = match b.mode.as_str() {
        "standard" => pb::Mode::Standard,
        "expert" => pb::Mode::Expert,
        _ => pb::Mode::Unspecified,
    };
    let r = call!(
        c,
        &user,
        configs.save_payment_config,
        "PaymentConfigService/SavePaymentConfig",
        pb::SavePaymentConfigRequest {
            payment_config_id: b.id,
            tenant_id: t.to_string(),
            pixi_api_config_id: b.pixi_api_id,
            mandant: b.mandant,
            payment_method: b.payment_method,
            active: b.active,
            invoice_booking_event: b.invoice_booking_event,
            return_booking_event: b.return_booking_event,
            xml_tag: b.xml_tag,
            rounding_tolerance_minor: tolerance,
            unzer_public_key: b.unzer_public_key,
            unzer_private_key: b.unzer_private_key,
            mode: mode as i32,
            copy_from_payment_config_id: b.copy_from,
        }
    )?;
    let warnings: Vec<Value> = r
        .warnings
        .iter()
        .map(|w| {
            let text = if w.code == "PROCESSED_ORDERS" {
                format!(
                    "Mit dieser Konfiguration wurden bereits {} Bestellungen bearbeitet. Diese können nach der Änderung einen Fehler hervorrufen, wenn sie nochmal bearbeitet werden müssen.",
                    r.config.as_ref().map_or(0, |c| c.processed_orders)
                )
            } else {
                w.message.clone()
            };
            json!({ "code": w.code, "message": text })
        })
        .collect();
    Ok(Json(json!({ "config": r.config.as_ref().map(json::payment_config), "warnings": warnings })))
}

#[derive(Deserialize)]
struct CopyBody {
    #[serde(default)]
    source: String,
    #[serde(default)]
    pixi_api_id: String,
    #[serde(default)]
    mandant: String,
    #[serde(default)]
    payment_method: String,
}

/// `POST /api/o/{t}/configs/copy`: an unsaved draft ("Das Speichern ist notwendig!").
pub async fn copy(
    State(c): State<Arc<Console>>,
    Session(user): Session,
    Path(t): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let t = tenant(&user, &t)?;
    let b: CopyBody = body(&bytes)?;
    let r = call!(
        c,
        &user,
        configs.copy_payment_config,
        "PaymentConfigService/CopyPaymentConfig",
        pb::CopyPaymentConfigRequest {
            tenant_id: t.to_string(),
            source_payment_config_id: b.source,
            pixi_api_config_id: b.pixi_api_id,
            mandant: b.mandant,
            payment_method: b.payment_method,
        }
    )?;
    Ok(Json(json!({ "draft": r.draft.as_ref().map(json::payment_config) })))
}
