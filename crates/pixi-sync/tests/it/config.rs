//! Configuration: pixi API configurations (PX-01), SMTP and test mail (PX-02), payment
//! configurations (PX-03 … PX-05), payment types (PX-06).

use kit::grpc::status::{error_reason, field_violations};
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::OrderStatus;
use sandbox::unzer::{PayKind, SeedOutcome};
use tonic::Code;

use crate::helpers::{METHODS, PIXI_PASS, PIXI_USER, Tenant, TestApp, payment_request};

fn api_req(app: &TestApp, tenant: &str, name: &str, password: &str) -> pb::SavePixiApiConfigRequest {
    pb::SavePixiApiConfigRequest {
        tenant_id: tenant.into(),
        pixi_api_config_id: String::new(),
        name: name.into(),
        endpoint: format!("{}/soap/{PIXI_USER}/", app.sandbox.url(System::Pixi)),
        user: PIXI_USER.into(),
        password: password.into(),
        active: true,
        timezone: "Europe/Berlin".into(),
    }
}

#[tokio::test]
async fn px_01_at_most_two_pixi_api_configurations_each_validated_by_a_test_call() {
    let app = TestApp::spawn().await;
    app.admin.pixi_user(PIXI_USER, PIXI_PASS).await.unwrap();
    let mut c = app.tenants().await;
    let tenant =
        c.create_tenant(pb::CreateTenantRequest { name: "Acme".into() }).await.unwrap().into_inner().tenant.unwrap();
    let t = tenant.tenant_id;

    let err = c.save_pixi_api_config(api_req(&app, &t, "live", "wrong")).await.unwrap_err();
    assert_eq!(
        (err.code(), error_reason(&err).as_deref()),
        (Code::FailedPrecondition, Some("PIXI_CREDENTIALS_REFUSED"))
    );
    let listed =
        c.list_pixi_api_configs(pb::ListPixiApiConfigsRequest { tenant_id: t.clone() }).await.unwrap().into_inner();
    assert!(listed.configs.is_empty(), "refused credentials are not stored");

    let bad = pb::SavePixiApiConfigRequest {
        name: String::new(),
        endpoint: "not a url".into(),
        timezone: "Mars/Olympus".into(),
        password: String::new(),
        ..api_req(&app, &t, "x", "")
    };
    let err = c.save_pixi_api_config(bad).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["name", "endpoint", "password", "timezone"]);

    let first =
        c.save_pixi_api_config(api_req(&app, &t, "live", PIXI_PASS)).await.unwrap().into_inner().config.unwrap();
    assert!(first.has_password);
    c.save_pixi_api_config(api_req(&app, &t, "test", PIXI_PASS)).await.unwrap();
    let err = c.save_pixi_api_config(api_req(&app, &t, "third", PIXI_PASS)).await.unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("PIXI_API_CONFIG_LIMIT"));
    // Updating one of the two is fine; an empty password keeps the stored one.
    let update = pb::SavePixiApiConfigRequest {
        pixi_api_config_id: first.pixi_api_config_id.clone(),
        active: false,
        ..api_req(&app, &t, "live", "")
    };
    let updated = c.save_pixi_api_config(update).await.unwrap().into_inner().config.unwrap();
    assert!(!updated.active && updated.has_password);
    // Only the test calls reached pixi; the password is stored encrypted.
    let row: String =
        sqlx::query_scalar("SELECT password_enc FROM pixi_apis LIMIT 1").fetch_one(&app.pool).await.unwrap();
    assert!(row.starts_with("v1:") && !row.contains(PIXI_PASS));
}

#[tokio::test]
async fn px_02_smtp_configuration_with_one_recipient_and_a_test_mail() {
    let app = TestApp::spawn().await;
    let mut c = app.tenants().await;
    let t = c
        .create_tenant(pb::CreateTenantRequest { name: "Acme".into() })
        .await
        .unwrap()
        .into_inner()
        .tenant
        .unwrap()
        .tenant_id;
    let err = c.send_test_mail(pb::SendTestMailRequest { tenant_id: t.clone() }).await.unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("SMTP_NOT_CONFIGURED"));
    let addr = app.sandbox.addr(System::Smtp);
    let req = pb::SaveSmtpConfigRequest {
        tenant_id: t.clone(),
        host: addr.ip().to_string(),
        port: i32::from(addr.port()),
        tls_mode: pb::SmtpTlsMode::None as i32,
        user: "mailer".into(),
        password: "mail-secret".into(),
        sender: "unzer-app@muster.example".into(),
        recipient: "ops@muster.example".into(),
    };
    let bad = pb::SaveSmtpConfigRequest { recipient: "a@x.example, b@x.example".into(), tls_mode: 0, ..req.clone() };
    let err = c.save_smtp_config(bad).await.unwrap_err();
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["tls_mode", "recipient"]);
    let saved = c.save_smtp_config(req.clone()).await.unwrap().into_inner().config.unwrap();
    assert!(saved.has_password);
    let got = c
        .get_smtp_config(pb::GetSmtpConfigRequest { tenant_id: t.clone() })
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(got.recipient, "ops@muster.example");

    app.admin.smtp_require_auth("mailer", "mail-secret").await.unwrap();
    let sent = c.send_test_mail(pb::SendTestMailRequest { tenant_id: t.clone() }).await.unwrap().into_inner();
    let mails = app.admin.smtp_messages().await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipients, ["ops@muster.example"]);
    assert_eq!(mails[0].auth_user.as_deref(), Some("mailer"));
    assert_eq!(mails[0].subject.as_deref(), Some(sent.subject.as_str()));

    app.admin.smtp_require_auth("mailer", "other").await.unwrap();
    let err = c.send_test_mail(pb::SendTestMailRequest { tenant_id: t }).await.unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("SMTP_SEND_FAILED"));
}

#[tokio::test]
async fn px_03_payment_configurations_validate_and_keep_the_private_key_write_only_and_encrypted() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERCC"]).await;
    let mut c = app.configs().await;
    let mut bad = payment_request(&t.tenant_id, &t.api_id, "UNZERPP", pb::Mode::Unspecified, &t.public_key, "nope");
    bad.xml_tag = "UNZER-PAYPAL".into();
    bad.invoice_booking_event = "TOOLONG".into();
    bad.rounding_tolerance_minor = -5;
    let err = c.save_payment_config(bad).await.unwrap_err();
    let fields: Vec<String> = field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["invoice_booking_event", "xml_tag", "rounding_tolerance_minor", "unzer_private_key", "mode"]);

    let unknown =
        payment_request(&t.tenant_id, &t.api_id, "UNZERPP", pb::Mode::Expert, &t.public_key, "s-priv-2a10unknownkey99");
    let err = c.save_payment_config(unknown).await.unwrap_err();
    assert_eq!(error_reason(&err).as_deref(), Some("UNZER_KEY_REFUSED"));

    let dup = payment_request(&t.tenant_id, &t.api_id, "UNZERCC", pb::Mode::Expert, &t.public_key, &t.private_key);
    assert_eq!(
        c.save_payment_config(dup).await.unwrap_err().code(),
        Code::AlreadyExists,
        "one per (api, mandant, method)"
    );

    let id = t.configs[0].payment_config_id.clone();
    let got = c
        .get_payment_config(pb::GetPaymentConfigRequest {
            tenant_id: t.tenant_id.clone(),
            payment_config_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert!(got.has_private_key);
    assert_eq!(
        (got.invoice_booking_event.as_str(), got.return_booking_event.as_str(), got.rounding_tolerance_minor),
        ("UZE", "UZR", 2)
    );
    let debug = format!("{got:?}");
    assert!(!debug.contains(&t.private_key), "never returned");
    let stored: String =
        sqlx::query_scalar("SELECT private_key_enc FROM payment_configs").fetch_one(&app.pool).await.unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("priv"), "stored encrypted");
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'create_payment_config'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn px_04_an_inactive_pixi_api_configuration_deactivates_its_payment_configurations() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERCC"]).await;
    let mut tc = app.tenants().await;
    tc.save_pixi_api_config(pb::SavePixiApiConfigRequest {
        pixi_api_config_id: t.api_id.clone(),
        active: false,
        ..api_req(&app, &t.tenant_id, "live", "")
    })
    .await
    .unwrap();
    let cfg = app
        .configs()
        .await
        .list_payment_configs(pb::ListPaymentConfigsRequest {
            tenant_id: t.tenant_id.clone(),
            pixi_api_config_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .configs;
    assert!(cfg[0].active && !cfg[0].effectively_active);
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Hold, "not processed");
}

#[tokio::test]
async fn px_05_copies_are_drafts_until_saved_and_editing_a_used_configuration_warns() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERCC"]).await;
    let mut c = app.configs().await;
    let source = t.configs[0].clone();
    let draft = c
        .copy_payment_config(pb::CopyPaymentConfigRequest {
            tenant_id: t.tenant_id.clone(),
            source_payment_config_id: source.payment_config_id.clone(),
            pixi_api_config_id: t.api_id.clone(),
            mandant: "DEM".into(),
            payment_method: "UNZERPP".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .draft
        .unwrap();
    assert!(draft.draft && draft.payment_config_id.is_empty() && draft.has_private_key);
    assert_eq!((draft.payment_method.as_str(), draft.xml_tag.as_str()), ("UNZERPP", source.xml_tag.as_str()));
    let all = |c: &mut proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient<_>| {
        let req = pb::ListPaymentConfigsRequest { tenant_id: t.tenant_id.clone(), pixi_api_config_id: String::new() };
        let mut c = c.clone();
        async move { c.list_payment_configs(req).await.unwrap().into_inner().configs }
    };
    assert_eq!(all(&mut c).await.len(), 1, "a draft is not stored");
    // Save the draft without a private key: the source's key is kept.
    let mut save = payment_request(&t.tenant_id, &t.api_id, "UNZERPP", pb::Mode::Expert, &t.public_key, "");
    save.copy_from_payment_config_id = source.payment_config_id.clone();
    save.xml_tag = "UNZERPAYPAL".into();
    let saved = c.save_payment_config(save).await.unwrap().into_inner();
    assert!(saved.warnings.is_empty());
    assert_eq!(saved.config.as_ref().unwrap().copied_from_payment_config_id, source.payment_config_id);
    assert_eq!(all(&mut c).await.len(), 2);
    let (pp, _) = t.order(&app, "UNZERPP", PayKind::Paypal, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, pp).await.status, OrderStatus::Open, "the copied key works");

    // Editing a configuration that already processed an order warns.
    let mut edit = payment_request(&t.tenant_id, &t.api_id, "UNZERPP", pb::Mode::Standard, &t.public_key, "");
    edit.payment_config_id = saved.config.unwrap().payment_config_id;
    let edited = c.save_payment_config(edit).await.unwrap().into_inner();
    assert_eq!(edited.warnings.len(), 1);
    assert_eq!(edited.warnings[0].code, "PROCESSED_ORDERS");
    assert_eq!(edited.config.unwrap().mode, pb::Mode::Standard as i32);
}

#[tokio::test]
async fn px_06_every_supported_payment_type_is_processed() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let mut orders = Vec::new();
    for kind in [
        PayKind::SepaDirectDebitSecured,
        PayKind::PaylaterDirectDebit,
        PayKind::Invoice,
        PayKind::InvoiceSecured,
        PayKind::PaylaterInvoice,
        PayKind::PaylaterInstallment,
        PayKind::Prepayment,
        PayKind::Paypal,
        PayKind::Card,
        PayKind::Sofort,
        PayKind::Eps,
        PayKind::Ideal,
        PayKind::Giropay,
        PayKind::Alipay,
        PayKind::Przelewy24,
        PayKind::Applepay,
    ] {
        let outcome = if kind.can_authorize() { SeedOutcome::Authorized } else { SeedOutcome::Charged };
        let outcome = if kind == PayKind::Prepayment { SeedOutcome::Pending } else { outcome };
        orders.push((kind, t.order(&app, "UNZERCC", kind, &[1000], outcome).await.0));
    }
    app.settle(5).await;
    for (kind, nr) in orders {
        assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Open, "{kind:?}");
        let d = t.dashboard_order(&app, nr).await;
        assert!(d.incidents.is_empty(), "{kind:?}: {:?}", d.incidents);
        assert_eq!(d.order.unwrap().payment_type, kind.name(), "{kind:?}");
    }
}
