//! The scheduled reconciliation (PX-44) as a job of its own: its own lease, resumable where it
//! stopped (pixi failing, the quiet window, a replica dying), never scheduled hours out because
//! one step failed.

use chrono::TimeZone;
use proto::payops::pixi_sync::v1 as pb;
use sandbox::unzer::{PayKind, SeedOutcome};
use sandbox::{FailMode, FaultSpec, System};

use crate::capture::ship;
use crate::helpers::{Instance, METHODS, Tenant, TestApp};

/// Three orders shipped and completed by `worker` (the app's process or a replica).
async fn three_completed(app: &TestApp, worker: &Instance, t: &Tenant) -> Vec<i64> {
    let mut nrs = Vec::new();
    for amount in [1000, 2000, 3000] {
        let (nr, _) = t.order(app, "UNZERCC", PayKind::Card, &[amount], SeedOutcome::Authorized).await;
        nrs.push(nr);
    }
    worker.settle(3).await;
    for nr in &nrs {
        ship(app, *nr, &[]).await;
    }
    app.advance(5).await;
    worker.settle(3).await;
    nrs
}

/// (finished, orders checked) of every scheduled run, oldest first.
async fn scheduled_runs(app: &Instance) -> Vec<(bool, i32)> {
    sqlx::query_as(
        "SELECT finished_at IS NOT NULL, orders_checked FROM reconciliation_runs WHERE trigger = 'scheduled' ORDER BY started_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn px_44_a_scheduled_reconciliation_interrupted_by_pixi_resumes_within_minutes_not_at_the_next_interval() {
    let app = TestApp::spawn_with(&[("RECONCILE_INTERVAL", "6h")]).await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    three_completed(&app, &app, &t).await;
    app.pass().await;
    app.advance(6 * 3600 + 60).await;
    // pixi fails to list an order's documents while the scheduled run reads them.
    app.admin.add_fault(&FaultSpec::fail_times(System::Pixi, "pixiGetInvoice", FailMode::Error, 0)).await.unwrap();
    app.pass().await;
    app.admin.clear_faults().await.unwrap();
    for _ in 0..3 {
        app.advance(120).await;
        app.pass().await;
    }
    assert_eq!(scheduled_runs(&app).await, [(true, 3)], "the run finished minutes after pixi answered again");
}

#[tokio::test]
async fn px_44_a_scheduled_reconciliation_waits_out_the_quiet_window_and_a_dead_replica_and_checks_each_order_once() {
    let vars = [("RECONCILE_INTERVAL", "5h"), ("RECONCILE_BATCH", "1"), ("LEASE_TTL", "30s")];
    // The app's own process only configures; the two replicas a and b do the work.
    let app = TestApp::spawn_with(&vars).await;
    // Scheduled at 23:00 Berlin, started at 23:58: one order fits before the quiet window
    // (00:00-04:00), the rest after it.
    app.set_time(chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 1, 5, 18, 0, 0).unwrap().with_timezone(&chrono::Utc))
        .await;
    let a = app.replica().await;
    let b = app.replica().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &METHODS).await;
    three_completed(&app, &a, &t).await;
    a.pass().await;
    app.set_time(
        chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 1, 5, 23, 58, 0).unwrap().with_timezone(&chrono::Utc),
    )
    .await;
    a.pass().await;
    assert_eq!(scheduled_runs(&a).await, [(false, 1)], "one order per step, the run stays open");
    // Replica b does not take a run a holds.
    b.pass().await;
    assert_eq!(scheduled_runs(&a).await, [(false, 1)]);
    // The quiet window: no pixi call, the run waits (it is not given up or moved hours out).
    app.set_time(chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 1, 6, 0, 30, 0).unwrap().with_timezone(&chrono::Utc))
        .await;
    a.pass().await;
    b.pass().await;
    assert_eq!(scheduled_runs(&a).await, [(false, 1)]);
    // After it, a is gone; b takes the run over once a's lease expired and finishes it.
    drop(a);
    app.set_time(chrono_tz::Europe::Berlin.with_ymd_and_hms(2026, 1, 6, 4, 1, 0).unwrap().with_timezone(&chrono::Utc))
        .await;
    for _ in 0..4 {
        b.pass().await;
        app.advance(5).await;
    }
    assert_eq!(scheduled_runs(&b).await, [(true, 3)], "each order checked once, the run finished after the window");
}
