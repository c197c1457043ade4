//! `payops.pixi_sync.v1.TenantService`: tenants, pixi API configurations (PX-01), SMTP
//! configuration and test mail (PX-02), error-page links (PX-31).

use chrono_tz::Tz;
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantService;
use secrecy::SecretString;
use serde_json::json;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Api, actor, convert, pixi_password_aad, smtp_password_aad, uuid, webhook_secret_aad};
use crate::domain::settings::{PixiApiInput, SmtpInput, TlsMode, validate_pixi_api, validate_smtp};
use crate::error::{Error, Result};
use crate::pixi::{Caps, PixiClient, PixiError, PixiTarget};
use crate::secrets::{token, token_hash};
use crate::store::{audit, pixi_apis, smtp, tenants};

/// PX-01: at most two pixi API configurations per tenant.
pub const MAX_PIXI_APIS: i64 = 2;

/// The service.
pub struct Tenants {
    api: Api,
}

impl Tenants {
    /// The service over `api`.
    pub fn new(api: Api) -> Self {
        Tenants { api }
    }

    async fn tenant(&self, id: &str) -> Result<tenants::TenantRow> {
        let id = uuid("tenant_id", id)?;
        tenants::get(&self.api.pool, id).await?.ok_or(Error::NotFound("tenant"))
    }

    async fn create(&self, name: &str, by: &str) -> Result<pb::CreateTenantResponse> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Error::invalid("name", "must be 1 to 100 characters without control characters"));
        }
        let a = &self.api;
        let id = Uuid::now_v7();
        let secret = token();
        let page = token();
        let now = a.clock.now();
        let mut tx = a.pool.begin().await?;
        let inserted = tenants::insert(
            &mut tx,
            id,
            name,
            &a.secrets.seal(&secret, &webhook_secret_aad(id)),
            &token_hash(&page),
            now,
        )
        .await;
        if let Err(e) = inserted {
            return Err(if kit::db::is_constraint(&e, "tenants_name_key") {
                Error::AlreadyExists(format!("a tenant named {name:?} exists"))
            } else {
                e.into()
            });
        }
        audit::record(&mut tx, now, by, "create_tenant", Some(id), &id.to_string(), json!({ "name": name })).await?;
        tx.commit().await?;
        let t = tenants::get(&a.pool, id).await?.ok_or(Error::NotFound("tenant"))?;
        Ok(pb::CreateTenantResponse { tenant: Some(convert::tenant(&t)), error_page_url: a.error_page_url(&page) })
    }

    async fn save_pixi(&self, r: pb::SavePixiApiConfigRequest, by: &str) -> Result<pb::PixiApiConfig> {
        let a = &self.api;
        let tenant = self.tenant(&r.tenant_id).await?;
        let existing = if r.pixi_api_config_id.is_empty() {
            None
        } else {
            let id = uuid("pixi_api_config_id", &r.pixi_api_config_id)?;
            let row = pixi_apis::get(&a.pool, id).await?.filter(|x| x.tenant_id == tenant.id);
            Some(row.ok_or(Error::NotFound("pixi API configuration"))?)
        };
        let input = PixiApiInput {
            name: r.name.clone(),
            endpoint: r.endpoint.clone(),
            user: r.user.clone(),
            password: r.password.clone(),
            timezone: r.timezone.clone(),
        };
        let settings = validate_pixi_api(&input, existing.is_none()).map_err(Error::Invalid)?;
        if existing.is_none() && tenant.pixi_apis >= MAX_PIXI_APIS {
            return Err(limit());
        }
        let id = existing.as_ref().map_or_else(Uuid::now_v7, |e| e.id);
        let password = if r.password.is_empty() {
            let stored = existing.as_ref().map(|e| e.password_enc.clone()).unwrap_or_default();
            a.secrets.open(&stored, &pixi_password_aad(id))?
        } else {
            SecretString::from(r.password.clone())
        };
        // PX-01: credentials must pass a test call before an active configuration uses them. An
        // inactive one is not used, so switching a tenant off works while pixi is down; switching
        // it on again tests the credentials then.
        if r.active {
            test_call(a, tenant.id, &settings.endpoint, &settings.user, password.clone(), settings.timezone).await?;
        }
        let now = a.clock.now();
        let row = pixi_apis::PixiApiRow {
            id,
            tenant_id: tenant.id,
            name: settings.name,
            endpoint: settings.endpoint,
            username: settings.user,
            password_enc: a.secrets.seal(secrecy::ExposeSecret::expose_secret(&password), &pixi_password_aad(id)),
            active: r.active,
            timezone: settings.timezone.name().to_owned(),
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
        };
        let mut tx = a.pool.begin().await?;
        tenants::lock(&mut tx, tenant.id).await?;
        if existing.is_none() && pixi_apis::count(&mut tx, tenant.id).await? >= MAX_PIXI_APIS {
            return Err(limit());
        }
        if let Err(e) = pixi_apis::upsert(&mut tx, &row).await {
            return Err(if kit::db::is_constraint(&e, "pixi_apis_name_key") {
                Error::AlreadyExists(format!("the tenant already has a pixi API configuration named {:?}", row.name))
            } else {
                e.into()
            });
        }
        let detail = json!({ "name": row.name, "endpoint": row.endpoint, "user": row.username, "active": row.active,
            "password_changed": !r.password.is_empty(), "tested": r.active });
        let action = if existing.is_some() { "update_pixi_api" } else { "create_pixi_api" };
        audit::record(&mut tx, now, by, action, Some(tenant.id), &id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(convert::pixi_api(&row))
    }

    async fn save_smtp(&self, r: pb::SaveSmtpConfigRequest, by: &str) -> Result<pb::SmtpConfig> {
        let a = &self.api;
        let tenant = self.tenant(&r.tenant_id).await?;
        let tls = match pb::SmtpTlsMode::try_from(r.tls_mode) {
            Ok(pb::SmtpTlsMode::None) => Some(TlsMode::None),
            Ok(pb::SmtpTlsMode::Starttls) => Some(TlsMode::StartTls),
            Ok(pb::SmtpTlsMode::Implicit) => Some(TlsMode::Implicit),
            _ => None,
        };
        let input = SmtpInput {
            host: r.host.clone(),
            port: r.port,
            tls,
            user: r.user.clone(),
            sender: r.sender.clone(),
            recipient: r.recipient.clone(),
        };
        let s = validate_smtp(&input).map_err(Error::Invalid)?;
        let existing = smtp::get(&a.pool, tenant.id).await?;
        let password_enc = if r.password.is_empty() {
            existing.as_ref().and_then(|e| e.password_enc.clone())
        } else {
            Some(a.secrets.seal(&r.password, &smtp_password_aad(tenant.id)))
        };
        let now = a.clock.now();
        let row = smtp::SmtpRow {
            tenant_id: tenant.id,
            host: s.host,
            port: i32::from(s.port),
            tls_mode: s.tls.as_str().to_owned(),
            username: s.user,
            password_enc,
            sender: s.sender,
            recipient: s.recipient,
            updated_at: now,
        };
        let mut tx = a.pool.begin().await?;
        smtp::upsert(&mut tx, &row).await?;
        // Errors raised before there was a configuration are mailed now (PX-32).
        let waiting = crate::store::incidents::arm_waiting_mails(&mut tx, tenant.id, now).await?
            + crate::store::api_incidents::arm_waiting_mails(&mut tx, tenant.id, now).await?;
        let detail = json!({ "host": row.host, "port": row.port, "tls": row.tls_mode, "password_changed": !r.password.is_empty(),
            "waiting_mails": waiting });
        audit::record(&mut tx, now, by, "save_smtp", Some(tenant.id), &tenant.id.to_string(), detail).await?;
        tx.commit().await?;
        Ok(convert::smtp(&row))
    }

    async fn test_mail(&self, tenant_id: &str) -> Result<pb::SendTestMailResponse> {
        let a = &self.api;
        let tenant = self.tenant(tenant_id).await?;
        let cfg = smtp::get(&a.pool, tenant.id)
            .await?
            .ok_or_else(|| Error::refused("SMTP_NOT_CONFIGURED", "the tenant has no SMTP configuration"))?;
        let target = crate::service::mail_target(&a.worker, &cfg)?;
        let subject = format!("[payops unzer] Test-E-Mail / test mail ({})", tenant.name);
        let body = "Diese Test-E-Mail bestätigt die E-Mail-Konfiguration von payops pixi-sync.\n\
                    This test mail confirms the e-mail configuration of payops pixi-sync.\n";
        a.mailer
            .send(&target, &subject, body)
            .await
            .map_err(|e| Error::refused("SMTP_SEND_FAILED", format!("the test mail was not accepted: {e}")))?;
        Ok(pb::SendTestMailResponse { recipient: cfg.recipient, subject })
    }
}

fn limit() -> Error {
    Error::refused("PIXI_API_CONFIG_LIMIT", format!("a tenant has at most {MAX_PIXI_APIS} pixi API configurations"))
}

/// PX-01 test call (`pixiGetPaymenttypes`); refused credentials are not stored.
async fn test_call(a: &Api, tenant: Uuid, endpoint: &str, user: &str, password: SecretString, tz: Tz) -> Result<()> {
    let client = PixiClient::new(
        a.pixi_http.clone(),
        PixiTarget { endpoint: endpoint.to_owned(), user: user.to_owned(), password, tz },
        a.clock.clone(),
        a.quiet,
        Caps::default(),
    )
    .with_meter(tenant, a.worker.0.pixi_calls.clone());
    match client.payment_methods().await {
        Ok(_) => Ok(()),
        Err(PixiError::QuietWindow) => Err(Error::refused(
            "QUIET_WINDOW",
            "no request goes to pixi between 00:00 and 04:00 local time; save the configuration later",
        )),
        Err(PixiError::Unauthorized) => {
            Err(Error::refused("PIXI_CREDENTIALS_REFUSED", "the pixi SOAP API refused the user and password"))
        }
        Err(PixiError::Refused { message, .. }) => {
            Err(Error::refused("PIXI_CREDENTIALS_REFUSED", format!("the test call against pixi failed: {message}")))
        }
        Err(e @ PixiError::Contract(_)) => {
            Err(Error::refused("PIXI_ANSWER_INCOMPLETE", format!("pixi's answer to the test call is incomplete: {e}")))
        }
        Err(e @ (PixiError::Transient(_) | PixiError::Unknown(_))) => {
            Err(Error::Unavailable(format!("pixi cannot be reached for the test call ({e}); nothing saved")))
        }
    }
}

#[tonic::async_trait]
impl TenantService for Tenants {
    async fn create_tenant(
        &self,
        req: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        // SE-03: a caller bound to some tenants cannot make itself a new one.
        if let Ok(p) = kit::grpc::caller(&req)
            && p.tenants != kit::grpc::Tenants::All
        {
            return Err(kit::grpc::status::refused(
                tonic::Code::PermissionDenied,
                "TENANT_NOT_ALLOWED",
                "payops",
                format!("caller {:?} acts for named tenants only and cannot create one", p.subject),
            ));
        }
        let by = actor(&req, "");
        Ok(Response::new(self.create(&req.into_inner().name, &by).await?))
    }

    async fn get_tenant(&self, req: Request<pb::GetTenantRequest>) -> Result<Response<pb::GetTenantResponse>, Status> {
        let t = self.tenant(&req.into_inner().tenant_id).await?;
        Ok(Response::new(pb::GetTenantResponse { tenant: Some(convert::tenant(&t)) }))
    }

    async fn list_tenants(
        &self,
        req: Request<pb::ListTenantsRequest>,
    ) -> Result<Response<pb::ListTenantsResponse>, Status> {
        let all = tenants::list(&self.api.pool).await.map_err(Error::from)?;
        // SE-03: a caller sees the tenants it may act for.
        let caller = kit::grpc::caller(&req).ok();
        let visible = all.iter().filter(|t| caller.is_none_or(|p| p.may_act_for(&t.id.to_string())));
        Ok(Response::new(pb::ListTenantsResponse { tenants: visible.map(convert::tenant).collect() }))
    }

    async fn save_pixi_api_config(
        &self,
        req: Request<pb::SavePixiApiConfigRequest>,
    ) -> Result<Response<pb::SavePixiApiConfigResponse>, Status> {
        let by = actor(&req, "");
        let config = self.save_pixi(req.into_inner(), &by).await?;
        Ok(Response::new(pb::SavePixiApiConfigResponse { config: Some(config) }))
    }

    async fn list_pixi_api_configs(
        &self,
        req: Request<pb::ListPixiApiConfigsRequest>,
    ) -> Result<Response<pb::ListPixiApiConfigsResponse>, Status> {
        let t = self.tenant(&req.into_inner().tenant_id).await?;
        let rows = pixi_apis::of_tenant(&self.api.pool, t.id).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListPixiApiConfigsResponse { configs: rows.iter().map(convert::pixi_api).collect() }))
    }

    async fn preflight(&self, req: Request<pb::PreflightRequest>) -> Result<Response<pb::PreflightResponse>, Status> {
        let t = self.tenant(&req.into_inner().tenant_id).await?;
        let report = self.api.preflight().tenant(t.id).await?;
        Ok(Response::new(pb::PreflightResponse { report: Some(report.to_proto()) }))
    }

    async fn list_pixi_payment_methods(
        &self,
        req: Request<pb::ListPixiPaymentMethodsRequest>,
    ) -> Result<Response<pb::ListPixiPaymentMethodsResponse>, Status> {
        let r = req.into_inner();
        let t = self.tenant(&r.tenant_id).await?;
        let id = uuid("pixi_api_config_id", &r.pixi_api_config_id)?;
        let api = pixi_apis::get(&self.api.pool, id)
            .await
            .map_err(Error::from)?
            .filter(|a| a.tenant_id == t.id)
            .ok_or(Error::NotFound("pixi API configuration"))?;
        let ctx = crate::service::api_context(&self.api.worker, api).await?;
        let methods = ctx.pixi.payment_methods().await.map_err(|e| match e {
            PixiError::QuietWindow => {
                Error::refused("QUIET_WINDOW", "no request goes to pixi between 00:00 and 04:00 local time")
            }
            other => Error::Unavailable(other.to_string()),
        })?;
        Ok(Response::new(pb::ListPixiPaymentMethodsResponse {
            methods: methods
                .into_iter()
                .map(|m| pb::PixiPaymentMethod {
                    code: m.code,
                    xml_tag: m.xml_tag,
                    text: m.text,
                    initial_status: m.ini_status,
                })
                .collect(),
        }))
    }

    async fn save_smtp_config(
        &self,
        req: Request<pb::SaveSmtpConfigRequest>,
    ) -> Result<Response<pb::SaveSmtpConfigResponse>, Status> {
        let by = actor(&req, "");
        let config = self.save_smtp(req.into_inner(), &by).await?;
        Ok(Response::new(pb::SaveSmtpConfigResponse { config: Some(config) }))
    }

    async fn get_smtp_config(
        &self,
        req: Request<pb::GetSmtpConfigRequest>,
    ) -> Result<Response<pb::GetSmtpConfigResponse>, Status> {
        let t = self.tenant(&req.into_inner().tenant_id).await?;
        let row =
            smtp::get(&self.api.pool, t.id).await.map_err(Error::from)?.ok_or(Error::NotFound("SMTP configuration"))?;
        Ok(Response::new(pb::GetSmtpConfigResponse { config: Some(convert::smtp(&row)) }))
    }

    async fn send_test_mail(
        &self,
        req: Request<pb::SendTestMailRequest>,
    ) -> Result<Response<pb::SendTestMailResponse>, Status> {
        Ok(Response::new(self.test_mail(&req.into_inner().tenant_id).await?))
    }

    async fn rotate_error_page_link(
        &self,
        req: Request<pb::RotateErrorPageLinkRequest>,
    ) -> Result<Response<pb::RotateErrorPageLinkResponse>, Status> {
        let by = actor(&req, "");
        let t = self.tenant(&req.into_inner().tenant_id).await?;
        let page = token();
        let now = self.api.clock.now();
        let mut tx = self.api.pool.begin().await.map_err(Error::from)?;
        tenants::set_token_hash(&mut tx, t.id, &token_hash(&page)).await.map_err(Error::from)?;
        audit::record(&mut tx, now, &by, "rotate_error_page_link", Some(t.id), &t.id.to_string(), json!({}))
            .await
            .map_err(Error::from)?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pb::RotateErrorPageLinkResponse { error_page_url: self.api.error_page_url(&page) }))
    }
}
