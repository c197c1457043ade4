//! HL-10 … HL-12, HL-14 against the sandbox's PGW: field validation, the four outcomes (a PGW
//! failure is never "not found"), the refund hint and the B2C ticket exactly as sent.

use chrono::Duration;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{CodeState, CreateB2cTicketRequest, LookupCodeRequest};
use proto::payops::ticketing::v1::{TicketPriority, requester};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{AGENT, TestApp, authed, fields};

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
        app.sandbox()
            .add_fault(&FaultSpec { hang_ms: 5_000, ..FaultSpec::fail_times(System::Pgw, "search", mode, 2) })
            .await
            .unwrap();
        let err = c
            .lookup_code(authed(&token, request("b10234", "+41770000000", &TestApp::local_date(now))))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{mode:?}");
        assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("PGW_UNAVAILABLE"));
    }
    // A wrong API key is an error as well (PGW refuses), not "not found".
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
    // One 500 is retried by the adapter (reads are idempotent).
    app.sandbox().add_fault(&FaultSpec::fail_times(System::Pgw, "search", FailMode::Error, 1)).await.unwrap();
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
    let sent = app.tickets.requests();
    assert_eq!(sent.len(), 1);
    let s = &sent[0];
    assert_eq!(s.subject, "Waschküche · Code-Problem – b10234 – Code abgelaufen");
    assert_eq!(s.r#type, "Problem");
    assert_eq!(s.priority, TicketPriority::High as i32);
    assert_eq!(s.tags, ["profioffice", "b2c", "expired"]);
    assert_eq!(s.order_id, tx.id.to_string());
    assert_eq!(s.request_id, "req-b2c-1");
    let rq = s.requester.as_ref().unwrap();
    assert_eq!(rq.contact, Some(requester::Contact::Phone("+41764455667".into())));
    assert_eq!(rq.name, "Mieter");
    for line in [
        " Mobilfunknummer: +41764455667",
        " Mobilnummer Zahlung: +41791234567",
        " TWINT-Ref: –",
        "PGW-Ergebnis: Code abgelaufen",
        &format!(" Code: {} (gültig bis ", tx.code.as_ref().unwrap().code),
        &format!(" Transaktion: #{} vom ", tx.id),
        "| CHF 3.50 | Gerät: b10234",
    ] {
        assert!(s.description.contains(line), "missing {line:?} in\n{}", s.description);
    }
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
    assert_eq!(app.tickets.tickets_created(), 1);
    app.stop().await;
}

#[tokio::test]
async fn hl_14_not_found_ticket_goes_to_the_tenant_email_with_type_problem_and_priority_2() {
    let app = TestApp::spawn().await;
    let web = app.web(AGENT).await;
    let body = serde_json::json!({ "device_b_code": "b99999", "payment_mobile": "+41791234567", "payment_date": TestApp::local_date(app.now()), "contact_email": "mieterin@example.ch" });
    let (_, r) = web.post("/b2c/lookup", body).await;
    assert_eq!(r["outcome"], "not_found");
    // The ticketing bridge is down once: the agent sees an error and retries with the same id.
    *app.tickets.fail_next.lock().unwrap() = 1;
    let ticket = serde_json::json!({ "request_id": "req-b2c-nf", "lookup_id": r["lookup_id"] });
    let (status, e) = web.post("/b2c/ticket", ticket.clone()).await;
    assert_eq!((status, e["reason"].as_str()), (503, Some("TICKETING_UNAVAILABLE")));
    let (status, t) = web.post("/b2c/ticket", ticket).await;
    assert_eq!(status, 200, "{t}");
    assert!(t["id"].as_i64().unwrap() > 0);
    let sent = app.tickets.requests();
    let s = sent.last().unwrap();
    assert_eq!((s.r#type.as_str(), s.priority), ("Problem", TicketPriority::Medium as i32));
    assert_eq!(s.tags, ["profioffice", "b2c", "notfound"]);
    assert_eq!(s.order_id, "hl-req-b2c-nf");
    assert_eq!(s.requester.as_ref().unwrap().contact, Some(requester::Contact::Email("mieterin@example.ch".into())));
    assert!(!s.description.contains(" Code:"));
    assert_eq!(app.tickets.tickets_created(), 1);
    app.stop().await;
}
