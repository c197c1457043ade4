//! HL-10 … HL-12, HL-14 against the sandbox's PGW: field validation, the four outcomes (a PGW
//! failure is never "not found"), the refund hint and the B2C ticket exactly as sent.

use chrono::Duration;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{CodeState, CreateB2cTicketRequest, LookupCodeRequest};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{AGENT, TestApp, authed, fields, ticket_text};

fn request(device: &str, mobile: &str, date: &str) -> LookupCodeRequest {
    LookupCodeRequest {
        device_b_code: device.into(),
        payment_mobile: mobile.into(),
        payment_date: date.into(),
        contact_email: "mieterin@example.ch".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn hl_10_missing_and_malformed_fields_are_all_reported_at_once_and_pgw_is_not_asked() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let err = c.lookup_code(authed(&token, LookupCodeRequest::default())).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        fields(&err),
        ["device_b_code", "payment_mobile", "twint_ref", "payment_date", "contact_email", "contact_mobile"]
    );
    let bad = LookupCodeRequest {
        device_b_code: "10234".into(),
        twint_ref: "123".into(),
        payment_date: "2026-13-01".into(),
        contact_mobile: "12".into(),
        ..Default::default()
    };
    let err = c.lookup_code(authed(&token, bad)).await.unwrap_err();
    assert_eq!(fields(&err), ["device_b_code", "twint_ref", "payment_date", "contact_mobile"]);
    let web = app.web(AGENT).await;
    let (status, body) = web.post("/b2c/lookup", serde_json::json!({ "device_b_code": "x" })).await;
    assert_eq!(status, 422);
    let named: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        named,
        ["device_b_code", "payment_mobile", "twint_ref", "payment_date", "contact_email", "contact_mobile"]
    );
    assert!(app.sandbox().requests(Some(System::Pgw)).await.unwrap().is_empty(), "PGW never asked");
    app.stop().await;
}

#[tokio::test]
async fn hl_11_lookup_answers_found_expired_not_found_and_error_distinctly() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let now = app.now();
    let fresh = app.payment("b10234", "+41791234567", now - Duration::minutes(30), 350).await;
    let old = app.payment("b10234", "+41764455667", now - Duration::hours(80), 500).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;

    let r = c
        .lookup_code(authed(
            &token,
            request("b10234", "079 123 45 67", &TestApp::local_date(now - Duration::minutes(30))),
        ))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Found(found)) = r.outcome else { panic!("expected found: {r:?}") };
    let p = found.payment.unwrap();
    assert_eq!(p.transaction_id, fresh.id as i64);
    assert_eq!(p.code.as_ref().unwrap().code, fresh.code.as_ref().unwrap().code);
    assert_eq!(p.code.unwrap().state, CodeState::Valid as i32);
    assert_eq!(p.amount.unwrap().amount_minor, 350);
    assert_eq!((p.device_b_code.as_str(), p.mobile.as_str()), ("b10234", "+41791234567"));

    let r = c
        .lookup_code(authed(&token, request("b10234", "+41764455667", &TestApp::local_date(now - Duration::hours(80)))))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Expired(expired)) = r.outcome else { panic!("expected expired: {r:?}") };
    let p = expired.payment.unwrap();
    assert_eq!(p.transaction_id, old.id as i64);
    assert_eq!(p.device_internal_id, "DEV-0017");
    assert!(p.code.unwrap().expired_on.is_some());

    let r = c
        .lookup_code(authed(&token, request("b10234", "+41770000000", &TestApp::local_date(now))))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::NotFound(nf)) = r.outcome else { panic!("expected not found: {r:?}") };
    assert_eq!(nf.checklist.len(), 5);
    assert!(nf.checklist[1].contains("beginnt mit «b»"));

    // PGW failing or timing out is an error, never "not found".
    for mode in [FailMode::Error, FailMode::Hang, FailMode::Reset] {
        // Enough failures to outlast the first attempt and its two retries (kit::outbound).
        app.sandbox().clear_faults().await.unwrap();
        app.sandbox()
            .add_fault(&FaultSpec { hang_ms: 5_000, ..FaultSpec::fail_times(System::Pgw, "search", mode, 3) })
            .await
            .unwrap();
        let err = c
            .lookup_code(authed(&token, request("b10234", "+41770000000", &TestApp::local_date(now))))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{mode:?}");
        assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("PGW_UNAVAILABLE"));
    }
    // Over HTTP the page gets 502 with the PGW reason, never an empty "not found".
    app.sandbox().clear_faults().await.unwrap();
    let web = app.web(AGENT).await;
    app.sandbox().add_fault(&FaultSpec::fail_times(System::Pgw, "search", FailMode::Error, 2)).await.unwrap();
    let body = serde_json::json!({ "device_b_code": "b10234", "payment_mobile": "0791234567", "payment_date": TestApp::local_date(now), "contact_email": "a@b.ch" });
    let (status, json) = web.post("/b2c/lookup", body).await;
    assert_eq!(status, 502);
    assert_eq!(json["reason"], "PGW_UNAVAILABLE");
    app.stop().await;
}

#[tokio::test]
async fn hl_11_lookup_with_a_twint_reference_and_a_retry_after_one_pgw_hiccup() {
    let app = TestApp::spawn().await;
    app.device("b20007", "DEV-0108", 48).await;
    let at = app.now() - Duration::hours(2);
    let tx = app.payment("b20007", "+41798887766", at, 400).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    // One 503 is retried (kit::outbound retries reads on 502-504 and timeouts).
    let hiccup = FaultSpec { status: 503, ..FaultSpec::fail_times(System::Pgw, "search", FailMode::Error, 1) };
    app.sandbox().add_fault(&hiccup).await.unwrap();
    let req = LookupCodeRequest {
        device_b_code: "B20007".into(),
        twint_ref: tx.twint_ref.to_uppercase(),
        payment_date: TestApp::local_date(at),
        contact_mobile: "076 445 56 67".into(),
        ..Default::default()
    };
    let r = c.lookup_code(authed(&token, req)).await.unwrap().into_inner();
    assert!(matches!(r.outcome, Some(Outcome::Found(_))), "{r:?}");
    app.stop().await;
}

#[tokio::test]
async fn hl_12_found_and_expired_answers_say_twint_refunds_are_manual_in_the_twint_portal() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let at = app.now() - Duration::minutes(5);
    app.payment("b10234", "+41791234567", at, 350).await;
    let web = app.web(AGENT).await;
    let body = serde_json::json!({ "device_b_code": "b10234", "payment_mobile": "+41791234567", "payment_date": TestApp::local_date(at), "contact_email": "a@b.ch" });
    let (status, r) = web.post("/b2c/lookup", body).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["outcome"], "found");
    assert_eq!(r["refund"]["possible"], true);
    assert!(r["refund"]["instructions"].as_str().unwrap().contains("manuell im TWINT-Portal"));
    assert_eq!(r["payment"]["amount"], serde_json::json!({ "amount_minor": 350, "currency": "CHF", "text": "3.50" }));
    app.stop().await;
}

#[tokio::test]
async fn hl_14_b2c_ticket_request_carries_the_exact_subject_description_type_priority_tags_and_requester() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let at = app.now() - Duration::hours(80);
    let tx = app.payment("b10234", "+41791234567", at, 350).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let mut req = request("b10234", "+41791234567", &TestApp::local_date(at));
    req.contact_email = String::new();
    req.contact_mobile = "076 445 56 67".into();
    let r = c.lookup_code(authed(&token, req)).await.unwrap().into_inner();
    assert!(matches!(r.outcome, Some(Outcome::Expired(_))));
    let t = c
        .create_b2c_ticket(authed(
            &token,
            CreateB2cTicketRequest { request_id: "req-b2c-1".into(), lookup_id: r.lookup_id.clone() },
        ))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert!(t.ticket_id > 0 && t.created);
    // What reached Freshdesk through the real ticketing bridge.
    let tickets = app.freshdesk_tickets().await;
    assert_eq!(tickets.len(), 1);
    let f = &tickets[0];
    assert_eq!(f.id as i64, t.ticket_id);
    assert_eq!(f.subject, "Waschküche · Code-Problem – b10234 – Code abgelaufen");
    assert_eq!(f.ticket_type.as_deref(), Some("Problem"));
    assert_eq!(f.priority, 3);
    assert_eq!(f.tags, ["profioffice", "b2c", "expired"]);
    assert_eq!(f.requester_phone.as_deref(), Some("+41764455667"));
    assert_eq!(f.requester_email, None);
    let text = ticket_text(&f.description);
    for line in [
        " Mobilfunknummer: +41764455667",
        " Mobilnummer Zahlung: +41791234567",
        " TWINT-Ref: –",
        "PGW-Ergebnis: Code abgelaufen",
        &format!(" Code: {} (gültig bis ", tx.code.as_ref().unwrap().code),
        &format!(" Transaktion: #{} vom ", tx.id),
        "| CHF 3.50 | Gerät: b10234",
    ] {
        assert!(text.contains(line.trim_start()), "missing {line:?} in\n{text}");
    }
    // The bridge's ticket_created event shows on the payment's timeline.
    app.drain().await;
    let mut tl = app.timeline_client().await;
    let events = tl
        .get_order_timeline(authed(
            &token,
            proto::payops::hotline::v1::GetOrderTimelineRequest { order_id: tx.id.to_string() },
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(events.iter().any(|e| e.source == "ticketing-bridge"), "{events:?}");
    // A repeated click is the same ticket.
    let again = c
        .create_b2c_ticket(authed(
            &token,
            CreateB2cTicketRequest { request_id: "req-b2c-1".into(), lookup_id: r.lookup_id },
        ))
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    assert_eq!(again.ticket_id, t.ticket_id);
    assert_eq!(app.freshdesk_tickets().await.len(), 1, "never a second ticket");
    app.stop().await;
}

#[tokio::test]
async fn hl_14_not_found_ticket_goes_to_the_tenant_email_with_type_problem_and_priority_2() {
    let app = TestApp::spawn().await;
    let web = app.web(AGENT).await;
    let body = serde_json::json!({ "device_b_code": "b99999", "payment_mobile": "+41791234567", "payment_date": TestApp::local_date(app.now()), "contact_email": "mieterin@example.ch" });
    let (_, r) = web.post("/b2c/lookup", body).await;
    assert_eq!(r["outcome"], "not_found");
    // Freshdesk is down: the bridge queues the ticket, the agent sees a plain error and
    // later clicks again with the same request id — one ticket.
    app.sandbox()
        .add_fault(&FaultSpec::fail_times(System::Freshdesk, "create_ticket", FailMode::Error, 1))
        .await
        .unwrap();
    let ticket = serde_json::json!({ "request_id": "req-b2c-nf", "lookup_id": r["lookup_id"] });
    let (status, e) = web.post("/b2c/ticket", ticket.clone()).await;
    assert_eq!((status, e["reason"].as_str()), (503, Some("TICKETING_UNAVAILABLE")));
    app.clock.advance(std::time::Duration::from_secs(600));
    let (status, t) = web.post("/b2c/ticket", ticket.clone()).await;
    assert_eq!(status, 200, "{t}");
    let (_, again) = web.post("/b2c/ticket", ticket).await;
    assert_eq!(again["id"], t["id"]);
    let tickets = app.freshdesk_tickets().await;
    assert_eq!(tickets.len(), 1);
    let f = &tickets[0];
    assert_eq!(f.id as i64, t["id"].as_i64().unwrap());
    assert_eq!((f.ticket_type.as_deref(), f.priority), (Some("Problem"), 2));
    assert_eq!(f.tags, ["profioffice", "b2c", "notfound"]);
    assert_eq!(f.requester_email.as_deref(), Some("mieterin@example.ch"));
    assert!(ticket_text(&f.description).contains("PGW-Ergebnis: Keine Transaktion gefunden"));
    assert!(!f.description.contains("Code:"));
    app.stop().await;
}

#[tokio::test]
async fn hl_11_a_refused_api_key_is_an_error_not_not_found() {
    // A TEST key against PROD: PGW answers 401 invalid_api_key.
    let app = TestApp::spawn_with(&[("PGW_API_KEY", "pgw-test-key-for-hotline-tests")]).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let err = c
        .lookup_code(authed(&token, request("b10234", "+41791234567", &TestApp::local_date(app.now()))))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("PGW_UNAVAILABLE"));
    let sent = app.sandbox().requests(Some(System::Pgw)).await.unwrap();
    assert_eq!(sent.len(), 1, "a refusal is not retried");
    assert_eq!(sent[0].status, 401);
    app.stop().await;
}
