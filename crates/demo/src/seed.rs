//! Seeds a running stack through the services' gRPC APIs, idempotently (a second run finds
//! what the first created and changes nothing but the tenant's error-page link):
//!
//! - pixi-sync: tenant "Demo Shop" with the pixi API configuration of the sandbox installation
//!   `demo`, a STANDARD payment configuration per unzer payment method with the sandbox's demo
//!   merchant keys, and SMTP to the sandbox's mail sink;
//! - terminal-gateway: the Nets demo login and its three terminals;
//! - invoice-checks: a manual-payment merchant with two offers.
//!
//! hotline-api needs no call: its admin is the bootstrap admin of its configuration.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use proto::payops::common::v1::Money;
use proto::payops::invoice_checks::v1 as ic;
use proto::payops::invoice_checks::v1::manual_payment_service_client::ManualPaymentServiceClient;
use proto::payops::pixi_sync::v1 as px;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use proto::payops::terminal_gateway::v1 as tg;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use sandbox::System;
use sandbox::unzer::{DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY};

use crate::{Targets, bearer, channel};

/// The pixi-sync tenant's name.
pub const TENANT: &str = "Demo Shop";
/// The sandbox pixi installation (API user) and its password (sandbox demo data).
pub const PIXI_USER: &str = "demo";
const PIXI_PASSWORD: &str = "demo-secret";
/// The installation's mandant (shop) of the demo orders.
pub const MANDANT: &str = "DEM";
/// The pixi payment methods that pixi-sync processes with unzer.
pub const METHODS: [&str; 5] = ["UNZERCC", "UNZERPP", "VORKASSE", "UNZERINV", "UNZERDD"];
/// terminal-gateway's tenant of the Nets demo account.
pub const NETS_TENANT: &str = "demo-hotel";
const NETS_USER: &str = "demo-hotel";
const NETS_PASSWORD: &str = "demo-password";
/// The sandbox's demo terminals: id, display name, point of sale.
pub const TERMINALS: [(&str, &str, &str); 3] = [
    ("T-1001", "Päätelaite 1", "POS Vastaanotto"),
    ("T-1002", "Päätelaite 2", "POS Vastaanotto"),
    ("T-2001", "Päätelaite 3", "POS Ravintola"),
];
/// invoice-checks' manual-payment merchant.
pub const MERCHANT: &str = "cash-desk";

/// What the seeding left in place.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// pixi-sync tenant id.
    pub tenant_id: String,
    /// Its pixi API configuration.
    pub pixi_api_config_id: String,
    /// The tenant's error page (a fresh link on every run: links are shown only once).
    pub error_page_url: String,
    /// Payment configurations (payment method codes).
    pub payment_methods: Vec<String>,
    /// Terminals registered at terminal-gateway.
    pub terminals: Vec<String>,
    /// invoice-checks offers.
    pub offers: Vec<String>,
}

/// Seeds every service (see the module doc).
pub async fn seed(t: &Targets) -> anyhow::Result<Seeded> {
    let (tenant_id, pixi_api_config_id, error_page_url, payment_methods) = pixi_sync(t).await.context("pixi-sync")?;
    let terminals = terminal_gateway(t).await.context("terminal-gateway")?;
    let offers = invoice_checks(t).await.context("invoice-checks")?;
    Ok(Seeded { tenant_id, pixi_api_config_id, error_page_url, payment_methods, terminals, offers })
}

async fn pixi_sync(t: &Targets) -> anyhow::Result<(String, String, String, Vec<String>)> {
    let urls = t.sandbox().urls().await.context("sandbox admin")?;
    let pixi = urls.get(&System::Pixi).context("the sandbox has no pixi")?;
    let smtp = urls.get(&System::Smtp).context("the sandbox has no SMTP sink")?;
    let mut tenants = TenantServiceClient::new(channel(&t.pixi_sync, &t.token)?);
    let listed = tenants.list_tenants(px::ListTenantsRequest {}).await?.into_inner().tenants;
    let (tenant_id, error_page_url) = match listed.into_iter().find(|x| x.name == TENANT) {
        Some(existing) => {
            let rotated = tenants
                .rotate_error_page_link(px::RotateErrorPageLinkRequest { tenant_id: existing.tenant_id.clone() })
                .await?
                .into_inner();
            (existing.tenant_id, rotated.error_page_url)
        }
        None => {
            let created = tenants.create_tenant(px::CreateTenantRequest { name: TENANT.into() }).await?.into_inner();
            (created.tenant.context("CreateTenant without a tenant")?.tenant_id, created.error_page_url)
        }
    };
    let configs = tenants
        .list_pixi_api_configs(px::ListPixiApiConfigsRequest { tenant_id: tenant_id.clone() })
        .await?
        .into_inner()
        .configs;
    let api_id = match configs.into_iter().find(|c| c.name == PIXI_USER) {
        Some(c) => c.pixi_api_config_id,
        None => {
            let saved = tenants
                .save_pixi_api_config(px::SavePixiApiConfigRequest {
                    tenant_id: tenant_id.clone(),
                    pixi_api_config_id: String::new(),
                    name: PIXI_USER.into(),
                    endpoint: format!("{pixi}/soap/{PIXI_USER}/"),
                    user: PIXI_USER.into(),
                    password: PIXI_PASSWORD.into(),
                    active: true,
                    timezone: "Europe/Berlin".into(),
                })
                .await?
                .into_inner();
            saved.config.context("SavePixiApiConfig without a configuration")?.pixi_api_config_id
        }
    };
    let methods = tenants
        .list_pixi_payment_methods(px::ListPixiPaymentMethodsRequest {
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: api_id.clone(),
        })
        .await?
        .into_inner()
        .methods;
    let mut payment = PaymentConfigServiceClient::new(channel(&t.pixi_sync, &t.token)?);
    let existing: BTreeSet<String> = payment
        .list_payment_configs(px::ListPaymentConfigsRequest {
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: api_id.clone(),
        })
        .await?
        .into_inner()
        .configs
        .into_iter()
        .filter(|c| c.mandant == MANDANT)
        .map(|c| c.payment_method)
        .collect();
    for code in METHODS.iter().filter(|m| !existing.contains(**m)) {
        let xml_tag = methods
            .iter()
            .find(|m| m.code == *code)
            .map(|m| m.xml_tag.clone())
            .with_context(|| format!("pixi has no payment method {code}"))?;
        payment
            .save_payment_config(px::SavePaymentConfigRequest {
                payment_config_id: String::new(),
                tenant_id: tenant_id.clone(),
                pixi_api_config_id: api_id.clone(),
                mandant: MANDANT.into(),
                payment_method: (*code).into(),
                active: true,
                invoice_booking_event: "UZE".into(),
                return_booking_event: "UZR".into(),
                xml_tag,
                rounding_tolerance_minor: 2,
                unzer_public_key: DEMO_PUBLIC_KEY.into(),
                unzer_private_key: DEMO_PRIVATE_KEY.into(),
                mode: px::Mode::Standard as i32,
                copy_from_payment_config_id: String::new(),
            })
            .await
            .with_context(|| format!("payment configuration {code}"))?;
    }
    let (host, port) = host_port(smtp)?;
    tenants
        .save_smtp_config(px::SaveSmtpConfigRequest {
            tenant_id: tenant_id.clone(),
            host,
            port: i32::from(port),
            tls_mode: px::SmtpTlsMode::None as i32,
            user: String::new(),
            password: String::new(),
            sender: "pixi-sync@demo-shop.example".into(),
            recipient: "ops@demo-shop.example".into(),
        })
        .await
        .context("SMTP configuration")?;
    Ok((tenant_id, api_id, error_page_url, METHODS.iter().map(|m| (*m).to_owned()).collect()))
}

/// `smtp://127.0.0.1:7008` → (`127.0.0.1`, 7008).
fn host_port(url: &str) -> anyhow::Result<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r).trim_end_matches('/');
    let Some((host, port)) = rest.rsplit_once(':') else { bail!("no port in {url}") };
    Ok((host.to_owned(), port.parse().with_context(|| format!("bad port in {url}"))?))
}

async fn terminal_gateway(t: &Targets) -> anyhow::Result<Vec<String>> {
    let mut c = TerminalServiceClient::new(channel(&t.terminal_gateway, &t.token)?);
    c.set_nets_credentials(tg::SetNetsCredentialsRequest {
        tenant_id: NETS_TENANT.into(),
        username: NETS_USER.into(),
        password: NETS_PASSWORD.into(),
        verify: true,
    })
    .await
    .context("Nets credentials")?;
    for (id, name, pos) in TERMINALS {
        let req = tg::RegisterTerminalRequest {
            tenant_id: NETS_TENANT.into(),
            terminal_id: id.into(),
            display_name: name.into(),
            pos: pos.into(),
            active: true,
            currency: "CHF".into(),
            time_zone: "Europe/Zurich".into(),
        };
        match c.register_terminal(req).await {
            Ok(_) => {}
            Err(s) if s.code() == tonic::Code::AlreadyExists => {}
            Err(s) => return Err(anyhow::Error::new(s).context(format!("terminal {id}"))),
        }
    }
    Ok(TERMINALS.iter().map(|(id, _, _)| (*id).to_owned()).collect())
}

fn chf(amount_minor: i64) -> Option<Money> {
    Some(Money { amount_minor, currency: "CHF".into() })
}

async fn invoice_checks(t: &Targets) -> anyhow::Result<Vec<String>> {
    let mut c = ManualPaymentServiceClient::new(channel(&t.invoice_checks, &t.token)?);
    let merchant = ic::ManualMerchant {
        merchant_id: MERCHANT.into(),
        name: "Barzahlung am Schalter".into(),
        description: "Bar oder Überweisung, von einem Manager bestätigt".into(),
        image_url: String::new(),
        commission_percent: "2.5".into(),
        fixed_fee: chf(30),
        account_currency: "CHF".into(),
        fallback_currency: "CHF".into(),
        supported_currencies: vec!["CHF".into(), "EUR".into()],
        comment_hint: "Bitte Quittungsnummer angeben".into(),
    };
    c.save_merchant(bearer(ic::SaveMerchantRequest { merchant: Some(merchant) }, &t.manager_token)?)
        .await
        .context("manual-payment merchant")?;
    let offers = [("waschkarte-50", "Waschkarte 50 CHF", 5_000), ("waschkarte-100", "Waschkarte 100 CHF", 10_000)];
    for (id, name, price) in offers {
        let offer = ic::Offer {
            offer_id: id.into(),
            name: name.into(),
            payment_system_id: MERCHANT.into(),
            prices: vec![Money { amount_minor: price, currency: "CHF".into() }],
            confirmation_days: 0,
        };
        c.save_offer(bearer(ic::SaveOfferRequest { offer: Some(offer) }, &t.manager_token)?)
            .await
            .with_context(|| format!("offer {id}"))?;
    }
    Ok(offers.iter().map(|(id, _, _)| (*id).to_owned()).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn smtp_url_splits_into_host_and_port() {
        assert_eq!(super::host_port("smtp://127.0.0.1:7008").ok(), Some(("127.0.0.1".to_owned(), 7008)));
        assert!(super::host_port("smtp://nowhere").is_err());
    }
}
