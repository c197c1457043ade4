//! Flow 4 of the architecture: an invoice-on-account (SwissBilling) order is authorised through
//! the PostFinance payment page, its capture is sent, the acquirer refuses it → invoice-checks'
//! refresh worker sees the refusal → attention event → exactly one Freshdesk ticket, and the
//! order's timeline shows both.

use proto::payops::common::v1::Money;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::swiss_billing_service_client::SwissBillingServiceClient;
use stack::platform::Service;
use stack::sandbox::postfinance::{Action, Env as PfEnv, PfCustomer, PfSettle};

use super::world::{LIMIT, World, eventually};

fn chf(minor: i64) -> Money {
    Money { amount_minor: minor, currency: "CHF".into() }
}

fn order(tenant: &str, order_id: &str) -> pb::InvoiceOrder {
    let address = pb::Address {
        first_name: "Anna".into(),
        last_name: "Müller".into(),
        street_number: "5".into(),
        street_line1: "Seestrasse".into(),
        postal_code: "8002".into(),
        city: "Zürich".into(),
        country_code: "CH".into(),
        mobile_number: "+41 79 123 45 67".into(),
        ..Default::default()
    };
    pb::InvoiceOrder {
        tenant: tenant.into(),
        order_id: order_id.into(),
        amount: Some(chf(14_900)),
        email: "anna.muster@example.ch".into(),
        language: "de_CH".into(),
        customer_id: "C-17".into(),
        billing: Some(address.clone()),
        shipping: Some(address),
        items: vec![pb::InvoiceItem {
            item_id: "2855".into(),
            name: "Waschkarte".into(),
            unit_price: Some(chf(14_900)),
            vat_code: "8.1%".into(),
            quantity: 1,
            category: "ServicesForIndividuals".into(),
            tax_included: true,
        }],
        generic_bl_data: String::new(),
    }
}

#[tokio::test]
async fn a_swissbilling_capture_refused_by_postfinance_opens_one_ticket_and_shows_on_the_timeline() {
    let w = World::new().await;
    // The platform's SwissBilling tenant on PostFinance's TEST environment.
    let account = w.platform.config.accounts.postfinance.iter().find(|a| a.env == PfEnv::Test).expect("a TEST account");
    let mut sb = SwissBillingServiceClient::new(w.connect(Service::InvoiceChecks).await);
    let urls = pb::ReturnUrls {
        accept_url: "https://shop.example/accept".into(),
        decline_url: "https://shop.example/decline".into(),
        exception_url: String::new(),
        cancel_url: "https://shop.example/cancel".into(),
    };
    let form = sb
        .prepare_payment_page(pb::PreparePaymentPageRequest {
            order: Some(order(&account.tenant, "SB-4711")),
            urls: Some(urls),
        })
        .await
        .unwrap()
        .into_inner();
    // The customer's browser posts the signed form to PostFinance and accepts the invoice.
    let fields: Vec<(String, String)> = form.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
    let page = reqwest::Client::new().post(&form.action_url).form(&fields).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("SB-4711") && !page.contains("NCERROR"), "{page}");
    let back = w
        .admin
        .postfinance_customer(&PfCustomer {
            env: account.env,
            pspid: account.pspid.clone(),
            orderid: "SB-4711".into(),
            action: Action::Accept,
        })
        .await
        .unwrap();
    let parameters = back.params.into_iter().map(|(name, value)| pb::FormParameter { name, value }).collect();
    let tx = sb
        .verify_return(pb::VerifyReturnRequest { tenant: account.tenant.clone(), parameters })
        .await
        .unwrap()
        .into_inner()
        .transaction
        .unwrap();
    assert_eq!(tx.status_code, 5, "authorised");

    let capture = pb::MaintainRequest {
        order_id: "SB-4711".into(),
        request_id: "capture-1".into(),
        operation: pb::MaintenanceOperation::CaptureLast as i32,
        amount: None,
    };
    sb.maintain(capture).await.unwrap();
    let payid = u64::try_from(tx.payid).unwrap();
    let refuse = PfSettle { env: Some(account.env), payid: Some(payid), refuse: true };
    w.admin.postfinance_settle(&refuse).await.unwrap();

    // invoice-checks' refresh worker learns of the refusal on its own.
    let get = pb::GetTransactionRequest { order_id: "SB-4711".into() };
    let refused = eventually("the refusal is recorded", LIMIT, || {
        let mut c = sb.clone();
        let get = get.clone();
        async move {
            let t = c.get_transaction(get).await.map_err(|e| e.to_string())?.into_inner().transaction.unwrap();
            if t.status_code == 93 { Ok(t) } else { Err(format!("status {}", t.status_code)) }
        }
    })
    .await;
    assert_eq!(refused.captured.unwrap().amount_minor, 0, "nothing captured");

    let tickets = w.ticket_for("SB-4711").await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert!(!tickets[0].description.contains("Müller"), "no personal data in the ticket");
    w.timeline_with("SB-4711", "invoice-checks", "attention").await;
    w.timeline_with("SB-4711", "ticketing-bridge", "ticket_created").await;
    assert_eq!(w.tickets_for("SB-4711").await.len(), 1, "still one ticket");
}
