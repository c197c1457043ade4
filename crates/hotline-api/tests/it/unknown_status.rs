//! One payment of a status PGW never told us about (HL-11, HL-30): it neither fails the
//! lookup nor the day overview; it is listed as unknown for that payment, never counted as
//! paid or failed.

use chrono::Duration;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{GetDailyOverviewRequest, LookupCodeRequest, PaymentStatus};
use sandbox::pgw::Behaviour;

use crate::helpers::{AGENT, TestApp, authed};

#[tokio::test]
async fn hl_30_one_payment_of_an_unknown_pgw_status_fails_neither_the_lookup_nor_the_day_overview() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    let at = app.now() - Duration::minutes(30);
    let paid = app.payment("b10234", "+41791234567", at, 350).await;
    let odd = app.payment("b10234", "+41764455667", at + Duration::minutes(1), 500).await;
    let b = Behaviour { statuses: [(odd.id, "refunded".to_owned())].into(), ..Default::default() };
    app.sandbox().pgw_behaviour(&b).await.unwrap();
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let date = TestApp::local_date(at);

    let lookup = |mobile: &str| LookupCodeRequest {
        device_b_code: "b10234".into(),
        payment_mobile: mobile.into(),
        payment_date: date.clone(),
        contact_email: "mieterin@example.ch".into(),
        ..Default::default()
    };
    let r = c.lookup_code(authed(&token, lookup("079 123 45 67"))).await.unwrap().into_inner();
    assert!(matches!(r.outcome, Some(Outcome::Found(_))), "{r:?}");
    let r = c.lookup_code(authed(&token, lookup("076 445 56 67"))).await.unwrap().into_inner();
    let Some(Outcome::NotFound(nf)) = r.outcome else { panic!("not found, with the odd payment listed: {r:?}") };
    assert_eq!(nf.unknown_status_payments.len(), 1);
    let p = &nf.unknown_status_payments[0];
    assert_eq!(
        (p.transaction_id, p.status, p.pgw_status.as_str()),
        (odd.id as i64, PaymentStatus::Unknown as i32, "refunded")
    );

    let o = c
        .get_daily_overview(authed(&token, GetDailyOverviewRequest { date: date.clone() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((o.count, o.unknown_count, o.total.unwrap().amount_minor), (1, 1, 350), "only the paid one is totalled");
    let ids: Vec<(i64, i32)> = o.payments.iter().map(|p| (p.transaction_id, p.status)).collect();
    assert_eq!(
        ids,
        [(paid.id as i64, PaymentStatus::Completed as i32), (odd.id as i64, PaymentStatus::Unknown as i32)]
    );
    app.stop().await;
}
