//! `payops.pixi_sync.v1.PaymentConfigService` (PX-03 … PX-07): payment configurations keyed
//! by (pixi API configuration, mandant, payment method), copies as drafts, the edit warning,
//! and the write-only, encrypted unzer private key.

use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::payment_config_service_server::PaymentConfigService;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Api, actor, convert, uuid, webhook_secret_aad};
use crate::domain::settings::{Mode, PaymentInput, validate_payment};
use crate::error::{Error, Result};
use crate::store::payment_configs::{self, PaymentConfigRow, key_aad};
use crate::store::{audit, pixi_apis, tenants};
use crate::unzer::{PrivateKey, UnzerError};

/// The service.
pub struct PaymentConfigs {
    api: Api,
}

fn mode(m: i32) -> Option<Mode> {
    match pb::Mode::try_from(m) {
        Ok(pb::Mode::Standard) => Some(Mode::Standard),
        Ok(pb::Mode::Expert) => Some(Mode::Expert),
        _ => None,
    }
}

impl PaymentConfigs {
    /// The service over `api`.
    pub fn new(api: Api) -> Self {
        PaymentConfigs { api }
    }

    async fn owned(&self, tenant_id: Uuid, id: Uuid) -> Result<PaymentConfigRow> {
        payment_configs::get(&self.api.pool, id)
            .await?
            .filter(|c| c.tenant_id == tenant_id)
            .ok_or(Error::NotFound("payment configuration"))
    }

    async fn api_of(&self, tenant_id: Uuid, field: &str, id: &str) -> Result<pixi_apis::PixiApiRow> {
        let id = uuid(field, id)?;
        pixi_apis::get(&self.api.pool, id)
            .await?
            .filter(|a| a.tenant_id == tenant_id)
            .ok_or(Error::NotFound("pixi API configuration"))
    }

    /// Proves the key at unzer and, with a public base URL, registers the webhooks.
    async fn check_key(&self, tenant: &tenants::TenantRow, key: &PrivateKey) -> Result<()> {
        let a = &self.api;
        let secret = a.secrets.open(&tenant.webhook_secret_enc, &webhook_secret_aad(tenant.id))?;
        let result = match a.webhook_url(tenant.id, secret.expose_secret()) {
            Some(url) => a.unzer.register_webhooks(key, &url).await.map(|_| ()),
            None => a.unzer.webhooks(key).await.map(|_| ()),
        };
        match result {
            // An event registered meanwhile by another save is what was wanted.
            Ok(()) | Err(UnzerError::AlreadyDone { .. }) => Ok(()),
            Err(UnzerError::Unauthorized(code)) => {
                Err(Error::refused("UNZER_KEY_REFUSED", format!("unzer refused the private key ({code})")))
            }
            Err(e @ (UnzerError::Transient(_) | UnzerError::Unknown(_) | UnzerError::Contract(_))) => {
                Err(Error::Unavailable(format!("unzer cannot be asked to check the key ({e})")))
            }
            Err(e) => Err(Error::refused("UNZER_KEY_REFUSED", e.to_string())),
        }
    }

    async fn save(&self, r: pb::SavePaymentConfigRequest, by: &str) -> Result<pb::SavePaymentConfigResponse> {
        let a = &self.api;
        let tenant_id = uuid("tenant_id", &r.tenant_id)?;
        let tenant = tenants::get(&a.pool, tenant_id).await?.ok_or(Error::NotFound("tenant"))?;
        let existing = if r.payment_config_id.is_empty() {
            None
        } else {
            Some(self.owned(tenant_id, uuid("payment_config_id", &r.payment_config_id)?).await?)
        };
        let source = if r.copy_from_payment_config_id.is_empty() {
            None
        } else {
            Some(self.owned(tenant_id, uuid("copy_from_payment_config_id", &r.copy_from_payment_config_id)?).await?)
        };
        let input = PaymentInput {
            mandant: r.mandant.clone(),
            payment_method: r.payment_method.clone(),
            invoice_event: r.invoice_booking_event.clone(),
            return_event: r.return_booking_event.clone(),
            xml_tag: r.xml_tag.clone(),
            tolerance_minor: r.rounding_tolerance_minor,
            public_key: r.unzer_public_key.clone(),
            private_key: r.unzer_private_key.clone(),
            mode: mode(r.mode),
        };
        let required = existing.is_none() && source.is_none();
        let settings = validate_payment(&input, required).map_err(Error::Invalid)?;
        let api = self.api_of(tenant_id, "pixi_api_config_id", &r.pixi_api_config_id).await?;
        let id = existing.as_ref().map_or_else(Uuid::now_v7, |e| e.id);
        let (key, changed) = if !r.unzer_private_key.trim().is_empty() {
            (SecretString::from(r.unzer_private_key.trim().to_owned()), true)
        } else if let Some(e) = &existing {
            (a.secrets.open(&e.private_key_enc, &key_aad(e.id))?, false)
        } else if let Some(src) = &source {
            (a.secrets.open(&src.private_key_enc, &key_aad(src.id))?, true)
        } else {
            return Err(Error::refused("PRIVATE_KEY_REQUIRED", "a new configuration needs the unzer private key"));
        };
        let public_changed = existing.as_ref().is_none_or(|e| e.public_key != settings.public_key);
        if changed || public_changed {
            self.check_key(&tenant, &PrivateKey(key.clone())).await?;
        }
        let now = a.clock.now();
        let row = PaymentConfigRow {
            id,
            tenant_id,
            pixi_api_id: api.id,
            mandant: settings.mandant,
            payment_method: settings.payment_method,
            active: r.active,
            invoice_event: settings.invoice_event,
            return_event: settings.return_event,
            xml_tag: settings.xml_tag,
            tolerance_minor: settings.tolerance_minor,
            public_key: settings.public_key,
            private_key_enc: a.secrets.seal(key.expose_secret(), &key_aad(id)),
            mode: settings.mode.as_str().to_owned(),
            copied_from: existing.as_ref().and_then(|e| e.copied_from).or(source.as_ref().map(|s| s.id)),
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
            api_active: api.active,
            processed: existing.as_ref().map_or(0, |e| e.processed),
        };
        let mut tx = a.pool.begin().await?;
        if let Err(e) = payment_configs::upsert(&mut tx, &row).await {
            return Err(if kit::db::is_constraint(&e, "payment_configs_key") {
                Error::AlreadyExists(format!(
                    "a configuration for mandant {} and payment method {} exists on this pixi API configuration",
                    row.mandant, row.payment_method
                ))
            } else {
                e.into()
            });
        }
        let detail = json!({
            "pixi_api_config_id": row.pixi_api_id, "mandant": row.mandant, "payment_method": row.payment_method,
            "active": row.active, "mode": row.mode, "private_key_changed": changed, "copied_from": row.copied_from,
        });
        let action = if existing.is_some() { "update_payment_config" } else { "create_payment_config" };
        audit::record(&mut tx, now, by, action, Some(tenant_id), &id.to_string(), detail).await?;
        tx.commit().await?;
        let mut warnings = Vec::new();
        if row.processed > 0 && existing.is_some() {
            // PX-05: orders processed with the old settings may fail when processed again.
            warnings.push(pb::Warning {
                code: "PROCESSED_ORDERS".into(),
                message: format!(
                    "{} orders were already processed with this configuration; they may run into errors if they are processed again after this change",
                    row.processed
                ),
            });
        }
        let saved = payment_configs::get(&a.pool, id).await?.ok_or(Error::NotFound("payment configuration"))?;
        Ok(pb::SavePaymentConfigResponse { config: Some(convert::payment_config(&saved)), warnings })
    }

    async fn copy(&self, r: pb::CopyPaymentConfigRequest) -> Result<pb::PaymentConfig> {
        let tenant_id = uuid("tenant_id", &r.tenant_id)?;
        let mut v = kit::grpc::status::Violations::new();
        if r.mandant.trim().is_empty() {
            v.add("mandant", "must not be empty");
        }
        if r.payment_method.trim().is_empty() {
            v.add("payment_method", "must not be empty");
        }
        if !v.is_empty() {
            return Err(Error::Invalid(v));
        }
        let source = self.owned(tenant_id, uuid("source_payment_config_id", &r.source_payment_config_id)?).await?;
        let api = self.api_of(tenant_id, "pixi_api_config_id", &r.pixi_api_config_id).await?;
        let taken = payment_configs::list(&self.api.pool, tenant_id, Some(api.id)).await?.into_iter().any(|c| {
            c.mandant.eq_ignore_ascii_case(r.mandant.trim())
                && c.payment_method.eq_ignore_ascii_case(r.payment_method.trim())
        });
        if taken {
            return Err(Error::AlreadyExists(
                "the target (pixi API configuration, mandant, payment method) already has a configuration".into(),
            ));
        }
        let mut draft = convert::payment_config(&source);
        draft.payment_config_id = String::new();
        draft.pixi_api_config_id = api.id.to_string();
        draft.mandant = r.mandant.trim().to_owned();
        draft.payment_method = r.payment_method.trim().to_owned();
        draft.effectively_active = false;
        draft.processed_orders = 0;
        draft.draft = true;
        draft.copied_from_payment_config_id = source.id.to_string();
        draft.created_at = None;
        draft.updated_at = None;
        Ok(draft)
    }
}

#[tonic::async_trait]
impl PaymentConfigService for PaymentConfigs {
    async fn save_payment_config(
        &self,
        req: Request<pb::SavePaymentConfigRequest>,
    ) -> Result<Response<pb::SavePaymentConfigResponse>, Status> {
        let by = actor(&req, "");
        Ok(Response::new(self.save(req.into_inner(), &by).await?))
    }

    async fn copy_payment_config(
        &self,
        req: Request<pb::CopyPaymentConfigRequest>,
    ) -> Result<Response<pb::CopyPaymentConfigResponse>, Status> {
        Ok(Response::new(pb::CopyPaymentConfigResponse { draft: Some(self.copy(req.into_inner()).await?) }))
    }

    async fn get_payment_config(
        &self,
        req: Request<pb::GetPaymentConfigRequest>,
    ) -> Result<Response<pb::GetPaymentConfigResponse>, Status> {
        let r = req.into_inner();
        let tenant_id = uuid("tenant_id", &r.tenant_id)?;
        let c = self.owned(tenant_id, uuid("payment_config_id", &r.payment_config_id)?).await?;
        Ok(Response::new(pb::GetPaymentConfigResponse { config: Some(convert::payment_config(&c)) }))
    }

    async fn list_payment_configs(
        &self,
        req: Request<pb::ListPaymentConfigsRequest>,
    ) -> Result<Response<pb::ListPaymentConfigsResponse>, Status> {
        let r = req.into_inner();
        let tenant_id = uuid("tenant_id", &r.tenant_id)?;
        tenants::get(&self.api.pool, tenant_id).await.map_err(Error::from)?.ok_or(Error::NotFound("tenant"))?;
        let api = if r.pixi_api_config_id.is_empty() {
            None
        } else {
            Some(uuid("pixi_api_config_id", &r.pixi_api_config_id)?)
        };
        let rows = payment_configs::list(&self.api.pool, tenant_id, api).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListPaymentConfigsResponse {
            configs: rows.iter().map(convert::payment_config).collect(),
        }))
    }
}
