//! CN-05: the Dashboard — every processed order newest first, paged, filtered (state, problems
//! only, hints only, payment method, dates, order number), errors and hints marked apart; an
//! order's history, money at unzer, pixi documents and incident text; "Problem gelöst" clears
//! the mark and does nothing else; "Erneut versuchen" after it makes the service try again
//! (issue 18), both audited.

use sandbox::pixi::{Merge, OrderStatus, RefusalSpec, Switches};
use sandbox::unzer::{PayKind, SeedOutcome};

use super::{ADMIN, WORKER, at, browser, console_app, login, path, rows, select, shop, shot, wait_rows};
use crate::capture::ship;
use crate::helpers::PIXI_USER;

#[tokio::test]
async fn cn_05_the_dashboard_lists_newest_first_pages_filters_and_marks_errors_and_hints_apart() {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let mut nrs = Vec::new();
    for i in 0..26 {
        nrs.push(t.order(&app, "UNZERCC", PayKind::Card, &[1000 + i], SeedOutcome::Authorized).await.0);
    }
    let (paypal, _) = t.order(&app, "UNZERPP", PayKind::Paypal, &[2500], SeedOutcome::Authorized).await;
    let (refused, _) = t.order(&app, "UNZERCC", PayKind::Card, &[3000], SeedOutcome::Failed).await;
    let (merged, _) = t.order(&app, "UNZERCC", PayKind::Card, &[3500], SeedOutcome::Authorized).await;
    app.admin.pixi_merge(PIXI_USER, merged, &Merge { with: None }).await.unwrap();
    app.settle(6).await;
    let (_driver, s) = browser().await;
    login(&s, &at(&app, &t, "dashboard"), ADMIN).await;
    s.wait_displayed("[data-testid=order-rows] tr").await;

    // Newest first, 25 per page.
    let first = rows(&s, "[data-testid=order-rows]").await;
    assert_eq!(first.len(), 25);
    let numbers: Vec<i64> =
        first.iter().map(|r| r.split(" | ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|p| p[0] > p[1]), "newest first: {numbers:?}");
    shot(&s, "cn05-dashboard").await;
    s.click("[data-testid=page-next]").await;
    s.wait_displayed("[data-testid=page-first]").await;
    let second = rows(&s, "[data-testid=order-rows]").await;
    assert_eq!(first.len() + second.len(), 29, "every processed order, once");
    assert!(path(&s).await.contains("page="), "the page is in the address");

    // Errors and hints, marked apart.
    s.goto(&format!("{}?problem=error", at(&app, &t, "dashboard"))).await;
    s.wait_text("[data-testid=order-rows]", &refused.to_string()).await;
    let errors = rows(&s, "[data-testid=order-rows]").await;
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("⛔ Fehler"), "{errors:?}");
    shot(&s, "cn05-nur-fehler").await;
    select(&s, "[data-testid=filter-problem]", "hint").await;
    s.click("[data-testid=filter-apply]").await;
    s.wait_text("[data-testid=order-rows]", &merged.to_string()).await;
    let hints = rows(&s, "[data-testid=order-rows]").await;
    assert!(hints.len() == 1 && hints[0].starts_with("ℹ️ Hinweis"), "{hints:?}");
    assert!(
        s.attr("[data-testid=order-rows] tr span.mark", "title").await.contains("Eingreifen (noch) nicht notwendig")
    );
    shot(&s, "cn05-nur-hinweise").await;
    select(&s, "[data-testid=filter-problem]", "any").await;
    s.click("[data-testid=filter-apply]").await;
    wait_rows(&s, "[data-testid=order-rows]", 2).await;

    // Payment method, state, order number, dates.
    s.click("[data-testid=filter-reset]").await;
    wait_rows(&s, "[data-testid=order-rows]", 25).await;
    select(&s, "[data-testid=filter-method]", "UNZERPP").await;
    s.click("[data-testid=filter-apply]").await;
    wait_rows(&s, "[data-testid=order-rows]", 1).await;
    assert!(rows(&s, "[data-testid=order-rows]").await[0].contains(&paypal.to_string()));
    s.goto(&format!("{}?state=not_processed", at(&app, &t, "dashboard"))).await;
    s.wait_text("[data-testid=order-rows]", &merged.to_string()).await;
    s.goto(&format!("{}?nr={}", at(&app, &t, "dashboard"), nrs[3])).await;
    s.wait_text("[data-testid=order-rows]", &nrs[3].to_string()).await;
    assert_eq!(rows(&s, "[data-testid=order-rows]").await.len(), 1);
    s.goto(&format!("{}?from=2026-01-06", at(&app, &t, "dashboard"))).await;
    s.wait_displayed("[data-testid=orders-empty]").await;
    s.goto(&format!("{}?from=2026-01-05&to=2026-01-05", at(&app, &t, "dashboard"))).await;
    s.wait_displayed("[data-testid=page-next]").await;
    // A bad filter is shown at its field.
    s.goto(&format!("{}?nr=abc", at(&app, &t, "dashboard"))).await;
    s.wait_text("#filter-form [data-error=nr]", "pixi-Bestellnummer").await;
    shot(&s, "cn05-filter-feldfehler").await;
    s.quit().await;
}

#[tokio::test]
async fn cn_05_an_order_shows_history_money_documents_and_incident_and_problem_geloest_only_clears_the_mark_then_erneut_versuchen_tries_again()
 {
    let app = console_app(&[]).await;
    let t = shop(&app).await;
    let (shipped, _) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
    app.settle(3).await;
    let invoice = ship(&app, shipped, &[0]).await;
    app.advance(5).await;
    app.settle(3).await;
    // pixi refuses the shipping lock once: the refused payment's order stays on HOLD, flagged.
    let refuse = Switches {
        refusals: vec![RefusalSpec {
            call: "pixiSetOrderShippingLock".into(),
            message: "Order is being edited by another user".into(),
            times: 1,
        }],
        ..Switches::default()
    };
    app.admin.pixi_switches(PIXI_USER, &refuse).await.unwrap();
    let (refused, _) = t.order(&app, "UNZERCC", PayKind::Card, &[1000], SeedOutcome::Failed).await;
    app.settle(3).await;
    assert_eq!(t.pixi(&app, refused).await.status, OrderStatus::Hold);
    let (_driver, s) = browser().await;

    login(&s, &format!("{}/bestellung/{}/{shipped}", at(&app, &t, "").trim_end_matches('/'), t.api_id), ADMIN).await;
    s.wait_text("[data-testid=order-title]", &shipped.to_string()).await;
    let docs = rows(&s, "[data-testid=order-documents]").await;
    assert!(
        docs.iter().any(|d| d.starts_with(&invoice) && d.contains("Rechnung") && d.contains("60,00 EUR")),
        "{docs:?}"
    );
    let moves = rows(&s, "[data-testid=order-movements]").await;
    assert!(
        moves.iter().any(|m| m.contains("Einzug") && m.contains("60,00 EUR") && m.contains("erfolgreich")),
        "{moves:?}"
    );
    assert!(s.text("[data-testid=order-history]").await.contains("released"));
    assert!(rows(&s, "[data-testid=order-money]").await.contains(&"Eingezogen bei unzer | 60,00 EUR".to_owned()));
    shot(&s, "cn05-bestellung").await;
    s.click("[data-testid=logout]").await;

    // The flagged order: its incident's text; "Problem gelöst" says it does nothing else.
    let flagged = format!("{}/bestellung/{}/{refused}", at(&app, &t, "").trim_end_matches('/'), t.api_id);
    login(&s, &flagged, WORKER).await;
    let incidents = s.wait_text("[data-testid=order-incidents]", "PXI-").await;
    assert!(incidents.contains("Fehler"), "{incidents}");
    shot(&s, "cn05-bestellung-mit-fehler").await;
    let before = t.pixi(&app, refused).await;
    s.click("[data-testid=order-solved]").await;
    let dialog = s.wait_text("[data-testid=modal]", "führt keine weitere Aktion in der App aus").await;
    assert!(dialog.contains("Problem gelöst"));
    shot(&s, "cn05-problem-geloest-dialog").await;
    s.fill("[data-testid=modal-note]", "mit dem Kunden telefoniert").await;
    s.click("[data-testid=modal-ok]").await;
    s.wait_text("[data-testid=toasts]", "Die App führt keine weitere Aktion aus").await;
    s.wait_text("[data-testid=order-incidents]", "gelöst").await;
    assert!(!s.displayed("[data-testid=order-solved]").await, "no mark left");
    assert_eq!(t.pixi(&app, refused).await, before, "nothing else happened in pixi");

    // "Erneut versuchen": the service tries what pixi refused again, at once.
    s.click("[data-testid=order-retry]").await;
    s.wait_text("[data-testid=modal]", "sofort erneut").await;
    s.click("[data-testid=modal-ok]").await;
    s.wait_text("[data-testid=toasts]", "erneut").await;
    app.settle(3).await;
    let after = t.pixi(&app, refused).await;
    assert_eq!(after.status, OrderStatus::Open, "released with the lock pixi now took");
    assert!(after.lock.locked, "{after:?}");
    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM audit_log WHERE action IN ('problem_solved', 'order_retried') ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit, [(WORKER.0.into(), "problem_solved".into()), (WORKER.0.into(), "order_retried".into())]);
    s.quit().await;
}
