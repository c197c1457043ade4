//! Transport, authentication, SOAP faults, parameter binding, quiet window, demo data.

use reqwest::StatusCode;
use sandbox::System;
use sandbox::pixi::{CreateUser, CreditNoteRequest, OrderStatus, Ship, UserOptions};

use super::{PASS, USER, envelope, fault_of, open, order, pixi, rows};
use crate::helpers;

#[tokio::test]
async fn sb_03_pixi_wrong_credentials_get_401_with_a_basic_challenge() {
    let p = pixi().await;
    let body = || envelope("pixiGetOrderHeader", &[("OrderNr", "1")]);
    for (path, user, pass) in [("/", USER, "wrong"), ("/", "nobody", PASS), ("/soap/other-user/", USER, PASS)] {
        let (status, text) = p.post(path, user, pass, body()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} {user}");
        assert_eq!(fault_of(&text), ("SOAP-ENV:Client".into(), "Unauthorized".into()));
    }
    let r = p.http.post(&p.url).body(body()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let (status, _) = p.post(&format!("/soap/{USER}/"), USER, PASS, body()).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sb_03_pixi_unknown_or_miscased_call_is_a_client_fault() {
    let p = pixi().await;
    for call in ["pixiGetSomething", "pixigetorderheader"] {
        let (code, text) = p.fault(call, &[]).await;
        assert_eq!(code, "SOAP-ENV:Client");
        assert_eq!(text, format!("Procedure '{call}' not present"));
    }
}

#[tokio::test]
async fn sb_03_pixi_malformed_xml_is_a_client_fault() {
    let p = pixi().await;
    for body in ["<SOAP-ENV:Envelope", "not xml at all", "<a><b></a>", ""] {
        let (status, text) = p.post("/", USER, PASS, body.into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(fault_of(&text), ("SOAP-ENV:Client".into(), "Bad Request".into()), "{body}");
    }
}

#[tokio::test]
async fn sb_03_pixi_parameters_bind_like_stored_procedures() {
    let p = pixi().await;
    // Binding errors are SQL errors inside a normal answer, as pixi's SDK expects them.
    let (number, text) = p.sql_error("pixiGetInvoiceLines", &[]).await;
    assert_eq!(number, "201");
    assert!(text.contains("expects parameter '@InvoiceNr', which was not supplied"), "{text}");
    let (number, text) = p.sql_error("pixiGetOrderHeader", &[("OrderNr", "abc")]).await;
    assert_eq!(number, "8114");
    assert!(text.contains("Error converting data type nvarchar to int"), "{text}");
    let (number, text) = p.sql_error("pixiGetOrderHeader", &[("Bogus", "1")]).await;
    assert_eq!(number, "8145");
    assert!(text.contains("@Bogus is not a parameter for procedure pipiGetOrderHeader"), "{text}");
}

#[tokio::test]
async fn sb_03_pixi_manual_booking_errors_are_return_code_error_not_faults() {
    let p = pixi().await;
    let nr = p.seed(order("UNZERCC", &[1000])).await;
    let cust = p.admin.pixi_order(USER, nr).await.unwrap().cust_key.to_string();
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("CustKey", &cust), ("Amount", "10.00")], "EventID is required"),
        (&[("CustKey", &cust), ("EventID", "UZEX"), ("Amount", "10.00")], "too long"),
        (&[("CustKey", &cust), ("EventID", "XYZ"), ("Amount", "10.00")], "does not exist"),
        (&[("CustKey", "999999"), ("EventID", "UZE"), ("Amount", "10.00")], "Customer 999999 does not exist"),
        (&[("CustKey", &cust), ("EventID", "UZE")], "Amount is required"),
    ];
    for (params, message) in cases {
        let body = p.call("pixiCACreateManualBooking", params).await;
        let r = &rows(&body, 1)[0];
        assert_eq!(r["ReturnCode"], "ERROR", "{params:?}");
        assert!(r["ErrorMessage"].contains(message), "{} / {message}", r["ErrorMessage"]);
    }
    let body = p
        .call(
            "pixiCACreateManualBooking",
            &[("CustKey", &cust), ("EventID", "UZR"), ("Amount", "4.5"), ("Comment", "refund")],
        )
        .await;
    assert_eq!(rows(&body, 1)[0]["ReturnCode"], "OK");
    let customer = p.admin.pixi_customer(USER, cust.parse().unwrap()).await.unwrap();
    assert_eq!(customer.bookings.len(), 1);
    assert_eq!((customer.bookings[0].amount_minor, customer.bookings[0].effect_minor), (450, -450));
}

#[tokio::test]
async fn sb_02_pixi_manual_booking_matched_to_a_document_settles_its_paid_sum() {
    let p = pixi().await;
    let nr = p.seed(open("UNZERCC", &[1000, 500])).await;
    let order = p.admin.pixi_order(USER, nr).await.unwrap();
    let cust = order.cust_key.to_string();
    p.admin.pixi_ship(USER, nr, &Ship::default()).await.unwrap();
    let returned = order.lines[0].key;
    let credit = p
        .admin
        .pixi_credit_note(USER, nr, &CreditNoteRequest { lines: vec![returned], ..Default::default() })
        .await
        .unwrap();
    assert_eq!(credit.paid_minor, 0);
    let params =
        [("CustKey", cust.as_str()), ("EventID", "UZR"), ("Amount", "10.00"), ("MatchToInvoiceNr", credit.nr.as_str())];
    assert_eq!(rows(&p.call("pixiCACreateManualBooking", &params).await, 1)[0]["ReturnCode"], "OK");
    let listed = p.call("pixiGetInvoice", &[("OrderNR", &nr.to_string())]).await;
    let row = rows(&listed, 1).into_iter().find(|r| r["InvoiceNr"] == credit.nr).unwrap();
    assert_eq!((row["PayedSum"].as_str(), row["Paid"].as_str()), ("-10.0000", "1"));
    let view = p.admin.pixi_order(USER, nr).await.unwrap();
    assert_eq!(view.bookings[0].match_invoice_nr.as_deref(), Some(credit.nr.as_str()));
}

#[tokio::test]
async fn sb_06_pixi_quiet_window_calls_are_recorded_and_refused_when_enforced() {
    let p = pixi().await;
    // 01:30 UTC in January = 02:30 in Berlin.
    let at = serde_json::json!({ "at": "2031-01-15T01:30:00Z" });
    p.admin.post::<_, serde_json::Value>("/admin/clock/set", &at).await.unwrap();
    p.call("pixiGetOrderHeader", &[("OrderNr", "1")]).await;
    let calls = p.admin.pixi_quiet_window_calls(USER).await.unwrap();
    assert_eq!((calls.len(), calls[0].call.as_str(), calls[0].refused), (1, "pixiGetOrderHeader", false));

    p.admin
        .pixi_update_user(USER, &UserOptions { enforce_quiet_window: Some(true), ..Default::default() })
        .await
        .unwrap();
    let (status, _) = p.post("/", USER, PASS, envelope("pixiGetOrderHeader", &[])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    p.admin.advance_clock(2 * 3600).await.unwrap();
    p.call("pixiGetOrderHeader", &[]).await;
    assert_eq!(p.admin.pixi_quiet_window_calls(USER).await.unwrap().len(), 2);
}

#[tokio::test]
async fn sb_08_pixi_demo_has_installations_with_orders_in_assorted_states() {
    let (one, two) = (helpers::start_with_demo().await, helpers::start_with_demo().await);
    let orders = one.client().pixi_orders("demo").await.unwrap();
    assert_eq!(orders.len(), 60);
    assert_eq!(one.client().pixi_orders("nordshop").await.unwrap().len(), 40);
    for s in [OrderStatus::Hold, OrderStatus::Open, OrderStatus::Closed] {
        assert!(orders.iter().filter(|o| o.status == s).count() >= 5, "{s:?}");
    }
    assert!(orders.iter().any(|o| o.locked && o.payment_code == "VORKASSE"));
    assert!(orders.iter().any(|o| o.order_nr_external == format!("P{}", o.order_nr)));
    assert_eq!(orders, two.client().pixi_orders("demo").await.unwrap(), "same seed, same demo");
    let http = helpers::http();
    let r = http
        .post(one.url(System::Pixi))
        .basic_auth("demo", Some("demo-secret"))
        .body(envelope("pixiGetInvoice", &[("RowCount", "5")]))
        .send()
        .await
        .unwrap();
    assert_eq!(rows(&r.text().await.unwrap(), 1).len(), 5);
}

#[tokio::test]
async fn pixi_api_users_are_separate_installations() {
    let p = pixi().await;
    p.admin
        .pixi_create_user(&CreateUser { user: "second".into(), password: "pw".into(), ..Default::default() })
        .await
        .unwrap();
    let nr = p.seed(order("UNZERCC", &[1000])).await;
    let (status, body) =
        p.post("/soap/second/", "second", "pw", envelope("pixiGetOrderHeader", &[("OrderNr", &nr.to_string())])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(rows(&body, 1).is_empty());
    let dup = p.admin.pixi_user("second", "x").await.unwrap_err();
    assert!(dup.to_string().contains("409"), "{dup}");
}
