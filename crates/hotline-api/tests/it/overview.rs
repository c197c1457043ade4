//! HL-30: the daily overview of a Europe/Zurich local day matches the sandbox's transactions,
//! also on a 23-hour DST day.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Zurich;
use proto::payops::hotline::v1::GetDailyOverviewRequest;
use sandbox::pgw::{Env, PgwTransaction, TxStatus};
use sandbox::{FailMode, FaultSpec, System};
use tonic::Code;

use crate::helpers::{AGENT, TestApp, authed};

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Zurich.with_ymd_and_hms(y, m, d, h, min, 0).earliest().unwrap().to_utc()
}

async fn pay(app: &TestApp, at: DateTime<Utc>, rappen: i64, status: TxStatus) {
    app.sandbox()
        .pgw_add_transaction(&PgwTransaction {
            env: Env::Prod,
            id: None,
            twint_ref: None,
            device: "b10234".into(),
            mobile: "+41791234567".into(),
            at,
            amount_rappen: rappen,
            payment_method: None,
            status: Some(status),
            code: None,
            valid_until: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn hl_30_daily_overview_counts_and_totals_the_completed_payments_of_a_zurich_local_day() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 72).await;
    // 29 March 2026: clocks go forward, the local day has 23 hours.
    pay(&app, local(2026, 3, 29, 0, 10), 200, TxStatus::Completed).await;
    pay(&app, local(2026, 3, 29, 3, 5), 350, TxStatus::Completed).await;
    pay(&app, local(2026, 3, 29, 12, 0), 500, TxStatus::Failed).await;
    pay(&app, local(2026, 3, 29, 23, 59), 405, TxStatus::Completed).await;
    pay(&app, local(2026, 3, 28, 23, 59), 300, TxStatus::Completed).await;
    pay(&app, local(2026, 3, 30, 0, 0), 300, TxStatus::Completed).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let r = c
        .get_daily_overview(authed(&token, GetDailyOverviewRequest { date: "2026-03-29".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.count, 3);
    assert_eq!(r.total.clone().unwrap().amount_minor, 955);
    // Cross-check with the sandbox's own record of the day.
    let sandbox_day: Vec<_> = app
        .sandbox()
        .pgw_transactions(Env::Prod)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.date == "2026-03-29" && t.status == TxStatus::Completed)
        .collect();
    let sandbox_total: i64 = sandbox_day.iter().map(|t| Money::parse(&t.amount)).sum();
    assert_eq!((r.count as usize, r.total.unwrap().amount_minor), (sandbox_day.len(), sandbox_total));
    let times: Vec<&str> = r.payments.iter().map(|p| p.local_time.as_str()).collect();
    assert_eq!(times, ["00:10:00", "03:05:00", "23:59:00"]);
    let web = app.web(AGENT).await;
    let (status, body) = web.get("/overview?date=2026-03-29").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"]["text"], "9.55");
    assert_eq!(body["count"], 3);
    let (status, body) = web.get("/overview?date=29.03.2026").await;
    assert_eq!((status, body["fields"][0]["field"].as_str()), (422, Some("date")));
    app.sandbox().add_fault(&FaultSpec::fail_times(System::Pgw, "day_transactions", FailMode::Error, 2)).await.unwrap();
    let err =
        c.get_daily_overview(authed(&token, GetDailyOverviewRequest { date: "2026-03-29".into() })).await.unwrap_err();
    assert_eq!(err.code(), Code::Unavailable);
    app.stop().await;
}

struct Money;
impl Money {
    fn parse(s: &str) -> i64 {
        kit::money::Money::parse(s, kit::money::Currency::CHF).unwrap().minor()
    }
}
