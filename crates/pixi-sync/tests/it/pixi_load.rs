//! pixi load (issue 18, the seed is explicit about it): an order that waits for a person is not
//! read again until something changes, a quiet order is re-read less and less often, and the
//! pixi calls per tenant are counted per minute (metric and console).

use chrono::{DateTime, Utc};
use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome};

use crate::helpers::{Instance, METHODS, Tenant, TestApp};

async fn next_check(app: &Instance, nr: i64) -> Option<DateTime<Utc>> {
    sqlx::query_scalar("SELECT next_check_at FROM orders WHERE order_nr = $1")
        .bind(nr)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn px_43_an_order_waiting_for_a_person_is_not_read_again_and_a_quiet_order_is_read_less_and_less_often() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    let (refused, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    let (quiet, _) = t.order(&app, "UNZERCC", PayKind::Card, &[2000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    assert_eq!(t.dashboard_order(&app, refused).await.order.unwrap().problem, pb::Problem::Error as i32);
    assert_eq!(next_check(&app, refused).await, None, "released with a lock and flagged: only a person moves it on");
    let mut waits = Vec::new();
    for _ in 0..3 {
        let at = next_check(&app, quiet).await.expect("a released order is followed");
        waits.push((at - kit::Clock::now(&app.clock)).num_minutes());
        app.set_time(at).await;
        app.pass().await;
    }
    // The first look may already be a quiet one (pixi's change feed reports our own release).
    assert!(waits[0] >= 15, "{waits:?}");
    assert_eq!(waits[1..], [waits[0] * 2, waits[0] * 4], "each quiet look waits twice as long");
    assert_eq!(next_check(&app, refused).await, None);
}

#[tokio::test]
async fn px_43_pixi_calls_are_counted_per_tenant_and_minute() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let metrics = reqwest::get(format!("{}/metrics", app.admin_url)).await.unwrap().text().await.unwrap();
    let line = metrics
        .lines()
        .find(|l| l.starts_with("payops_pixi_sync_pixi_calls_total") && l.contains(&t.tenant_id))
        .unwrap_or_else(|| panic!("no per-tenant pixi call counter:\n{metrics}"));
    let counted: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(counted >= 5.0, "{line}");
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT sum(calls)::bigint FROM pixi_call_minutes WHERE tenant_id = $1")
            .bind(uuid::Uuid::parse_str(&t.tenant_id).unwrap())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored.unwrap_or(0) as f64, counted, "every replica's count lands in the database for the console");
}
