//! Building blocks of SwissBilling journeys: a valid order, the payment page at the sandbox, the
//! customer's choice, the verified return, maintenance and settlement.

use proto::payops::invoice_checks::v1 as pb;
use sandbox::System;
use sandbox::postfinance::{Action, Env as PfEnv, PfCustomer, PfSettle};

use crate::helpers::{TenantSpec, TestApp, chf};

pub fn address() -> pb::Address {
    pb::Address {
        first_name: "Anna".into(),
        last_name: "Müller".into(),
        street_number: "5".into(),
        street_line1: "Seestrasse".into(),
        postal_code: "8002".into(),
        city: "Zürich".into(),
        country_code: "CH".into(),
        mobile_number: "+41 79 123 45 67".into(),
        ..Default::default()
    }
}

/// A valid order of CHF 149.00 (one item of 99.00 and two of 25.00).
pub fn order(tenant: &TenantSpec, order_id: &str) -> pb::InvoiceOrder {
    let item = |id: &str, name: &str, price: i64, quantity: i32, category: &str| pb::InvoiceItem {
        item_id: id.into(),
        name: name.into(),
        unit_price: Some(chf(price)),
        vat_code: "8.1%".into(),
        quantity,
        category: category.into(),
        tax_included: true,
    };
    pb::InvoiceOrder {
        tenant: tenant.name.into(),
        order_id: order_id.into(),
        amount: Some(chf(14_900)),
        email: "anna.muster@example.ch".into(),
        language: "de_CH".into(),
        customer_id: "C-17".into(),
        billing: Some(address()),
        shipping: Some(address()),
        items: vec![
            item("2855", "Waschkarte", 9_900, 1, "ServicesForIndividuals"),
            item("77", "Socken", 2_500, 2, "Fashion"),
        ],
        generic_bl_data: String::new(),
    }
}

pub fn urls() -> pb::ReturnUrls {
    pb::ReturnUrls {
        accept_url: "https://shop.example/accept".into(),
        decline_url: "https://shop.example/decline?lang=de".into(),
        exception_url: String::new(),
        cancel_url: "https://shop.example/cancel".into(),
    }
}

pub fn pf_env(t: &TenantSpec) -> PfEnv {
    t.env
}

/// Prepares the page, posts the form to the sandbox like the customer's browser, plays the
/// customer's `action` and returns the redirect's parameters.
pub async fn pay(app: &TestApp, tenant: &TenantSpec, order_id: &str, action: Action) -> Vec<pb::FormParameter> {
    let mut c = app.sb_client().await;
    let form = c
        .prepare_payment_page(pb::PreparePaymentPageRequest {
            order: Some(order(tenant, order_id)),
            urls: Some(urls()),
        })
        .await
        .unwrap()
        .into_inner();
    let env = if tenant.env == PfEnv::Test { "test" } else { "prod" };
    assert_eq!(form.action_url, format!("{}/ncol/{env}/orderstandard_utf8.asp", app.sandbox.url(System::Postfinance)));
    let fields: Vec<(String, String)> = form.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
    let page = reqwest::Client::new().post(&form.action_url).form(&fields).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(order_id) && !page.contains("NCERROR"), "the payment page accepted the form: {page}");
    let outcome = app
        .sandbox
        .client()
        .postfinance_customer(&PfCustomer {
            env: pf_env(tenant),
            pspid: tenant.pspid.into(),
            orderid: order_id.into(),
            action,
        })
        .await
        .unwrap();
    outcome.params.into_iter().map(|(name, value)| pb::FormParameter { name, value }).collect()
}

/// A SwissBilling order authorised through the whole page flow; returns its PAYID.
pub async fn authorised(app: &TestApp, tenant: &TenantSpec, order_id: &str) -> i64 {
    let params = pay(app, tenant, order_id, Action::Accept).await;
    let r = app
        .sb_client()
        .await
        .verify_return(pb::VerifyReturnRequest { tenant: tenant.name.into(), parameters: params })
        .await
        .unwrap()
        .into_inner();
    let tx = r.transaction.unwrap();
    assert_eq!((tx.status_code, tx.status_name.as_str()), (5, "authorised"));
    tx.payid
}

pub async fn maintain(
    app: &TestApp,
    order_id: &str,
    request_id: &str,
    op: pb::MaintenanceOperation,
    amount: Option<i64>,
) -> Result<pb::MaintainResponse, tonic::Status> {
    app.sb_client()
        .await
        .maintain(pb::MaintainRequest {
            order_id: order_id.into(),
            request_id: request_id.into(),
            operation: op as i32,
            amount: amount.map(chf),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The acquirer settles every pending level of `payid` (accepting or refusing).
pub async fn settle(app: &TestApp, tenant: &TenantSpec, payid: i64, refuse: bool) {
    let payid = u64::try_from(payid).unwrap();
    app.sandbox
        .client()
        .postfinance_settle(&PfSettle { env: Some(pf_env(tenant)), payid: Some(payid), refuse })
        .await
        .unwrap();
}

/// The sandbox's history of `payid`: (kind, operation, amount, status) per level.
pub async fn history(app: &TestApp, tenant: &TenantSpec, payid: i64) -> Vec<(String, String, i64, u16)> {
    let tx = app.sandbox.client().postfinance_transaction(pf_env(tenant), u64::try_from(payid).unwrap()).await.unwrap();
    tx.history.into_iter().map(|h| (format!("{:?}", h.kind).to_lowercase(), h.operation, h.amount, h.status)).collect()
}

pub async fn transaction(app: &TestApp, order_id: &str) -> pb::SwissBillingTransaction {
    app.sb_client()
        .await
        .get_transaction(pb::GetTransactionRequest { order_id: order_id.into() })
        .await
        .unwrap()
        .into_inner()
        .transaction
        .unwrap()
}

/// The ErrorInfo reason of a refusal.
pub fn reason(s: &tonic::Status) -> String {
    kit::grpc::status::error_reason(s).unwrap_or_default()
}
