//! Exercising each service of a [`Platform`] a little, through its public gRPC API and the
//! sandbox, so that its metric families exist: gRPC calls that succeed and fail, calls to its
//! partner, events through outbox, relay and consumers, and its domain counters. Accounts,
//! tokens and logins are the platform's own (`p.config.accounts`, `p.tokens()`, the Nets
//! account of `SeedOptions`).

use std::time::Duration;
use testkit::eventually;

use chrono::{Days, Utc};
use kit::OrderId;
use kit::bus::event::NewEvent;
use prost::Message;
use proto::payops::common::v1::Money;
use proto::payops::events::v1::Attention;
use proto::payops::hotline::v1 as hl;
use proto::payops::invoice_checks::v1 as ic;
use proto::payops::terminal_gateway::v1 as tg;
use proto::payops::ticketing::v1 as tk;
use sandbox::nets::{CustomerAction, NetsTerminalSeed};
use sandbox::pgw::{Env as PgwEnv, PgwDevice, PgwTransaction};
use sandbox::postfinance::{Action, Env as PfEnv, PfCustomer};
use stack::platform::{Platform, PostFinanceAccount, SeedOptions, Service};

/// A channel to `service` that authenticates with the platform's service token; a request that
/// carries its own `authorization` (an agent session, the manager) keeps it.
pub fn channel(p: &Platform, service: Service) -> kit::grpc::client::TracedChannel {
    testkit::grpc_channel_as(p.grpc_url(service), &p.tokens().platform)
}

/// The platform's Nets account (user name, password): the one its demo seed uses.
pub fn nets_account() -> (String, String) {
    SeedOptions::default().nets_account
}

/// The platform's SwissBilling tenant on PostFinance's TEST environment.
pub fn swissbilling_test(p: &Platform) -> &PostFinanceAccount {
    p.config.accounts.postfinance.iter().find(|a| a.env == PfEnv::Test).expect("a PostFinance TEST account")
}

fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(message);
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

fn chf(minor: i64) -> Money {
    Money { amount_minor: minor, currency: "CHF".into() }
}

/// ticketing-bridge: a CreateTicket that opens a Freshdesk ticket, and one refused as invalid.
pub async fn ticketing(p: &Platform) {
    let mut c = tk::ticketing_service_client::TicketingServiceClient::new(channel(p, Service::TicketingBridge));
    let req = tk::CreateTicketRequest {
        request_id: "ops-req-1".into(),
        order_id: "OPS-1".into(),
        subject: "Operability check".into(),
        description: "A ticket from the metrics test.".into(),
        requester: Some(tk::Requester {
            contact: Some(tk::requester::Contact::Email("ops@example.com".into())),
            name: String::new(),
        }),
        r#type: "Question".into(),
        priority: tk::TicketPriority::Low as i32,
        group: "hotline".into(),
        tags: vec![],
    };
    c.create_ticket(req.clone()).await.unwrap();
    let refused = c.create_ticket(tk::CreateTicketRequest { subject: String::new(), ..req }).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
}

/// hotline-api: a login, a code lookup at PGW (an expired code) and its B2C ticket, which
/// hotline-api opens through ticketing-bridge. Returns the ticket id.
pub async fn hotline(p: &Platform) -> i64 {
    let day = Utc::now().date_naive().checked_sub_days(Days::new(4)).unwrap();
    let at = day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let admin = p.config.sandbox.client();
    admin
        .pgw_add_device(&PgwDevice {
            env: PgwEnv::Prod,
            b_code: "b10234".into(),
            internal_id: "DEV-0017".into(),
            sub_merchant: "Wohnbau Zürich AG".into(),
            location: "Hardstrasse 12, 8005 Zürich".into(),
            code_validity_hours: Some(72),
        })
        .await
        .unwrap();
    let tx = admin
        .pgw_add_transaction(&PgwTransaction {
            env: PgwEnv::Prod,
            id: None,
            twint_ref: None,
            device: "b10234".into(),
            mobile: "+41791234567".into(),
            at,
            amount_rappen: 350,
            payment_method: None,
            status: None,
            code: None,
            valid_until: None,
        })
        .await
        .unwrap();
    let ch = channel(p, Service::HotlineApi);
    let (username, password) = p.tokens().admin.clone();
    let login = hl::LoginRequest { username, password: password.clone() };
    let token =
        hl::agent_service_client::AgentServiceClient::new(ch.clone()).login(login).await.unwrap().into_inner().token;
    let mut c = hl::hotline_service_client::HotlineServiceClient::new(ch);
    let lookup = hl::LookupCodeRequest {
        device_b_code: "b10234".into(),
        payment_mobile: "+41791234567".into(),
        payment_date: day.format("%Y-%m-%d").to_string(),
        contact_email: "mieterin@example.ch".into(),
        ..Default::default()
    };
    let r = c.lookup_code(bearer(&token, lookup)).await.unwrap().into_inner();
    assert!(matches!(r.outcome, Some(hl::lookup_code_response::Outcome::Expired(_))), "{r:?}");
    let ticket = hl::CreateB2cTicketRequest { request_id: "ops-b2c-1".into(), lookup_id: r.lookup_id };
    let t = c.create_b2c_ticket(bearer(&token, ticket)).await.unwrap().into_inner().ticket.unwrap();
    assert!(t.ticket_id > 0 && t.created, "{t:?}");
    // An admin generates a new code for the expired one (step-up with the password).
    let generate = hl::GenerateCodeRequest { transaction_id: i64::try_from(tx.id).unwrap(), password };
    c.generate_code(bearer(&token, generate)).await.unwrap();
    t.ticket_id
}

/// terminal-gateway: the platform's Nets account opened at Nets, its credentials checked
/// there, a terminal registered, a payment the customer approves.
pub async fn terminal(p: &Platform) {
    let admin = p.config.sandbox.client();
    let (username, password) = nets_account();
    admin.nets_add_account(&username, &password).await.unwrap();
    admin.nets_add_terminal(&NetsTerminalSeed::new("T-1", &username)).await.unwrap();
    let ch = channel(p, Service::TerminalGateway);
    let mut terminals = tg::terminal_service_client::TerminalServiceClient::new(ch.clone());
    let creds = tg::SetNetsCredentialsRequest { tenant_id: "hotel".into(), username, password, verify: true };
    terminals.set_nets_credentials(creds).await.unwrap();
    let reg = tg::RegisterTerminalRequest {
        tenant_id: "hotel".into(),
        terminal_id: "T-1".into(),
        display_name: "Desk".into(),
        pos: String::new(),
        active: true,
        currency: "CHF".into(),
        time_zone: "Europe/Zurich".into(),
    };
    terminals.register_terminal(reg).await.unwrap();
    let mut payments = tg::terminal_payment_service_client::TerminalPaymentServiceClient::new(ch);
    let start = tg::StartPaymentRequest {
        tenant_id: "hotel".into(),
        request_id: "ops-pay-1".into(),
        order_id: "T-88".into(),
        amount: Some(chf(12_50)),
        terminal_id: "T-1".into(),
        workstation_id: String::new(),
    };
    let payment = payments.start_payment(start).await.unwrap().into_inner().payment.unwrap();
    // The gateway sends the purchase to Nets in the background: the customer pays once the
    // terminal shows it.
    eventually("the terminal shows the purchase", Duration::from_secs(30), || async {
        admin.nets_customer("T-1", CustomerAction::Approve).await.ok()
    })
    .await;
    let get = tg::GetPaymentRequest { tenant_id: "hotel".into(), payment_id: payment.payment_id };
    let state = eventually("the terminal payment is approved", Duration::from_secs(30), || {
        let mut payments = payments.clone();
        let get = get.clone();
        async move {
            let p = payments.get_payment(get).await.unwrap().into_inner().payment.unwrap();
            (p.state != tg::PaymentState::Waiting as i32).then_some(p.state)
        }
    })
    .await;
    assert_eq!(state, tg::PaymentState::Approved as i32);
}

/// invoice-checks: a manual payment (paid as the platform's service caller) approved by the
/// platform's manager, and an order of the platform's SwissBilling TEST tenant paid on the
/// PostFinance page, verified and captured through DirectLink.
pub async fn invoice(p: &Platform) {
    let manager = p.tokens().manager.as_str();
    let account = swissbilling_test(p);
    let ch = channel(p, Service::InvoiceChecks);
    let mut mp = ic::manual_payment_service_client::ManualPaymentServiceClient::new(ch.clone());
    let merchant = ic::ManualMerchant {
        merchant_id: "cash-desk".into(),
        name: "Barzahlung am Schalter".into(),
        description: "Bar".into(),
        image_url: String::new(),
        commission_percent: "2.5".into(),
        fixed_fee: Some(chf(30)),
        account_currency: "CHF".into(),
        fallback_currency: "CHF".into(),
        supported_currencies: vec!["CHF".into()],
        comment_hint: String::new(),
    };
    let m = ic::SaveMerchantRequest { merchant: Some(merchant) };
    mp.save_merchant(bearer(manager, m)).await.unwrap();
    let offer = ic::Offer {
        offer_id: "course-42".into(),
        name: "Kurs".into(),
        payment_system_id: "cash-desk".into(),
        prices: vec![chf(10_000)],
        confirmation_days: 0,
    };
    mp.save_offer(bearer(manager, ic::SaveOfferRequest { offer: Some(offer) })).await.unwrap();
    let pay = ic::PayManuallyRequest {
        request_id: "ops-mp-1".into(),
        offer_id: "course-42".into(),
        customer_id: "c-7".into(),
        currency: "CHF".into(),
        payment_date: String::new(),
        comment: "bar bezahlt".into(),
    };
    let payment = mp.pay_manually(pay).await.unwrap().into_inner().payment.unwrap();
    let approve = ic::ApprovePaymentRequest { order_id: payment.order_id, adjustments: None };
    mp.approve_payment(bearer(manager, approve)).await.unwrap();

    let mut sb = ic::swiss_billing_service_client::SwissBillingServiceClient::new(ch);
    let form = sb
        .prepare_payment_page(ic::PreparePaymentPageRequest {
            order: Some(sb_order(&account.tenant, "SB-OPS-1")),
            urls: Some(sb_urls()),
        })
        .await
        .unwrap()
        .into_inner();
    let fields: Vec<(String, String)> = form.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
    let page = reqwest::Client::new().post(&form.action_url).form(&fields).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("NCERROR"), "the payment page accepted the form: {page}");
    let customer = PfCustomer {
        env: account.env,
        pspid: account.pspid.clone(),
        orderid: "SB-OPS-1".into(),
        action: Action::Accept,
    };
    let outcome = p.config.sandbox.client().postfinance_customer(&customer).await.unwrap();
    let parameters: Vec<ic::FormParameter> =
        outcome.params.into_iter().map(|(name, value)| ic::FormParameter { name, value }).collect();
    // A forged return (amount changed after signing) is refused and counted as a security event.
    let mut forged = parameters.clone();
    for p in forged.iter_mut().filter(|p| p.name.eq_ignore_ascii_case("amount")) {
        p.value = "1".into();
    }
    let verify = ic::VerifyReturnRequest { tenant: account.tenant.clone(), parameters: forged };
    sb.verify_return(verify).await.unwrap_err();
    let verify = ic::VerifyReturnRequest { tenant: account.tenant.clone(), parameters };
    sb.verify_return(verify).await.unwrap();
    let maintain = ic::MaintainRequest {
        order_id: "SB-OPS-1".into(),
        request_id: "ops-capture-1".into(),
        operation: ic::MaintenanceOperation::CaptureLast as i32,
        amount: None,
    };
    sb.maintain(maintain).await.unwrap();
}

fn sb_address() -> ic::Address {
    ic::Address {
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

fn sb_order(tenant: &str, order_id: &str) -> ic::InvoiceOrder {
    ic::InvoiceOrder {
        tenant: tenant.into(),
        order_id: order_id.into(),
        amount: Some(chf(9_900)),
        email: "anna.muster@example.ch".into(),
        language: "de_CH".into(),
        customer_id: "C-17".into(),
        billing: Some(sb_address()),
        shipping: Some(sb_address()),
        items: vec![ic::InvoiceItem {
            item_id: "2855".into(),
            name: "Waschkarte".into(),
            unit_price: Some(chf(9_900)),
            vat_code: "8.1%".into(),
            quantity: 1,
            category: "ServicesForIndividuals".into(),
            tax_included: true,
        }],
        generic_bl_data: String::new(),
    }
}

fn sb_urls() -> ic::ReturnUrls {
    ic::ReturnUrls {
        accept_url: "https://shop.example/accept".into(),
        decline_url: "https://shop.example/decline".into(),
        exception_url: String::new(),
        cancel_url: "https://shop.example/cancel".into(),
    }
}

/// ticketing-bridge: two attention events of one incident, as pixi-sync publishes them: one
/// ticket, then a note on it.
pub async fn attention_twice(p: &Platform) {
    let js = async_nats::jetstream::new(async_nats::connect(p.config.nats_url.as_str()).await.unwrap());
    for n in 1..=2 {
        let msg = Attention {
            incident_id: "PXI-OPS-1".into(),
            severity: 3,
            title: format!("Capture failed ({n})"),
            description: "The capture was refused.".into(),
            dashboard_url: String::new(),
        };
        let event_id = format!("ops-attention-{n}");
        let envelope = NewEvent::new(OrderId::parse("OPS-N1").unwrap(), "attention", &msg, "attention")
            .unwrap()
            .into_envelope(&event_id, "pixi-sync", Utc::now());
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(async_nats::header::NATS_MESSAGE_ID, event_id.as_str());
        let subject = format!("{}.pixi-sync.OPS-N1.attention", p.config.events_prefix);
        js.publish_with_headers(subject, headers, envelope.encode_to_vec().into()).await.unwrap().await.unwrap();
    }
}
