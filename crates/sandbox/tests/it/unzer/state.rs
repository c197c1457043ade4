//! The payment state machine (SB-02), faults (SB-05), expiry on the sandbox clock (SB-06),
//! prepayment, shipments, paylater cancels and redirects.

use sandbox::unzer::{PayKind, PaymentState, SeedOutcome, SeedPayment, TxnType};
use sandbox::{FailMode, FaultSpec, System};
use serde_json::json;

use super::{code, unzer};

#[tokio::test]
async fn sb_02_unzer_charge_reduces_what_can_be_charged() {
    let u = unzer().await;
    let pay = u.authorize_card(100.0, "o-1").await;
    assert!(pay.starts_with("s-pay-"));
    let p = u.payment(&pay).await;
    assert_eq!(p["state"], json!({ "id": 0, "name": "pending" }));
    assert_eq!(p["amount"]["remaining"], "100.0000");

    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 40, "invoiceId": "R-1" })).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["id"].as_str(), v["amount"].as_str(), v["isSuccess"].as_bool()),
        (Some("s-chg-1"), Some("40.0000"), Some(true))
    );
    assert_eq!(v["resources"]["paymentId"], pay.as_str());
    assert!(v["processing"]["uniqueId"].is_string() && v["processing"]["shortId"].is_string());
    let p = u.payment(&pay).await;
    assert_eq!(p["state"]["name"], "partly");
    assert_eq!(
        p["amount"],
        json!({ "total": "100.0000", "charged": "40.0000", "canceled": "0.0000", "remaining": "60.0000" })
    );

    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 60.01 })).await;
    assert_eq!((status, code(&v)), (400, "API.330.100.007"), "over-capture refused: {v}");
    assert_eq!(u.payment(&pay).await["amount"]["charged"], "40.0000", "the refused charge changed nothing");

    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!(
        (status, v["id"].as_str(), v["amount"].as_str()),
        (200, Some("s-chg-2"), Some("60.0000")),
        "empty body = rest"
    );
    let p = u.payment(&pay).await;
    assert_eq!(p["state"], json!({ "id": 1, "name": "completed" }));
    assert_eq!(p["amount"]["remaining"], "0.0000");
    let types: Vec<&str> = p["transactions"].as_array().unwrap().iter().map(|t| t["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["authorize", "charge", "charge"]);
    assert!(p["transactions"][1]["url"].as_str().unwrap().ends_with(&format!("/v1/payments/{pay}/charges/s-chg-1")));

    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!((status, code(&v)), (400, "API.330.000.004"), "nothing left: {v}");
    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/authorize/cancels")).await;
    assert_eq!((status, code(&v)), (400, "API.340.100.018"), "already charged: {v}");

    let view = u.admin.unzer_payment(&pay).await.unwrap();
    let charges: Vec<(String, i64, String)> = view
        .transactions
        .iter()
        .filter(|t| t.kind == TxnType::Charge)
        .map(|t| (t.id.clone(), t.amount_minor, t.invoice_id.clone()))
        .collect();
    assert_eq!(charges, vec![("s-chg-1".into(), 4_000, "R-1".into()), ("s-chg-2".into(), 6_000, String::new())]);
}

#[tokio::test]
async fn sb_02_unzer_refund_reduces_what_can_be_refunded() {
    let u = unzer().await;
    let type_id = u.card().await;
    let (status, v) = u
        .post(
            "/v1/payments/charges",
            json!({ "amount": "50.00", "currency": "EUR", "resources": { "typeId": type_id } }),
        )
        .await;
    assert_eq!((status, v["id"].as_str()), (200, Some("s-chg-1")), "{v}");
    let pay = v["resources"]["paymentId"].as_str().unwrap().to_owned();
    assert_eq!(u.payment(&pay).await["state"]["name"], "completed");

    let refund = format!("/v1/payments/{pay}/charges/s-chg-1/cancels");
    let (status, v) =
        u.post(&refund, json!({ "amount": 20, "paymentReference": "GS-1", "reasonCode": "RETURN" })).await;
    assert_eq!((status, v["id"].as_str(), v["amount"].as_str()), (200, Some("s-cnl-1"), Some("20.0000")), "{v}");
    assert_eq!(v["reasonCode"], "RETURN");
    let (status, v) = u.post(&refund, json!({ "amount": 30.01 })).await;
    assert_eq!((status, code(&v)), (400, "API.340.000.004"), "more than refundable: {v}");

    let (status, v) = u.post_empty(&refund).await;
    assert_eq!((status, v["id"].as_str(), v["amount"].as_str()), (200, Some("s-cnl-2"), Some("30.0000")), "{v}");
    let p = u.payment(&pay).await;
    assert_eq!(p["state"], json!({ "id": 2, "name": "canceled" }));
    assert_eq!(
        p["amount"],
        json!({ "total": "50.0000", "charged": "0.0000", "canceled": "50.0000", "remaining": "0.0000" })
    );
    assert_eq!(p["transactions"][2]["type"], "cancel-charge");
    assert!(p["transactions"][2]["url"].as_str().unwrap().ends_with("/charges/s-chg-1/cancels/s-cnl-2"));

    let (status, v) = u.post_empty(&refund).await;
    assert_eq!((status, code(&v)), (400, "API.340.100.014"), "already cancelled: {v}");
    let (status, v) = u.get(&format!("/v1/payments/{pay}/charges/s-chg-1/cancels/s-cnl-1")).await;
    assert_eq!((status, v["paymentReference"].as_str()), (200, Some("GS-1")), "{v}");
}

#[tokio::test]
async fn sb_02_unzer_partial_reversals_repeat_until_nothing_is_left() {
    let u = unzer().await;
    let pay = u.authorize_card(80.0, "o-rev").await;
    let (status, v) = u.post(&format!("/v1/payments/{pay}/authorize/cancels"), json!({ "amount": 30 })).await;
    assert_eq!((status, v["id"].as_str()), (200, Some("s-cnl-1")), "{v}");
    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 50.01 })).await;
    assert_eq!((status, code(&v)), (400, "API.330.100.007"), "reversal reduced what can be charged");
    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/authorize/s-aut-1/cancels")).await;
    assert_eq!((status, v["id"].as_str(), v["amount"].as_str()), (200, Some("s-cnl-2"), Some("50.0000")), "{v}");
    let p = u.payment(&pay).await;
    assert_eq!(p["state"]["name"], "canceled");
    assert!(p["transactions"][2]["url"].as_str().unwrap().ends_with("/authorize/s-aut-1/cancels/s-cnl-2"));
    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/authorize/cancels")).await;
    assert_eq!((status, code(&v)), (400, "API.340.100.014"), "{v}");
}

#[tokio::test]
async fn sb_05_unzer_act_then_fail_on_charge_leaves_the_charge_applied() {
    let u = unzer().await;
    let pay = u.authorize_card(100.0, "o-atf").await;
    u.admin.add_fault(&FaultSpec::act_then_fail_once(System::Unzer, "charge", FailMode::Error)).await.unwrap();

    let (status, _) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 25, "invoiceId": "R-7" })).await;
    assert_eq!(status, 500, "the client saw an error");

    let p = u.payment(&pay).await;
    assert_eq!(p["amount"]["charged"], "25.0000", "but the charge was applied: {p}");
    let view = u.admin.unzer_payment(&pay).await.unwrap();
    let charges: Vec<_> = view.transactions.iter().filter(|t| t.kind == TxnType::Charge).collect();
    assert_eq!(charges.len(), 1);
    assert_eq!((charges[0].amount_minor, charges[0].invoice_id.as_str()), (2_500, "R-7"));
    assert_eq!(u.admin.fired_faults().await.unwrap().len(), 1);
}

#[tokio::test]
async fn sb_05_unzer_fail_before_changes_nothing() {
    let u = unzer().await;
    let pay = u.authorize_card(10.0, "o-fb").await;
    u.admin.add_fault(&FaultSpec::fail_times(System::Unzer, "charge", FailMode::Error, 1)).await.unwrap();
    let (status, _) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!(status, 500);
    assert_eq!(u.payment(&pay).await["amount"]["charged"], "0.0000");
    let (status, _) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!(status, 200, "the retry goes through");
}

#[tokio::test]
async fn unzer_prepayment_stays_pending_until_the_transfer_arrives() {
    let u = unzer().await;
    let ppy = u.new_type("prepayment", json!({})).await;
    let (status, v) = u
        .post(
            "/v1/payments/charges",
            json!({ "amount": 80, "currency": "EUR", "orderId": "pp-1", "resources": { "typeId": ppy } }),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["isPending"].as_bool(), v["isSuccess"].as_bool()), (Some(true), Some(false)));
    assert_eq!(v["message"]["code"], "COR.000.200.000");
    for field in ["iban", "bic", "holder", "descriptor"] {
        assert!(v["processing"][field].as_str().is_some_and(|s| !s.is_empty()), "transfer data {field}: {v}");
    }
    let pay = v["resources"]["paymentId"].as_str().unwrap().to_owned();
    assert_eq!(u.payment(&pay).await["state"]["name"], "pending");

    let view = u.admin.unzer_receive_transfer(&pay, Some(5_000)).await.unwrap();
    assert_eq!(view.state, PaymentState::Partly, "underpaid");
    let view = u.admin.unzer_receive_transfer(&pay, None).await.unwrap();
    assert_eq!(view.state, PaymentState::Completed);
    let p = u.payment(&pay).await;
    assert_eq!(p["state"]["name"], "completed");
    assert_eq!(p["transactions"][0]["status"], "pending", "the initial charge never leaves pending");
    assert_eq!(
        (p["transactions"][1]["status"].as_str(), p["transactions"][2]["amount"].as_str()),
        (Some("success"), Some("30.0000"))
    );

    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges/s-chg-1/cancels"), json!({ "amount": 80 })).await;
    assert_eq!((status, code(&v)), (400, "API.340.000.004"), "nothing is owed on the initial charge any more: {v}");
    for (chg, amount) in [("s-chg-2", 50), ("s-chg-3", 30)] {
        let (status, v) =
            u.post(&format!("/v1/payments/{pay}/charges/{chg}/cancels"), json!({ "amount": amount })).await;
        assert_eq!((status, v["id"].as_str()), (200, Some("s-cnl-1")), "refund of the receipt {chg}: {v}");
    }
    assert_eq!(u.payment(&pay).await["state"]["name"], "canceled");
}

#[tokio::test]
async fn unzer_prepayment_cancelled_before_the_transfer_is_a_cancel_not_a_refund() {
    let u = unzer().await;
    let seeded = u
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: u.private.clone(),
            kind: PayKind::Prepayment,
            amount_minor: 3_000,
            currency: "EUR".into(),
            order_id: "pp-2".into(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Natural,
            charged_minor: None,
            at: None,
        })
        .await
        .unwrap();
    assert_eq!(seeded.state, PaymentState::Pending);
    let (status, v) = u.post_empty(&format!("/v1/payments/{}/charges/s-chg-1/cancels", seeded.id)).await;
    assert_eq!(status, 200, "{v}");
    let view = u.admin.unzer_payment(&seeded.id).await.unwrap();
    assert_eq!(view.state, PaymentState::Canceled);
    assert!(!view.transactions[1].refund, "no money had arrived");
}

#[tokio::test]
async fn sb_06_unzer_authorization_expires_after_seven_days_of_sandbox_time() {
    let u = unzer().await;
    let pay = u.authorize_card(50.0, "o-exp").await;
    u.admin.advance_clock(7 * 24 * 3600 - 60).await.unwrap();
    let (status, _) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 10 })).await;
    assert_eq!(status, 200, "still valid a minute before");
    u.admin.advance_clock(120).await.unwrap();
    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 10 })).await;
    assert_eq!((status, code(&v)), (400, "API.330.000.004"), "{v}");
    assert!(v["errors"][0]["merchantMessage"].as_str().unwrap().contains("expired"));
    assert!(u.admin.unzer_payment(&pay).await.unwrap().expired);
    let (status, _) = u.post_empty(&format!("/v1/payments/{pay}/authorize/cancels")).await;
    assert_eq!(status, 200, "the open rest can still be reversed");
}

#[tokio::test]
async fn sb_06_unzer_expired_paylater_authorization_cannot_start_the_payment_term() {
    let u = unzer().await;
    let seeded = u
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: u.private.clone(),
            kind: PayKind::PaylaterInvoice,
            amount_minor: 10_000,
            currency: "EUR".into(),
            order_id: "piv-exp".into(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: None,
            at: None,
        })
        .await
        .unwrap();
    u.admin.advance_clock(8 * 24 * 3600).await.unwrap();
    let (status, v) =
        u.post(&format!("/v1/payments/{}/charges", seeded.id), json!({ "amount": 10, "invoiceId": "R-9" })).await;
    assert_eq!((status, code(&v)), (400, "API.330.000.004"), "the charge starts the term; it is refused: {v}");
    assert!(u.admin.unzer_payment(&seeded.id).await.unwrap().term_started_at.is_none());
}

#[tokio::test]
async fn unzer_shipment_needs_an_invoice_id_and_starts_the_payment_term() {
    let u = unzer().await;
    let seed = |kind, order: &str| SeedPayment {
        private_key: u.private.clone(),
        kind,
        amount_minor: 10_000,
        currency: "EUR".into(),
        order_id: order.into(),
        invoice_id: String::new(),
        payment_reference: String::new(),
        outcome: SeedOutcome::Natural,
        charged_minor: None,
        at: None,
    };
    let piv = u.admin.unzer_seed_payment(&seed(PayKind::InvoiceSecured, "ivs-1")).await.unwrap();
    let (status, v) = u.post_empty(&format!("/v1/payments/{}/shipments", piv.id)).await;
    assert_eq!((status, code(&v)), (400, "API.360.100.025"), "{v}");
    let (status, v) = u.post(&format!("/v1/payments/{}/shipments", piv.id), json!({ "invoiceId": "R-100" })).await;
    assert_eq!((status, v["id"].as_str(), v["invoiceId"].as_str()), (200, Some("s-shp-1"), Some("R-100")), "{v}");
    let view = u.admin.unzer_payment(&piv.id).await.unwrap();
    assert!(view.term_started_at.is_some());
    assert_eq!(view.invoice_id, "R-100");
    let (status, v) = u.get(&format!("/v1/payments/{}/shipments/s-shp-1", piv.id)).await;
    assert_eq!(status, 200, "{v}");

    let card = u.admin.unzer_seed_payment(&seed(PayKind::Card, "crd-1")).await.unwrap();
    let (status, v) = u.post(&format!("/v1/payments/{}/shipments", card.id), json!({ "invoiceId": "R-1" })).await;
    assert_eq!((status, code(&v)), (400, "API.360.000.004"), "{v}");
}

#[tokio::test]
async fn unzer_paylater_types_cancel_on_payment_level_with_a_reason_code() {
    let u = unzer().await;
    let piv = u
        .admin
        .unzer_seed_payment(&SeedPayment {
            private_key: u.private.clone(),
            kind: PayKind::PaylaterInstallment,
            amount_minor: 10_000,
            currency: "EUR".into(),
            order_id: "pit-1".into(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: Some(6_000),
            at: None,
        })
        .await
        .unwrap();
    assert_eq!(piv.state, PaymentState::Partly);
    let path = format!("/v1/payments/{}/charges/cancels", piv.id);
    let (status, v) = u.post(&path, json!({ "amount": 20 })).await;
    assert_eq!((status, code(&v)), (400, "API.340.100.024"), "{v}");
    let (status, v) = u.post(&path, json!({ "amountGross": 20, "reasonCode": "CANCEL" })).await;
    assert_eq!((status, v["id"].as_str()), (200, Some("s-cnl-1")), "{v}");
    let (status, v) = u.post(&path, json!({ "amount": 40.01, "reasonCode": "RETURN" })).await;
    assert_eq!((status, code(&v)), (400, "API.340.000.004"), "{v}");
    let (status, v) = u.post_empty(&format!("/v1/payments/{}/authorize/cancels", piv.id)).await;
    assert_eq!((status, v["amount"].as_str()), (200, Some("40.0000")), "the open authorization: {v}");
    let p = u.payment(&piv.id).await;
    assert_eq!(
        p["amount"],
        json!({ "total": "60.0000", "charged": "40.0000", "canceled": "20.0000", "remaining": "0.0000" }),
        "a reversal shrinks total and is not in canceled (PaymentCancelTest)"
    );
    assert!(p["transactions"][2]["url"].as_str().unwrap().ends_with("/charges/cancels/s-cnl-1"));
    let (status, v) = u.get(&format!("/v1/payments/{}/charges/cancels/s-cnl-1", piv.id)).await;
    assert_eq!((status, v["reasonCode"].as_str()), (200, Some("CANCEL")), "{v}");

    let card = u.authorize_card(10.0, "crd-pl").await;
    let (status, v) = u.post(&format!("/v1/payments/{card}/charges/cancels"), json!({ "reasonCode": "CANCEL" })).await;
    assert_eq!((status, code(&v)), (400, "API.340.000.004"), "only paylater types: {v}");
}

#[tokio::test]
async fn unzer_redirect_types_stay_pending_until_the_customer_returns() {
    let u = unzer().await;
    let ppl = u.new_type("paypal", json!({})).await;
    let body = json!({ "amount": 15, "currency": "EUR", "resources": { "typeId": ppl } });
    let (status, v) = u.post("/v1/payments/authorize", body.clone()).await;
    assert_eq!((status, code(&v)), (400, "API.710.200.100"), "returnUrl needed: {v}");
    let mut body = body;
    body["returnUrl"] = json!("https://shop.example/back");
    let (status, v) = u.post("/v1/payments/authorize", body).await;
    assert_eq!((status, v["isPending"].as_bool()), (200, Some(true)), "{v}");
    let redirect = v["redirectUrl"].as_str().unwrap().to_owned();
    let pay = v["resources"]["paymentId"].as_str().unwrap().to_owned();
    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!((status, code(&v)), (400, "API.330.000.004"), "pending authorization: {v}");

    let no_follow = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = no_follow.get(&redirect).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "https://shop.example/back");
    let (status, v) = u.post_empty(&format!("/v1/payments/{pay}/charges")).await;
    assert_eq!((status, v["amount"].as_str()), (200, Some("15.0000")), "{v}");
}
