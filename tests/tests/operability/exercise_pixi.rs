//! Exercising pixi-sync through its gRPC configuration API and the sandbox: a tenant whose
//! pixi installation and unzer merchant live in the sandbox, and card orders that pixi-sync
//! captures (standard mode) or flags (a refused payment raises an attention event).

use proto::payops::pixi_sync::v1 as px;
use sandbox::pixi::{Address, SeedLine, SeedOrder};
use sandbox::unzer::{NewMerchant, PayKind, SeedOutcome, SeedPayment};

use stack::platform::{Platform, Service};

use crate::exercise::channel;

/// The pixi API user of the tenant [`pixi_tenant`] creates.
const USER: &str = "shop-api";
/// Its password (SE-08 searches for it).
pub const PIXI_PASSWORD: &str = "s3cret-pass";

/// A pixi-sync tenant in standard mode (captures before release) with its pixi installation and
/// unzer merchant. Returns the unzer private key.
pub async fn pixi_tenant(p: &Platform) -> String {
    let admin = p.config.sandbox.client();
    admin.pixi_user(USER, PIXI_PASSWORD).await.unwrap();
    let merchant = admin.unzer_create_merchant(&NewMerchant::default()).await.unwrap();
    let ch = channel(p, Service::PixiSync);
    let mut tenants = px::tenant_service_client::TenantServiceClient::new(ch.clone());
    let created = tenants.create_tenant(px::CreateTenantRequest { name: "Muster AG".into() }).await.unwrap();
    let tenant_id = created.into_inner().tenant.unwrap().tenant_id;
    let api = px::SavePixiApiConfigRequest {
        tenant_id: tenant_id.clone(),
        pixi_api_config_id: String::new(),
        name: "live".into(),
        endpoint: format!("{}/soap/{USER}/", p.config.sandbox.url(sandbox::System::Pixi)),
        user: USER.into(),
        password: PIXI_PASSWORD.into(),
        active: true,
        timezone: String::new(),
    };
    let api = tenants.save_pixi_api_config(api).await.unwrap().into_inner().config.unwrap();
    let cfg = px::SavePaymentConfigRequest {
        payment_config_id: String::new(),
        tenant_id,
        pixi_api_config_id: api.pixi_api_config_id,
        mandant: "DEM".into(),
        payment_method: "UNZERCC".into(),
        active: true,
        invoice_booking_event: "UZE".into(),
        return_booking_event: "UZR".into(),
        xml_tag: "TAGUNZERCC".into(),
        rounding_tolerance_minor: 2,
        unzer_public_key: merchant.public_key.clone(),
        unzer_private_key: merchant.private_key.clone(),
        mode: px::Mode::Standard as i32,
        copy_from_payment_config_id: String::new(),
    };
    px::payment_config_service_client::PaymentConfigServiceClient::new(ch).save_payment_config(cfg).await.unwrap();
    merchant.private_key
}

/// A card checkout at unzer with `outcome` and its order imported into pixi; returns the
/// order number.
pub async fn pixi_order(p: &Platform, private_key: &str, outcome: SeedOutcome) -> i64 {
    let admin = p.config.sandbox.client();
    let pay = SeedPayment {
        private_key: private_key.into(),
        kind: PayKind::Card,
        amount_minor: 6_000,
        currency: "EUR".into(),
        order_id: String::new(),
        invoice_id: String::new(),
        payment_reference: String::new(),
        outcome,
        charged_minor: None,
        at: None,
    };
    let pay = admin.unzer_seed_payment(&pay).await.unwrap();
    let order = SeedOrder {
        payment_code: "UNZERCC".into(),
        kk_id: Some(pay.id),
        lines: vec![SeedLine {
            item_nr: "ITEM-1".into(),
            name: "Artikel".into(),
            qty: 1,
            price_minor: 6_000,
            ean: None,
        }],
        billing: Address {
            first_name: "Maria".into(),
            last_name: "Muster".into(),
            street: "Hauptstr. 1".into(),
            zip: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
            email: "maria@example.com".into(),
            ..Address::default()
        },
        ..SeedOrder::default()
    };
    admin.pixi_seed_order(USER, &order).await.unwrap().order_nr
}
