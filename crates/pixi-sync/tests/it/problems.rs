//! Seeing and fixing problems: merged orders (PX-24), misconfigured methods (PX-26), the
//! dashboard and "problem solved" (PX-30), the error page (PX-31), one mail per incident
//! (PX-32), events keyed by the order number (PX-33).

use kit::bus::event::unpack;
use proto::payops::events::v1::Attention;
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::pixi::{Merge, OrderStatus, PaymentMethod};
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, types_of};

async fn smtp(app: &TestApp, t: &Tenant) {
    let addr = app.sandbox.addr(System::Smtp);
    app.tenants()
        .await
        .save_smtp_config(pb::SaveSmtpConfigRequest {
            tenant_id: t.tenant_id.clone(),
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
            tls_mode: pb::SmtpTlsMode::None as i32,
            user: String::new(),
            password: String::new(),
            sender: "app@muster.example".into(),
            recipient: "ops@muster.example".into(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn px_24_merged_orders_are_flagged_as_a_hint_and_not_processed() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.admin.pixi_merge(PIXI_USER, nr, &Merge { with: None }).await.unwrap();
    app.settle(3).await;
    assert_eq!(t.pixi(&app, nr).await.status, OrderStatus::Hold, "not processed");
    let d = t.dashboard_order(&app, nr).await;
    let o = d.order.unwrap();
    assert_eq!((o.problem, o.state), (pb::Problem::Hint as i32, pb::SyncState::NotProcessed as i32));
    assert_eq!(d.incidents[0].code, "MERGED");
}

#[tokio::test]
async fn px_26_misconfigured_payment_methods_are_configuration_errors_naming_the_method() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    // pixi's API shows only a method's initial order status: one imports orders released
    // (ANG), one marks documents paid by itself (not readable from the method: seen on the
    // document), one is configured here but missing in pixi.
    for (code, ini, auto) in [("UNZERPP", "ANG", false), ("UNZERINV", "HAL", true)] {
        let m = PaymentMethod {
            code: code.into(),
            text: code.into(),
            xml_tag: format!("TAG{code}"),
            direct_charge: false,
            auto_paid: auto,
            ini_status: ini.into(),
        };
        app.admin.pixi_add_payment_method(PIXI_USER, &m).await.unwrap();
    }
    let mut cfg = app.configs().await;
    let req = crate::helpers::payment_request(
        &t.tenant_id,
        &t.api_id,
        "GONE",
        pb::Mode::Expert,
        &t.public_key,
        &t.private_key,
    );
    cfg.save_payment_config(req).await.unwrap();
    let (nr, _) = t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let problems = app
        .dashboard()
        .await
        .list_config_problems(pb::ListConfigProblemsRequest { tenant_id: t.tenant_id.clone() })
        .await
        .unwrap()
        .into_inner()
        .problems;
    let found: Vec<(String, String)> = problems.iter().map(|p| (p.payment_method.clone(), p.code.clone())).collect();
    assert_eq!(
        found,
        [("GONE".to_owned(), "METHOD_UNKNOWN".to_owned()), ("UNZERPP".to_owned(), "INITIAL_STATUS".to_owned())]
    );
    assert!(problems.iter().all(|p| p.message.contains(&p.payment_method)));

    // The auto-paid invoice of an order is an order-level configuration error naming the method.
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let d = t.dashboard_order(&app, nr).await;
    let inc = d.incidents.iter().find(|i| i.code == "PAID_BY_PIXI").expect("flagged");
    assert!(inc.description.contains("UNZERINV"), "{}", inc.description);
    assert_eq!(d.order.unwrap().problem, pb::Problem::Error as i32);
}

#[tokio::test]
async fn px_30_the_dashboard_filters_orders_and_problem_solved_only_clears_the_mark_audited() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (ok, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    let (bad, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    let (hint, _) = t.order(&app, "UNZERPP", PayKind::Paypal, &[1000], SeedOutcome::Authorized).await;
    app.admin.pixi_merge(PIXI_USER, hint, &Merge { with: None }).await.unwrap();
    app.settle(3).await;
    let mut d = app.dashboard().await;
    let list = |problem: pb::ProblemFilter, method: &str| pb::ListOrdersRequest {
        tenant_id: t.tenant_id.clone(),
        problem: problem as i32,
        payment_method: method.into(),
        ..Default::default()
    };
    let nrs = |r: pb::ListOrdersResponse| r.orders.iter().map(|o| o.order_nr).collect::<Vec<_>>();
    assert_eq!(nrs(d.list_orders(list(pb::ProblemFilter::Error, "")).await.unwrap().into_inner()), [bad]);
    assert_eq!(nrs(d.list_orders(list(pb::ProblemFilter::Hint, "")).await.unwrap().into_inner()), [hint]);
    let any = nrs(d.list_orders(list(pb::ProblemFilter::Any, "")).await.unwrap().into_inner());
    assert_eq!(any.len(), 2);
    assert_eq!(nrs(d.list_orders(list(pb::ProblemFilter::None, "")).await.unwrap().into_inner()), [ok]);
    assert_eq!(nrs(d.list_orders(list(pb::ProblemFilter::Unspecified, "UNZERPP")).await.unwrap().into_inner()), [hint]);
    let states = pb::ListOrdersRequest {
        tenant_id: t.tenant_id.clone(),
        states: vec![pb::SyncState::Locked as i32],
        ..Default::default()
    };
    assert_eq!(nrs(d.list_orders(states).await.unwrap().into_inner()), [bad]);
    let future = pb::ListOrdersRequest {
        tenant_id: t.tenant_id.clone(),
        updated_from: Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 }),
        ..Default::default()
    };
    assert!(d.list_orders(future).await.unwrap().into_inner().orders.is_empty(), "date range");
    let paged = pb::ListOrdersRequest {
        tenant_id: t.tenant_id.clone(),
        page: Some(proto::payops::common::v1::PageRequest { page_size: 2, page_token: String::new() }),
        ..Default::default()
    };
    let first = d.list_orders(paged.clone()).await.unwrap().into_inner();
    assert_eq!(first.orders.len(), 2);
    let token = first.page.unwrap().next_page_token;
    let mut next = paged;
    next.page = Some(proto::payops::common::v1::PageRequest { page_size: 2, page_token: token });
    assert_eq!(d.list_orders(next).await.unwrap().into_inner().orders.len(), 1);

    let before = t.pixi(&app, bad).await;
    let solved = d
        .mark_problem_solved(pb::MarkProblemSolvedRequest {
            tenant_id: t.tenant_id.clone(),
            pixi_api_config_id: t.api_id.clone(),
            order_nr: bad,
            solved_by: "anna.support".into(),
            note: "customer paid by bank transfer".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(solved.order.unwrap().problem, pb::Problem::None as i32);
    assert_eq!(solved.solved_incident_ids.len(), 1);
    app.settle(3).await;
    let after = t.pixi(&app, bad).await;
    assert_eq!(
        (after.lock.locked, after.comments.len()),
        (before.lock.locked, before.comments.len()),
        "nothing else happens"
    );
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, action FROM audit_log WHERE action = 'problem_solved'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    // SE-04: the authenticated caller is recorded, never the name the request carries.
    assert_eq!(audit, [("testkit".to_owned(), "problem_solved".to_owned())]);
    assert!(types_of(&app.events().await, bad).contains(&"problem_solved".to_owned()));
    assert_eq!(nrs(d.list_orders(list(pb::ProblemFilter::Error, "")).await.unwrap().into_inner()), Vec::<i64>::new());
}

#[tokio::test]
async fn px_31_the_error_page_lists_problem_orders_without_login_behind_an_unguessable_link() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (bad, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    let http = reqwest::Client::new();
    let token = t.error_page_url.rsplit('/').next().unwrap().to_owned();
    assert!(token.len() >= 43, "256-bit token");
    let page = http.get(&t.error_page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<meta http-equiv="refresh" content="60">"#), "refreshes every minute");
    assert!(html.contains(&bad.to_string()) && html.contains("PXI-"), "{html}");
    assert!(!html.contains("Maria") && !html.contains("maria@"), "no personal data");
    let guessed = format!("{}/errors/{}", app.public_url, "A".repeat(43));
    assert_eq!(http.get(guessed).send().await.unwrap().status(), 404);
    let post = http.post(&t.error_page_url).send().await.unwrap();
    assert_eq!(post.status(), 405, "read-only");
    let rotated = app
        .tenants()
        .await
        .rotate_error_page_link(pb::RotateErrorPageLinkRequest { tenant_id: t.tenant_id.clone() })
        .await
        .unwrap()
        .into_inner()
        .error_page_url;
    assert_eq!(http.get(&t.error_page_url).send().await.unwrap().status(), 404, "old link dead");
    assert_eq!(http.get(rotated).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn px_32_one_mail_per_incident_with_its_id_in_mail_dashboard_and_logs() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    smtp(&app, &t).await;
    // unzer refused the card at checkout: released with a lock and an incident. Later passes
    // must not mail it again.
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    for _ in 0..4 {
        app.advance(120).await;
        app.settle(3).await;
    }
    let d = t.dashboard_order(&app, nr).await;
    let mails = app.admin.smtp_messages().await.unwrap();
    let ids: Vec<&str> = d.incidents.iter().map(|i| i.incident_id.as_str()).collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(d.incidents[0].code, "PAYMENT_REFUSED");
    assert_eq!(mails.len(), 1, "one mail per incident, not per retry");
    for (inc, mail) in d.incidents.iter().zip(&mails) {
        assert!(mail.subject.as_deref().unwrap_or_default().contains(&inc.incident_id));
        assert!(mail.data.contains(&inc.incident_id));
        assert_eq!(mail.recipients, ["ops@muster.example"]);
        assert!(inc.mailed_at.is_some());
    }
}

#[tokio::test]
async fn px_33_every_state_change_is_an_event_keyed_by_the_order_number() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (nr, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    let (bad, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    ship(&app, nr, &[]).await;
    app.advance(5).await;
    app.settle(3).await;
    let events = app.events().await;
    for (subject, e) in &events {
        assert!(subject.starts_with(&format!("{}.pixi-sync.{}.", app.env.prefix, e.order_id)), "{subject}");
        assert!(!e.summary.contains("Maria"), "no personal data in summaries");
    }
    assert_eq!(types_of(&events, nr), ["order_released", "money_moved", "document_balanced", "order_completed"]);
    let attention: Vec<Attention> = events
        .iter()
        .filter(|(_, e)| e.order_id == bad.to_string() && e.r#type == "attention")
        .map(|(_, e)| unpack(e).unwrap())
        .collect();
    assert_eq!(attention.len(), 1);
    assert!(attention[0].incident_id.starts_with("PXI-"));
    let d = t.dashboard_order(&app, bad).await;
    assert_eq!(d.incidents[0].incident_id, attention[0].incident_id, "the same incident id everywhere");
}
