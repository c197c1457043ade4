//! HL-20 … HL-24 against the sandbox's smallinvoice: search from 2 characters, invoices with
//! exact amounts (contact re-checked), token renewal on the sandbox clock, the request form
//! and the B2B ticket exactly as sent.

use chrono::{Duration, NaiveDate};
use kit::money::{Currency, Money};
use proto::payops::hotline::v1::{CreateB2bTicketRequest, ListInvoicesRequest, SearchCustomersRequest};
use sandbox::smallinvoice::{SiAddress, SiContact, SiInvoice};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{AGENT, TestApp, authed, fields, ticket_text};

pub async fn contact(app: &TestApp, name: &str, email: &str) -> u64 {
    let v = app
        .sandbox()
        .smallinvoice_add_contact(&SiContact {
            id: None,
            number: Some("1002".into()),
            name: name.into(),
            kind: None,
            name_addition: String::new(),
            email: email.into(),
            phone: "044 555 10 20".into(),
            language: None,
            currency: None,
            created: None,
            address: SiAddress {
                street: "Hardstrasse".into(),
                street_no: "12".into(),
                street2: String::new(),
                postcode: "8005".into(),
                city: "Zürich".into(),
                country: None,
            },
        })
        .await
        .unwrap();
    v["item"]["id"].as_u64().or_else(|| v["id"].as_u64()).unwrap()
}

pub async fn invoice(app: &TestApp, contact_id: u64, day: u32, total: i64, paid: i64, status: &str) {
    let date = NaiveDate::from_ymd_opt(2025, 11, day).unwrap();
    app.sandbox()
        .smallinvoice_add_invoice(&SiInvoice {
            id: None,
            number: None,
            contact_id,
            date,
            due: date + Duration::days(30),
            total_rappen: total,
            total_paid_rappen: paid,
            status: Some(status.into()),
            paid_date: None,
            currency: None,
            language: None,
            positions: Vec::new(),
        })
        .await
        .unwrap();
}

pub fn b2b_request(customer_id: i64) -> CreateB2bTicketRequest {
    CreateB2bTicketRequest {
        request_id: "req-b2b-1".into(),
        customer_id,
        building_address: "Hardstrasse 12, 8005 Zürich".into(),
        payment_date: "2025-12-01".into(),
        payment_time: "14:30".into(),
        amount: Some(Money::new(350, Currency::CHF).into()),
        tenant_email: "mieter@example.ch".into(),
        problem_type: "Abrechnung / Rechnung".into(),
        twint_ref: "6f9619ff-8b86-d011-b42d-00c04fc964ff".into(),
        details: "Doppelt belastet".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn hl_20_managements_are_searched_from_two_characters_on() {
    let app = TestApp::spawn().await;
    contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    contact(&app, "Immo Verwaltung Bern GmbH", "kontakt@immo-bern.ch").await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let err = c.search_customers(authed(&token, SearchCustomersRequest { query: "W".into() })).await.unwrap_err();
    assert_eq!(fields(&err), ["query"]);
    let found = c
        .search_customers(authed(&token, SearchCustomersRequest { query: "wo".into() }))
        .await
        .unwrap()
        .into_inner()
        .customers;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "Wohnbau Zürich AG");
    assert_eq!(found[0].address, "Hardstrasse 12, 8005 Zürich");
    let web = app.web(AGENT).await;
    let (status, r) = web.get("/b2b/customers?q=Bern").await;
    assert_eq!(status, 200);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    app.sandbox()
        .add_fault(&FaultSpec {
            status: 503,
            // More than the first attempt and its two retries (kit::outbound).
            ..FaultSpec::fail_times(System::Smallinvoice, "list_contacts", FailMode::Error, 3)
        })
        .await
        .unwrap();
    let err = c.search_customers(authed(&token, SearchCustomersRequest { query: "wo".into() })).await.unwrap_err();
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("SMALLINVOICE_UNAVAILABLE"));
    app.stop().await;
}

#[tokio::test]
async fn hl_21_invoices_of_the_selected_management_with_exact_amounts_and_a_renewed_token() {
    let app = TestApp::spawn().await;
    let wohnbau = contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    let other = contact(&app, "Régie du Lac SA", "gestion@regie-du-lac.ch").await;
    invoice(&app, wohnbau, 3, 32_550, 32_550, "P").await;
    invoice(&app, wohnbau, 20, 125_000, 50_000, "PP").await;
    invoice(&app, other, 5, 18_990, 0, "R1").await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let r = c
        .list_invoices(authed(&token, ListInvoicesRequest { customer_id: wohnbau as i64 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.customer.unwrap().name, "Wohnbau Zürich AG");
    let got: Vec<(String, i64, i64, String)> = r
        .invoices
        .iter()
        .map(|i| {
            (
                i.date.clone(),
                i.total.as_ref().unwrap().amount_minor,
                i.paid.as_ref().unwrap().amount_minor,
                i.status_label.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2025-11-20".to_owned(), 125_000, 50_000, "Teilweise bezahlt".to_owned()),
            ("2025-11-03".to_owned(), 32_550, 32_550, "Bezahlt".to_owned()),
        ]
    );
    // 13 hours later on smallinvoice's clock the token has expired: the client renews it.
    app.sandbox().advance_clock(13 * 3600).await.unwrap();
    let again = c
        .list_invoices(authed(&token, ListInvoicesRequest { customer_id: wohnbau as i64 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.invoices.len(), 2);
    let token_calls: Vec<String> = app
        .sandbox()
        .requests(Some(System::Smallinvoice))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.path.starts_with("/v2/auth/access-tokens") && r.status == 201)
        .map(|r| r.body)
        .collect();
    assert_eq!(token_calls.len(), 2, "{token_calls:?}");
    assert!(
        token_calls[1].contains("\"client_credentials\"") && !token_calls[1].contains("refresh_token"),
        "renewed the same way: client credentials issue no refresh token"
    );
    let err = c.list_invoices(authed(&token, ListInvoicesRequest { customer_id: 424_242 })).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn hl_22_every_missing_mandatory_field_is_listed_at_once_and_nothing_is_sent() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let err = c
        .create_b2b_ticket(authed(&token, CreateB2bTicketRequest { request_id: "r1".into(), ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&err),
        ["customer_id", "building_address", "payment_date", "amount", "tenant_email", "twint_ref", "problem_type"]
    );
    let web = app.web(AGENT).await;
    let (status, body) = web.post("/b2b/ticket", serde_json::json!({ "request_id": "r2", "amount": "3.505" })).await;
    assert_eq!(status, 422);
    let reasons: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["reason"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"Verwaltung (Kunde auswählen)"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("Betrag (CHF):")), "{reasons:?}");
    assert!(app.freshdesk_tickets().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn hl_23_b2b_ticket_request_is_billing_priority_2_group_hotline_with_the_exact_subject_and_description() {
    let app = TestApp::spawn().await;
    let id = contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let t = c.create_b2b_ticket(authed(&token, b2b_request(id as i64))).await.unwrap().into_inner().ticket.unwrap();
    assert!(t.ticket_id > 0);
    assert!(t.url.contains(&t.ticket_id.to_string()));
    let tickets = app.freshdesk_tickets().await;
    assert_eq!(tickets.len(), 1);
    let f = &tickets[0];
    assert_eq!(f.id as i64, t.ticket_id);
    assert_eq!(f.subject, "B2B – Wohnbau Zürich AG – Abrechnung / Rechnung");
    assert_eq!((f.ticket_type.as_deref(), f.priority, f.group_id), (Some("Billing"), 2, Some(43_000_000_001)));
    assert_eq!(f.tags, ["b2b", "verwaltung"]);
    assert_eq!(f.requester_email.as_deref(), Some("mieter@example.ch"));
    let text = ticket_text(&f.description);
    for line in [
        "Verwaltung: Wohnbau Zürich AG",
        "Kundennummer: 1002",
        "E-Mail Verwaltung: verwaltung@wohnbau-zh.ch",
        "Adresse Gebäude: Hardstrasse 12, 8005 Zürich",
        "Datum / Uhrzeit: 2025-12-01 14:30",
        "Betrag: CHF 3.50",
        "E-Mail Mieter: mieter@example.ch",
        "TWINT-Ref: 6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "Vermieter / Ansprechpartner: –",
        "Problemtyp: Abrechnung / Rechnung",
        "Details: Doppelt belastet",
    ] {
        assert!(text.lines().any(|l| l.trim() == line), "missing {line:?} in\n{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn hl_24_tenant_side_problems_are_sent_to_the_b2c_process() {
    let app = TestApp::spawn().await;
    let id = contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let mut r = b2b_request(id as i64);
    r.problem_type = hotline_api::domain::b2b::TENANT_PROBLEM.into();
    let err = c.create_b2b_ticket(authed(&token, r)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("USE_B2C_PROCESS"));
    assert!(err.message().contains("B2C-Tab"));
    assert!(app.freshdesk_tickets().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn hl_23_the_b2b_ticket_writes_the_payment_date_as_the_seed_does() {
    // The seed's ticket: `Datum / Uhrzeit: ${f.datum || '–'} ${f.uhrzeit || ''}` — the date
    // field's value as entered (an HTML date input's value is YYYY-MM-DD), not reformatted.
    let app = TestApp::spawn().await;
    let id = contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    c.create_b2b_ticket(authed(&token, b2b_request(id as i64))).await.unwrap();
    let no_time = CreateB2bTicketRequest {
        request_id: "req-b2b-2".into(),
        payment_time: String::new(),
        ..b2b_request(id as i64)
    };
    c.create_b2b_ticket(authed(&token, no_time)).await.unwrap();
    let tickets = app.freshdesk_tickets().await;
    let lines: Vec<String> = tickets
        .iter()
        .map(|t| {
            ticket_text(&t.description)
                .lines()
                .find(|l| l.starts_with("Datum / Uhrzeit"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(lines, ["Datum / Uhrzeit: 2025-12-01 14:30", "Datum / Uhrzeit: 2025-12-01"]);
    app.stop().await;
}

#[tokio::test]
async fn hl_22_the_problem_types_offered_are_configured_the_seed_names_none_and_takes_any_given() {
    let app = TestApp::spawn_with(&[("B2B_PROBLEM_TYPES", "Gerät defekt; Abrechnung falsch")]).await;
    let id = contact(&app, "Wohnbau Zürich AG", "verwaltung@wohnbau-zh.ch").await;
    let web = app.web(AGENT).await;
    let (_, me) = web.get("/me").await;
    let offered: Vec<&str> = me["problem_types"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(offered, ["Gerät defekt", "Abrechnung falsch", me["tenant_problem"].as_str().unwrap()], "{me}");
    // The seed only requires a problem type (`if (!f.problemtyp) errs.push('Problemtyp')`).
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let other = CreateB2bTicketRequest { problem_type: "Schlüssel verloren".into(), ..b2b_request(id as i64) };
    c.create_b2b_ticket(authed(&token, other)).await.unwrap();
    assert_eq!(app.freshdesk_tickets().await[0].subject, "B2B – Wohnbau Zürich AG – Schlüssel verloren");
    let none =
        CreateB2bTicketRequest { request_id: "req-b2b-3".into(), problem_type: " ".into(), ..b2b_request(id as i64) };
    let err = c.create_b2b_ticket(authed(&token, none)).await.unwrap_err();
    assert_eq!(fields(&err), ["problem_type"]);
    app.stop().await;
}
