//! The payment-page form as PostFinance's published documents have it (issue 16): every signed
//! name on the platform's SHA-IN list and nothing else signed, line items in natural order,
//! ITEMPRICE in francs, and the documented field lengths (ORDERID AN 30, AMOUNT N 15).

use proto::payops::invoice_checks::v1 as pb;

use crate::flow::{order, urls};
use crate::helpers::{TEST_SHOP, TestApp, chf};

async fn form(app: &TestApp, o: pb::InvoiceOrder) -> pb::PreparePaymentPageResponse {
    let mut c = app.sb_client().await;
    c.prepare_payment_page(pb::PreparePaymentPageRequest { order: Some(o), urls: Some(urls()) })
        .await
        .unwrap()
        .into_inner()
}

fn value<'a>(f: &'a pb::PreparePaymentPageResponse, name: &str) -> &'a str {
    f.parameters.iter().find(|p| p.name == name).map_or("", |p| p.value.as_str())
}

/// Posts the form as the customer's browser would; the page's answer after redirects.
async fn post(f: &pb::PreparePaymentPageResponse) -> String {
    let fields: Vec<(String, String)> = f.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
    reqwest::Client::new().post(&f.action_url).form(&fields).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn ic_08_item_prices_are_sent_in_francs_while_the_amount_is_sent_times_100() {
    let app = TestApp::spawn().await;
    let f = form(&app, order(&TEST_SHOP, "SB-W1")).await;
    assert_eq!(value(&f, "AMOUNT"), "14900");
    assert_eq!((value(&f, "ITEMPRICE1"), value(&f, "ITEMPRICE2")), ("99.00", "25.00"));
    app.stop().await;
}

#[tokio::test]
async fn ic_08_a_b2b_order_with_phone_numbers_and_blacklist_data_opens_the_payment_page() {
    let app = TestApp::spawn().await;
    let mut o = order(&TEST_SHOP, "SB-W2");
    for a in [o.billing.as_mut().unwrap(), o.shipping.as_mut().unwrap()] {
        a.company = "Immo Seeblick AG".into();
        a.name_prefix = "Frau".into();
        a.phone_number = "+41 44 123 45 67".into();
    }
    o.generic_bl_data = "CAT-A".into();
    let f = form(&app, o).await;
    assert_eq!(value(&f, "GENERIC_BL_DATA"), "CAT-A");
    let page = post(&f).await;
    assert!(page.contains("SB-W2") && !page.contains("NCERROR"), "PostFinance refused the signature: {page}");
    app.stop().await;
}

#[tokio::test]
async fn ic_08_an_order_with_ten_items_is_signed_in_natural_order() {
    let app = TestApp::spawn().await;
    let mut o = order(&TEST_SHOP, "SB-W3");
    let item = o.items[1].clone();
    o.items = (1..=10).map(|i| pb::InvoiceItem { item_id: format!("SOCK-{i}"), quantity: 1, ..item.clone() }).collect();
    o.amount = Some(chf(25_000));
    let f = form(&app, o).await;
    let page = post(&f).await;
    assert!(page.contains("SB-W3") && !page.contains("NCERROR"), "PostFinance refused the signature: {page}");
    app.stop().await;
}

#[tokio::test]
async fn ic_05_orderid_is_an_30_and_amount_n_15_the_seeds_length_6_for_amount_is_a_typo_like_email() {
    let app = TestApp::spawn().await;
    let c = app.sb_client().await;
    let check = |o: pb::InvoiceOrder| {
        let mut c = c.clone();
        async move { c.check_order(pb::CheckOrderRequest { order: Some(o) }).await.unwrap().into_inner() }
    };
    let long = check(order(&TEST_SHOP, &"A".repeat(31))).await;
    assert!(long.violations.iter().any(|v| v.field == "order.order_id" && v.rule == "IC-05"), "{long:?}");
    assert!(check(order(&TEST_SHOP, &"A".repeat(30))).await.passes);
    // CHF 12'000.00 is 7 digits in Rappen: within AMOUNT's 15.
    let mut big = order(&TEST_SHOP, "SB-W4");
    big.amount = Some(chf(1_200_000));
    big.items.truncate(1);
    big.items[0].unit_price = Some(chf(1_200_000));
    let r = check(big).await;
    assert!(r.passes, "{:?}", r.violations);
    app.stop().await;
}
