//! Preflight (CT-06): per tenant, read-only, against the configured real endpoints, what
//! pixi-sync needs from pixi ([`pixi`]: credentials, revision, calls installed, columns
//! present, payment methods, what pixi's API cannot show, clock) and from unzer per payment
//! configuration (`crate::unzer::preflight`: key accepted, key pair, webhooks, clock). Nothing
//! here moves money or writes to a partner. Run as `payops-pixi-sync preflight [<tenant id>]`
//! (prints one table per tenant, exit 1 when a check failed) and over gRPC
//! (`TenantService.Preflight`).

pub mod pixi;

use std::process::ExitCode;

use chrono_tz::Tz;
use kit::clock::SharedClock;
use kit::outbound::Outbound;
use kit::preflight::Report;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::quiet::QuietWindow;
use crate::error::Error;
use crate::pixi::{Caps, PixiClient, PixiTarget};
use crate::secrets::SecretBox;
use crate::store::{payment_configs, pixi_apis, tenants};
use crate::unzer::{PrivateKey, UnzerClient};

/// What a preflight needs: the service's database, secrets and partner clients.
#[derive(Clone)]
pub struct Preflight {
    /// Pool on the service schema.
    pub pool: PgPool,
    /// Secrets at rest.
    pub secrets: SecretBox,
    /// The outbound client for pixi.
    pub pixi_http: Outbound,
    /// The unzer client.
    pub unzer: UnzerClient,
    /// The clock.
    pub clock: SharedClock,
    /// Quiet window (nothing is sent to pixi inside it).
    pub quiet: QuietWindow,
    /// Public base URL (the webhook URL unzer calls).
    pub public_base_url: Option<String>,
}

impl Preflight {
    /// The report of one tenant: every active pixi API configuration, then the unzer side of
    /// every payment configuration on it.
    pub async fn tenant(&self, tenant_id: Uuid) -> Result<Report, Error> {
        let tenant = tenants::get(&self.pool, tenant_id).await?.ok_or(Error::NotFound("tenant"))?;
        let mut report = Report::new(format!("pixi-sync tenant {} ({})", tenant.name, tenant.id));
        let now = self.clock.now();
        let apis: Vec<_> =
            pixi_apis::of_tenant(&self.pool, tenant_id).await?.into_iter().filter(|a| a.active).collect();
        if apis.is_empty() {
            report.fail("pixi API configuration", "none active", "save and activate a pixi API configuration");
            return Ok(report);
        }
        // Whatever the payment configurations: without it unzer cannot tell pixi-sync that money
        // arrived, and a prepayment waits for the next look at its order.
        match &self.public_base_url {
            Some(url) => report.ok("unzer reaches pixi-sync (PUBLIC_BASE_URL)", format!("webhooks go to {url}/unzer/webhooks/…")),
            None => report.warn(
                "unzer reaches pixi-sync (PUBLIC_BASE_URL)",
                "PUBLIC_BASE_URL is unset: no unzer webhooks are registered, so a prepayment's money is seen only at the next look at its order — up to 10 minutes later",
                "set PUBLIC_BASE_URL to how the internet reaches pixi-sync's public port, then save each payment configuration again (that registers the webhooks)",
            ),
        }
        let secret = self.secrets.open(&tenant.webhook_secret_enc, &crate::grpc::webhook_secret_aad(tenant.id))?;
        let webhook_url = crate::grpc::webhook_url(self.public_base_url.as_deref(), tenant.id, secret.expose_secret());
        for api in apis {
            let password = self.secrets.open(&api.password_enc, &crate::grpc::pixi_password_aad(api.id))?;
            let tz: Tz = api.timezone.parse().map_err(|_| Error::Corrupt(format!("time zone {}", api.timezone)))?;
            let target = PixiTarget { endpoint: api.endpoint.clone(), user: api.username.clone(), password, tz };
            let client =
                PixiClient::new(self.pixi_http.clone(), target, self.clock.clone(), self.quiet, Caps::default());
            let configs: Vec<_> =
                payment_configs::effective(&self.pool, api.id).await?.into_iter().filter(|c| c.active).collect();
            pixi::check(&client, &api.name, &configs, now, &mut report).await;
            for cfg in &configs {
                let key = PrivateKey(self.secrets.open(&cfg.private_key_enc, &payment_configs::key_aad(cfg.id))?);
                let mut unzer = Report::new("unzer");
                let t = crate::unzer::preflight::Target {
                    key: &key,
                    public_key: &cfg.public_key,
                    webhook_url: webhook_url.as_deref(),
                };
                crate::unzer::preflight::check(&self.unzer, &t, now, &mut unzer).await;
                for mut c in unzer.checks {
                    c.check = format!("{} {}: {}", cfg.mandant, cfg.payment_method, c.check);
                    report.checks.push(c);
                }
            }
        }
        Ok(report)
    }
}

/// `payops-pixi-sync preflight [<tenant id>]`: the service's environment, its database (not
/// migrated: the service runs), one table per tenant; exit 1 when a check failed, 2 on a
/// configuration error.
pub async fn command(env: &kit::config::Env, tenant: Option<String>) -> ExitCode {
    let config = match crate::config::Config::from_env(env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let clock = match kit::clock::from_env(env).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(config, clock, tenant).await {
        Ok(reports) => {
            for r in &reports {
                println!("{}", r.table());
            }
            if reports.iter().all(Report::passed) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("preflight: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: crate::config::Config, clock: SharedClock, tenant: Option<String>) -> Result<Vec<Report>, String> {
    let pool = kit::db::connect_lazy(&config.common.db).map_err(|e| e.to_string())?;
    let secrets = SecretBox::from_key(&config.secret_key).map_err(|e| format!("PIXI_SYNC_SECRET_KEY: {e}"))?;
    let out = |system, timeout| {
        Outbound::new(system, &kit::outbound::OutboundConfig::with_timeout(timeout)).map_err(|e| e.to_string())
    };
    let p = Preflight {
        pool,
        secrets,
        pixi_http: out("pixi", config.pixi_timeout)?,
        unzer: UnzerClient::new(
            out("unzer", config.unzer_timeout)?,
            &config.unzer_sandbox_base_url,
            &config.unzer_production_base_url,
        ),
        clock,
        quiet: config.quiet_window,
        public_base_url: config.public_base_url.clone(),
    };
    let ids: Vec<Uuid> = match tenant {
        Some(t) => vec![t.parse().map_err(|_| format!("tenant id {t:?} is not a UUID"))?],
        None => tenants::list(&p.pool).await.map_err(|e| e.to_string())?.into_iter().map(|t| t.id).collect(),
    };
    let mut reports = Vec::new();
    for id in ids {
        reports.push(p.tenant(id).await.map_err(|e| e.to_string())?);
    }
    Ok(reports)
}
