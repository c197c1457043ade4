//! Seeding a running platform with what the cross-service flows need, through the services'
//! own gRPC APIs (and the sandbox admin API for the partners' side): a pixi-sync tenant on a
//! sandbox pixi installation with an unzer merchant, payment configurations and SMTP;
//! terminal-gateway's Nets credentials and terminals; an invoice-checks manual-payment merchant
//! and offer. Every step tolerates "already there", so seeding twice is harmless.

use anyhow::Context;
use proto::payops::common::v1::Money;
use proto::payops::invoice_checks::v1 as ic;
use proto::payops::invoice_checks::v1::manual_payment_service_client::ManualPaymentServiceClient;
use proto::payops::pixi_sync::v1 as px;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use proto::payops::terminal_gateway::v1 as tg;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use sandbox::System;
use sandbox::nets::NetsTerminalSeed;
use sandbox::pixi::CreateUser;
use sandbox::unzer::NewMerchant;
use tonic::Code;

use super::{Platform, Service};

/// What to seed. [`SeedOptions::default`] gives a pixi installation `payops-shop` (mandant
/// `DEM`, the sandbox's default payment methods, standard mode), the Nets account `payops-pos`
/// with terminals `T-1` and `T-2`, and the manual-payment merchant `mm-cash` with offer
/// `offer-course`.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// pixi-sync tenant name.
    pub tenant_name: String,
    /// pixi API user at the sandbox (created when missing) and its password.
    pub pixi_user: (String, String),
    /// unzer keys (private, public); the merchant is created when missing.
    pub unzer_keys: (String, String),
    /// pixi payment methods that get a payment configuration.
    pub methods: Vec<String>,
    /// Capture mode of those configurations.
    pub mode: px::Mode,
    /// SMTP recipient of pixi-sync's incident mails.
    pub mail_to: String,
    /// terminal-gateway tenant id.
    pub terminal_tenant: String,
    /// Nets account (user name, password), created when missing.
    pub nets_account: (String, String),
    /// Terminal ids registered at Nets and in terminal-gateway.
    pub terminals: Vec<String>,
    /// Manual-payment merchant id and offer id in invoice-checks.
    pub manual: (String, String),
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            tenant_name: "Muster AG".into(),
            pixi_user: ("payops-shop".into(), "payops-shop-secret".into()),
            unzer_keys: ("s-priv-payops0platform0seed000000000".into(), "s-pub-payops0platform0seed000000000".into()),
            methods: ["UNZERCC", "UNZERPP", "VORKASSE", "UNZERINV", "UNZERDD"].map(String::from).to_vec(),
            mode: px::Mode::Standard,
            mail_to: "ops@muster.example".into(),
            terminal_tenant: "hotel-aurora".into(),
            nets_account: ("payops-pos".into(), "payops-pos-secret".into()),
            terminals: vec!["T-1".into(), "T-2".into()],
            manual: ("mm-cash".into(), "offer-course".into()),
        }
    }
}

/// The pixi-sync side of the seed.
#[derive(Debug, Clone)]
pub struct PixiTenant {
    /// Tenant id.
    pub tenant_id: String,
    /// pixi API configuration id.
    pub pixi_api_config_id: String,
    /// The pixi API user at the sandbox (seed orders for it with the sandbox admin API).
    pub pixi_user: String,
    /// unzer private key of the merchant (seed payments with it).
    pub unzer_private_key: String,
    /// Payment configurations, one per method.
    pub payment_configs: Vec<px::PaymentConfig>,
    /// The error page link (empty when the tenant existed already).
    pub error_page_url: String,
}

/// What [`seed_demo`] configured.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// pixi-sync.
    pub pixi: PixiTenant,
    /// terminal-gateway tenant id.
    pub terminal_tenant: String,
    /// Registered terminal ids.
    pub terminals: Vec<String>,
    /// Manual-payment merchant id.
    pub manual_merchant: String,
    /// Manual-payment offer id (price CHF 120.00, 30 days to confirm).
    pub manual_offer: String,
}

/// Seeds with [`SeedOptions::default`].
pub async fn seed_demo(p: &Platform) -> anyhow::Result<DemoSeed> {
    seed_with(p, &SeedOptions::default()).await
}

/// Seeds with `o`. Each step is idempotent and is tried again (up to five times) when a service
/// answers UNAVAILABLE, as the APIs ask callers to do.
pub async fn seed_with(p: &Platform, o: &SeedOptions) -> anyhow::Result<DemoSeed> {
    let pixi = again(|| seed_pixi(p, o)).await.context("seeding pixi-sync")?;
    again(|| seed_terminals(p, o)).await.context("seeding terminal-gateway")?;
    again(|| seed_manual(p, o)).await.context("seeding invoice-checks")?;
    Ok(DemoSeed {
        pixi,
        terminal_tenant: o.terminal_tenant.clone(),
        terminals: o.terminals.clone(),
        manual_merchant: o.manual.0.clone(),
        manual_offer: o.manual.1.clone(),
    })
}

/// Runs `step` until it succeeds, fails with something other than UNAVAILABLE, or five tries
/// are used up.
async fn again<T, F, Fut>(mut step: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut attempt = 1;
    loop {
        match step().await {
            Err(e) if attempt < 5 && unavailable(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<tonic::Status>().is_some_and(|s| s.code() == Code::Unavailable))
}

fn exists_ok<T>(r: Result<T, sandbox::client::ClientError>) -> anyhow::Result<()> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.to_string().contains("already") => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn seed_pixi(p: &Platform, o: &SeedOptions) -> anyhow::Result<PixiTenant> {
    let sb = p.config.sandbox.client();
    let (user, password) = &o.pixi_user;
    exists_ok(
        sb.pixi_create_user(&CreateUser { user: user.clone(), password: password.clone(), ..CreateUser::default() })
            .await,
    )?;
    let keys = NewMerchant { private_key: Some(o.unzer_keys.0.clone()), public_key: Some(o.unzer_keys.1.clone()) };
    exists_ok(sb.unzer_create_merchant(&keys).await)?;

    let mut tenants = TenantServiceClient::new(p.connect(Service::PixiSync).await?);
    let (tenant_id, error_page_url) =
        match tenants.create_tenant(px::CreateTenantRequest { name: o.tenant_name.clone() }).await {
            Ok(r) => {
                let r = r.into_inner();
                (r.tenant.context("no tenant")?.tenant_id, r.error_page_url)
            }
            Err(s) if s.code() == Code::AlreadyExists => {
                let all = tenants.list_tenants(px::ListTenantsRequest {}).await?.into_inner().tenants;
                let t = all.into_iter().find(|t| t.name == o.tenant_name).context("tenant exists but is not listed")?;
                (t.tenant_id, String::new())
            }
            Err(s) => return Err(s.into()),
        };
    let existing = tenants
        .list_pixi_api_configs(px::ListPixiApiConfigsRequest { tenant_id: tenant_id.clone() })
        .await?
        .into_inner()
        .configs;
    let api = tenants
        .save_pixi_api_config(px::SavePixiApiConfigRequest {
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: existing.first().map(|c| c.pixi_api_config_id.clone()).unwrap_or_default(),
            name: "live".into(),
            endpoint: format!("{}/soap/{user}/", p.config.sandbox.url(System::Pixi)),
            user: user.clone(),
            password: password.clone(),
            active: true,
            timezone: String::new(),
        })
        .await?
        .into_inner()
        .config
        .context("no pixi API config")?;
    let smtp = p.config.sandbox.url(System::Smtp);
    let (host, port) = smtp.trim_start_matches("smtp://").rsplit_once(':').context("SMTP sink URL without port")?;
    tenants
        .save_smtp_config(px::SaveSmtpConfigRequest {
            tenant_id: tenant_id.clone(),
            host: host.to_owned(),
            port: port.parse()?,
            tls_mode: px::SmtpTlsMode::None as i32,
            user: String::new(),
            password: String::new(),
            sender: "pixi-sync@payops.example".into(),
            recipient: o.mail_to.clone(),
        })
        .await?;

    let mut configs = PaymentConfigServiceClient::new(p.connect(Service::PixiSync).await?);
    let have = configs
        .list_payment_configs(px::ListPaymentConfigsRequest {
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: api.pixi_api_config_id.clone(),
        })
        .await?
        .into_inner()
        .configs;
    let mut payment_configs = Vec::new();
    for m in &o.methods {
        let id = have.iter().find(|c| &c.payment_method == m).map(|c| c.payment_config_id.clone());
        let req = px::SavePaymentConfigRequest {
            payment_config_id: id.unwrap_or_default(),
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: api.pixi_api_config_id.clone(),
            mandant: "DEM".into(),
            payment_method: m.clone(),
            active: true,
            invoice_booking_event: "UZE".into(),
            return_booking_event: "UZR".into(),
            xml_tag: format!("TAG{m}"),
            rounding_tolerance_minor: 2,
            unzer_public_key: o.unzer_keys.1.clone(),
            unzer_private_key: o.unzer_keys.0.clone(),
            mode: o.mode as i32,
            copy_from_payment_config_id: String::new(),
        };
        let saved = configs.save_payment_config(req).await.with_context(|| format!("payment config {m}"))?;
        payment_configs.push(saved.into_inner().config.context("no payment config")?);
    }
    Ok(PixiTenant {
        tenant_id,
        pixi_api_config_id: api.pixi_api_config_id,
        pixi_user: user.clone(),
        unzer_private_key: o.unzer_keys.0.clone(),
        payment_configs,
        error_page_url,
    })
}

async fn seed_terminals(p: &Platform, o: &SeedOptions) -> anyhow::Result<()> {
    let sb = p.config.sandbox.client();
    let (user, password) = &o.nets_account;
    sb.nets_add_account(user, password).await?;
    for t in &o.terminals {
        sb.nets_add_terminal(&NetsTerminalSeed::new(t, user)).await?;
    }
    let mut c = TerminalServiceClient::new(p.connect(Service::TerminalGateway).await?);
    c.set_nets_credentials(tg::SetNetsCredentialsRequest {
        tenant_id: o.terminal_tenant.clone(),
        username: user.clone(),
        password: password.clone(),
        verify: true,
    })
    .await?;
    for (i, t) in o.terminals.iter().enumerate() {
        let req = tg::RegisterTerminalRequest {
            tenant_id: o.terminal_tenant.clone(),
            terminal_id: t.clone(),
            display_name: format!("POS {}", i + 1),
            pos: String::new(),
            active: true,
            currency: "CHF".into(),
            time_zone: "Europe/Zurich".into(),
        };
        match c.register_terminal(req).await {
            Ok(_) => {}
            Err(s) if s.code() == Code::AlreadyExists => {}
            Err(s) => return Err(s.into()),
        }
    }
    Ok(())
}

async fn seed_manual(p: &Platform, o: &SeedOptions) -> anyhow::Result<()> {
    let token = p.config.tokens.manager.clone();
    let mut c = ManualPaymentServiceClient::new(p.connect_as(Service::InvoiceChecks, &token).await?);
    let chf = |minor: i64| Some(Money { amount_minor: minor, currency: "CHF".into() });
    c.save_merchant(ic::SaveMerchantRequest {
        merchant: Some(ic::ManualMerchant {
            merchant_id: o.manual.0.clone(),
            name: "Cash at the desk".into(),
            description: String::new(),
            image_url: String::new(),
            commission_percent: "2.5".into(),
            fixed_fee: chf(50),
            account_currency: "CHF".into(),
            fallback_currency: "CHF".into(),
            supported_currencies: vec!["CHF".into(), "EUR".into()],
            comment_hint: "Receipt number".into(),
        }),
    })
    .await?;
    c.save_offer(ic::SaveOfferRequest {
        offer: Some(ic::Offer {
            offer_id: o.manual.1.clone(),
            name: "Course".into(),
            payment_system_id: o.manual.0.clone(),
            prices: vec![Money { amount_minor: 12_000, currency: "CHF".into() }],
            confirmation_days: 30,
        }),
    })
    .await?;
    Ok(())
}
