//! Authentication, error bodies and validation codes (SB-03), reads, the HTTP-200 error switch
//! and the demo data.

use sandbox::System;
use sandbox::unzer::{ConfigPatch, PaymentState};
use serde_json::{Value, json};

use super::{assert_error_shape, code, unzer};
use crate::helpers;

#[tokio::test]
async fn sb_03_unzer_missing_wrong_or_unknown_keys_get_401_with_the_errors_body() {
    let u = unzer().await;
    let (status, v) = u.call(reqwest::Method::GET, "/v1/payments/s-pay-1", None, None).await;
    assert_eq!((status, code(&v)), (401, "COR.100.300.600"), "{v}");
    assert_error_shape(&v);

    let (status, v) = u.call(reqwest::Method::GET, "/v1/payments/s-pay-1", Some("s-priv-unknown"), None).await;
    assert_eq!((status, code(&v)), (401, "API.710.000.002"), "{v}");
    assert_error_shape(&v);
    assert!(v["errors"][0]["merchantMessage"].is_string());

    let r = u.http.get(format!("{}/v1/payments/s-pay-1", u.base)).bearer_auth("eyJhbGciOi").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(code(&v), "API.710.000.007");
}

#[tokio::test]
async fn sb_03_unzer_public_key_creates_types_but_gets_403_on_private_resources() {
    let u = unzer().await;
    let type_id = u.card().await;
    assert!(type_id.starts_with("s-crd-"), "{type_id}");

    let (status, v) = u.call(reqwest::Method::GET, "/v1/payments/s-pay-1", Some(&u.public), None).await;
    assert_eq!((status, code(&v)), (403, "API.710.000.005"), "{v}");
    assert_error_shape(&v);
    assert!(v["errors"][0].get("merchantMessage").is_none(), "no merchant message for public keys: {v}");

    let body = json!({ "amount": 10, "currency": "EUR", "resources": { "typeId": type_id } });
    let (status, v) = u.call(reqwest::Method::POST, "/v1/payments/authorize", Some(&u.public), Some(body)).await;
    assert_eq!((status, code(&v)), (403, "API.710.000.005"));

    for kind in ["prepayment", "paypal", "paylater-invoice", "przelewy24", "applepay", "sepa-direct-debit-secured"] {
        let body = if kind.starts_with("sepa") { json!({ "iban": "DE89370400440532013000" }) } else { json!({}) };
        let (status, v) =
            u.call(reqwest::Method::POST, &format!("/v1/types/{kind}"), Some(&u.public), Some(body)).await;
        assert_eq!(status, 200, "{kind}: {v}");
    }
    let (status, v) = u.call(reqwest::Method::POST, "/v1/types/card", Some(&u.public), Some(json!({}))).await;
    assert_eq!((status, code(&v)), (400, "API.710.200.100"), "card needs a number");
}

#[tokio::test]
async fn unzer_validation_errors_carry_the_real_codes() {
    let u = unzer().await;
    let type_id = u.card().await;
    let cases = [
        (json!({ "currency": "EUR", "resources": { "typeId": type_id } }), "API.710.200.100"),
        (json!({ "amount": 10, "resources": { "typeId": type_id } }), "API.710.200.100"),
        (json!({ "amount": 10, "currency": "EUR" }), "API.710.200.100"),
        (json!({ "amount": 10, "currency": "XXX", "resources": { "typeId": type_id } }), "API.330.100.202"),
        (json!({ "amount": "1.001", "currency": "EUR", "resources": { "typeId": type_id } }), "API.500.300.999"),
        (json!({ "amount": 10, "currency": "EUR", "resources": { "typeId": "s-crd-nothere" } }), "API.320.200.145"),
    ];
    for (body, expected) in cases {
        let (status, v) = u.post("/v1/payments/authorize", body.clone()).await;
        assert_eq!((status, code(&v)), (400, expected), "{body}");
    }
    let r = u
        .http
        .post(format!("{}/v1/payments/authorize", u.base))
        .basic_auth(&u.private, Some(""))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(code(&r.json().await.unwrap()), "API.500.300.999");

    let ppy = u.new_type("prepayment", json!({})).await;
    let (status, v) = u
        .post("/v1/payments/authorize", json!({ "amount": 10, "currency": "EUR", "resources": { "typeId": ppy } }))
        .await;
    assert_eq!((status, code(&v)), (400, "API.320.000.004"), "prepayment is charge-only");

    u.authorize_card(10.0, "dup").await;
    let (status, v) = u
        .post(
            "/v1/payments/authorize",
            json!({ "amount": 10, "currency": "EUR", "orderId": "dup", "resources": { "typeId": type_id } }),
        )
        .await;
    assert_eq!((status, code(&v)), (400, "API.320.200.138"), "orderId in use");

    let (status, v) = u.get("/v1/payments/s-pay-999").await;
    assert_eq!((status, code(&v)), (404, "API.310.100.003"));
    let err_id = v["id"].as_str().unwrap().to_owned();
    let (status, stored) = u.get(&format!("/v1/errors/{err_id}")).await;
    assert_eq!((status, code(&stored)), (200, "API.310.100.003"), "errors can be fetched again");

    let r = u
        .http
        .get(format!("{}/v1/payments/s-pay-999", u.base))
        .basic_auth(&u.private, Some(""))
        .header("accept-language", "de-DE")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert!(v["errors"][0]["customerMessage"].as_str().unwrap().contains("Fehler"), "{v}");
}

#[tokio::test]
async fn unzer_errors_can_come_with_http_200_when_switched_on() {
    let u = unzer().await;
    let pay = u.authorize_card(10.0, "o-200").await;
    u.admin
        .unzer_set_config(&ConfigPatch { errors_with_http_200: Some(true), ..ConfigPatch::default() })
        .await
        .unwrap();
    let (status, v) = u.post(&format!("/v1/payments/{pay}/charges"), json!({ "amount": 11 })).await;
    assert_eq!((status, code(&v)), (200, "API.330.100.007"), "{v}");
    assert_eq!(v["isError"], true);
    let (status, v) = u.call(reqwest::Method::GET, &format!("/v1/payments/{pay}"), Some("s-priv-nope"), None).await;
    assert_eq!((status, code(&v)), (200, "API.710.000.002"));
}

#[tokio::test]
async fn unzer_payment_and_transactions_can_be_read_by_id_and_order_id() {
    let u = unzer().await;
    let pay = u.authorize_card(12.34, "shop-4711").await;
    let by_order = u.payment("shop-4711").await;
    assert_eq!(by_order["id"], pay.as_str());
    assert_eq!(by_order["orderId"], "shop-4711");
    assert!(by_order["resources"]["typeId"].as_str().unwrap().starts_with("s-crd-"));
    let (status, v) = u.get(&format!("/v1/payments/{pay}/authorize/s-aut-1")).await;
    assert_eq!((status, v["amount"].as_str(), v["isSuccess"].as_bool()), (200, Some("12.3400"), Some(true)), "{v}");
    assert_eq!(v["message"]["code"], "COR.000.100.112");
    assert_eq!(v["date"].as_str().unwrap().len(), 19);
    let (status, v) = u.get(&format!("/v1/payments/{pay}/charges/s-chg-1")).await;
    assert_eq!(status, 404, "{v}");
}

#[tokio::test]
async fn unzer_demo_merchant_and_payments_are_loaded() {
    let sb = helpers::start_with_demo().await;
    let payments = sb.client().unzer_payments().await.unwrap();
    assert_eq!(payments.len(), 12);
    assert!(payments.iter().any(|p| p.state == PaymentState::Completed));
    let r = helpers::http()
        .get(format!("{}/v1/payments/demo-1001", sb.url(System::Unzer)))
        .basic_auth(sandbox::unzer::DEMO_PRIVATE_KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
