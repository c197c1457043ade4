//! Pre-check over gRPC (IC-01 … IC-07), the signed payment page and the signed return (IC-08).

use proto::payops::invoice_checks::v1 as pb;
use sandbox::postfinance::Action;
use tonic::Code;

use crate::flow::{self, order, pay, urls};
use crate::helpers::{PROD_SHOP, TEST_SHOP, TestApp};

#[tokio::test]
async fn ic_07_check_order_returns_every_violation_with_field_reason_rule_and_parameter() {
    let app = TestApp::spawn().await;
    let mut c = app.sb_client().await;
    let mut o = order(&TEST_SHOP, "SB-1");
    o.amount.as_mut().unwrap().currency = "EUR".into(); // IC-01
    o.shipping.as_mut().unwrap().city = "Bern".into(); // IC-02
    o.items[0].tax_included = false; // IC-03
    o.items[1].category = "Kleider".into(); // IC-04
    o.billing.as_mut().unwrap().postal_code = "800299".into(); // IC-05
    let r = c.check_order(pb::CheckOrderRequest { order: Some(o) }).await.unwrap().into_inner();
    assert!(!r.passes);
    let got: Vec<(&str, &str, &str)> =
        r.violations.iter().map(|v| (v.field.as_str(), v.rule.as_str(), v.postfinance_parameter.as_str())).collect();
    for want in [
        ("order.amount.currency", "IC-01", "CURRENCY"),
        ("order.shipping.city", "IC-02", "ECOM_SHIPTO_POSTAL_CITY"),
        ("order.items[0].tax_included", "IC-03", "TAXINCLUDED1"),
        ("order.items[1].category", "IC-04", "ITEMCATEGORY2"),
        ("order.billing.postal_code", "IC-05", "ECOM_BILLTO_POSTAL_POSTALCODE"),
    ] {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
    assert!(r.violations.iter().all(|v| !v.reason.is_empty()));
    let ok =
        c.check_order(pb::CheckOrderRequest { order: Some(order(&TEST_SHOP, "SB-1")) }).await.unwrap().into_inner();
    assert!(ok.passes && ok.violations.is_empty());

    // The same order cannot be prepared: INVALID_ARGUMENT naming every field, nothing stored.
    let mut bad = order(&TEST_SHOP, "SB-2");
    bad.email = String::new();
    bad.items[0].category = "SPORT".into();
    let err = c
        .prepare_payment_page(pb::PreparePaymentPageRequest { order: Some(bad), urls: Some(pb::ReturnUrls::default()) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let fields: Vec<String> = kit::grpc::status::field_violations(&err).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["order.email", "order.items[0].category", "urls.accept_url"]);
    assert!(err.message().contains("IC-04"), "{}", err.message());
    assert_eq!(app.relay.backlog().await.unwrap(), 0, "nothing written");
    app.stop().await;
}

#[tokio::test]
async fn ic_06_b2b_tenants_need_the_company_name() {
    let b2b = crate::helpers::TenantSpec { name: "shop-b2b", pspid: "smarpayB2B", ..TEST_SHOP };
    let app = TestApp::with(vec![b2b], vec![("SWISSBILLING_SHOP_B2B_B2B", "true")]).await;
    let mut c = app.sb_client().await;
    let r = c.check_order(pb::CheckOrderRequest { order: Some(order(&b2b, "SB-3")) }).await.unwrap().into_inner();
    let got: Vec<(&str, &str)> = r.violations.iter().map(|v| (v.field.as_str(), v.rule.as_str())).collect();
    assert_eq!(got, [("order.billing.company", "IC-06"), ("order.shipping.company", "IC-06")]);
    app.stop().await;
}

#[tokio::test]
async fn ic_08_the_signed_form_opens_the_payment_page_and_the_signed_return_records_the_transaction() {
    for tenant in [TEST_SHOP, PROD_SHOP] {
        let app = TestApp::spawn().await;
        app.lose_postsale().await;
        let params = pay(&app, &tenant, "SB-10", Action::Accept).await;
        let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"SHASIGN") && names.contains(&"orderID"), "{names:?}");
        let mut c = app.sb_client().await;
        let r = c
            .verify_return(pb::VerifyReturnRequest { tenant: tenant.name.into(), parameters: params.clone() })
            .await
            .unwrap()
            .into_inner();
        assert!(r.first_time);
        let tx = r.transaction.unwrap();
        assert_eq!((tx.order_id.as_str(), tx.status_code, tx.payment_method.as_str()), ("SB-10", 5, "SwissBilling"));
        assert_eq!(tx.authorised.unwrap().amount_minor, 14_900);
        // A reload of the return page records nothing twice.
        let again = c
            .verify_return(pb::VerifyReturnRequest { tenant: tenant.name.into(), parameters: params })
            .await
            .unwrap()
            .into_inner();
        assert!(!again.first_time);
        assert_eq!(app.events("SB-10").await, ["swissbilling_page_prepared", "swissbilling_authorised"]);
        // The form carried the SwissBilling parameters of the merchant's parameter table.
        let sessions = app.sandbox.client().postfinance_transactions(tenant.env).await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!((sessions[0].pm.as_str(), sessions[0].amount), ("SwissBilling", 14_900));
        app.stop().await;
    }
}

#[tokio::test]
async fn ic_08_a_bad_signature_on_the_return_is_refused_and_recorded_as_a_security_event() {
    let app = TestApp::spawn().await;
    app.lose_postsale().await;
    let params = pay(&app, &TEST_SHOP, "SB-11", Action::Accept).await;
    let mut c = app.sb_client().await;
    let cases: Vec<(&str, Vec<pb::FormParameter>)> =
        vec![
            (
                "tampered amount",
                params
                    .iter()
                    .map(|p| {
                        if p.name == "amount" {
                            pb::FormParameter { value: "1".into(), ..p.clone() }
                        } else {
                            p.clone()
                        }
                    })
                    .collect(),
            ),
            ("no signature", params.iter().filter(|p| p.name != "SHASIGN").cloned().collect()),
            (
                "signed with the SHA-IN passphrase",
                params
                    .iter()
                    .map(|p| {
                        if p.name == "SHASIGN" {
                            pb::FormParameter { value: "00".repeat(64), ..p.clone() }
                        } else {
                            p.clone()
                        }
                    })
                    .collect(),
            ),
        ];
    for (name, parameters) in cases {
        let err =
            c.verify_return(pb::VerifyReturnRequest { tenant: TEST_SHOP.name.into(), parameters }).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{name}");
        assert_eq!(kit::grpc::status::field_violations(&err)[0].0, "parameters.SHASIGN", "{name}");
    }
    let n = invoice_checks::store::security::count(&app.pool, "sha_out_mismatch").await.unwrap();
    assert_eq!(n, 3);
    let err = c.get_transaction(pb::GetTransactionRequest { order_id: "SB-11".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "no transaction was recorded");
    // The genuine return still works, and the metric counts the refusals.
    c.verify_return(pb::VerifyReturnRequest { tenant: TEST_SHOP.name.into(), parameters: params }).await.unwrap();
    let metrics = reqwest::get(format!("{}/metrics", app.admin_url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("payops_invoice_checks_security_events_total"), "{metrics}");
    app.stop().await;
}

#[tokio::test]
async fn ic_08_prepare_is_idempotent_and_refuses_other_content_under_the_same_order_id() {
    let app = TestApp::spawn().await;
    let mut c = app.sb_client().await;
    let req = pb::PreparePaymentPageRequest { order: Some(order(&TEST_SHOP, "SB-12")), urls: Some(urls()) };
    let a = c.prepare_payment_page(req.clone()).await.unwrap().into_inner();
    let b = c.prepare_payment_page(req).await.unwrap().into_inner();
    assert_eq!(a, b);
    assert_eq!(a.parameters.last().map(|p| p.name.as_str()), Some("SHASIGN"));
    let mut changed = order(&TEST_SHOP, "SB-12");
    changed.items[1].quantity = 3;
    changed.amount = Some(crate::helpers::chf(17_400));
    let err = c
        .prepare_payment_page(pb::PreparePaymentPageRequest { order: Some(changed), urls: Some(urls()) })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert_eq!(app.events("SB-12").await, ["swissbilling_page_prepared"]);
    // A declined payment is recorded as refused, and the customer may pay again.
    let params = pay(&app, &TEST_SHOP, "SB-13", Action::Decline).await;
    let r = c
        .verify_return(pb::VerifyReturnRequest { tenant: TEST_SHOP.name.into(), parameters: params })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.transaction.unwrap().status_name, "authorisation_refused");
    let payid = flow::authorised(&app, &TEST_SHOP, "SB-13").await;
    assert_eq!(flow::transaction(&app, "SB-13").await.payid, payid);
    assert_eq!(
        app.events("SB-13").await,
        ["swissbilling_page_prepared", "swissbilling_refused", "swissbilling_authorised"]
    );
    app.stop().await;
}
