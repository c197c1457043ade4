//! The bridge as real processes that follow the sandbox's clock (`CLOCK_SOURCE=sandbox:…`):
//! TK-03 through a SIGKILL while Freshdesk holds the answer of a creation it already made,
//! with search lagging creation by the simulator's indexing delay; TK-05 with two replicas
//! sharing one rate budget under a burst. Real time passes, bounded by polling with limits.
//! The processes run on the app's database, stream and sandbox; the app's own in-process
//! bridge stays idle.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use testkit::eventually;

use chrono::{DateTime, Timelike, Utc};
use sandbox::freshdesk::FreshdeskConfigPatch;
use sandbox::{FailMode, FaultSpec, System};
use tests::process::ServiceProcess;

use crate::helpers::{KEY, TestApp};

/// The bridge's environment on the app's database, stream and sandbox.
fn vars(app: &TestApp, instance: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = [
        ("DATABASE_URL", app.env.database_url.as_str()),
        ("NATS_URL", app.env.nats_url.as_str()),
        ("CALLERS", testkit::CALLERS),
        ("EVENTS_PREFIX", app.env.prefix.as_str()),
        ("EVENTS_STREAM", app.env.stream.as_str()),
        ("FRESHDESK_URL", &app.sandbox.url(System::Freshdesk)),
        ("FRESHDESK_API_KEY", KEY),
        ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003"),
        ("FRESHDESK_BACKOFF_BASE", "1s"),
        ("FRESHDESK_BACKOFF_MAX", "2s"),
        ("TICKETING_POLL", "100ms"),
        ("INSTANCE_ID", instance),
        ("CLOCK_SOURCE", &format!("sandbox:{}", app.sandbox.admin_url())),
        ("CLOCK_SOURCE_ALLOW_TEST", "true"),
        ("SHUTDOWN_GRACE", "5s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, val) in extra {
        v.retain(|(name, _)| name != k);
        v.push(((*k).to_owned(), (*val).to_owned()));
    }
    v
}

async fn start(app: &TestApp, instance: &str, extra: &[(&str, &str)]) -> ServiceProcess {
    let mut p = ServiceProcess::start("ticketing-bridge", "payops-ticketing-bridge", &vars(app, instance, extra))
        .await
        .unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();
    p
}

#[tokio::test]
async fn tk_03_a_bridge_killed_after_freshdesk_created_the_ticket_and_restarted_at_once_ends_with_one_ticket() {
    let app = TestApp::spawn().await;
    // Search finds a new ticket only 60 s (sandbox clock) after its creation, as Freshdesk's
    // does after "a few minutes"; the bridge trusts "not found" only after 90 s.
    let delay = FreshdeskConfigPatch { index_delay_secs: Some(60), ..Default::default() };
    app.admin.freshdesk_configure(&delay).await.unwrap();
    // Freshdesk creates the ticket and then holds its answer.
    let hang = FaultSpec {
        hang_ms: 60_000,
        ..FaultSpec::act_then_fail_once(System::Freshdesk, "create_ticket", FailMode::Hang)
    };
    app.admin.add_fault(&hang).await.unwrap();
    let extra = [("FRESHDESK_INDEX_DELAY", "90s"), ("FRESHDESK_TIMEOUT", "30s")];
    let mut bridge = start(&app, "bridge-1", &extra).await;
    app.attention("4711", "cap-1", "Capture refused", "x").await;
    let reference = "inc:4711:cap-1";
    eventually("Freshdesk to create the ticket", Duration::from_secs(30), || async {
        app.tickets_with(reference).await.len() == 1
    })
    .await;

    // Killed while Freshdesk holds the answer, restarted at once with the same environment.
    bridge.kill().unwrap();
    bridge.wait_exit().await.unwrap();
    bridge.restart().await.unwrap();
    bridge.wait_ready(Duration::from_secs(60)).await.unwrap();

    // The restarted bridge probes: search cannot see the ticket yet, so it waits.
    let pool = kit::db::connect_lazy(&app.env.db_config("ticketing_bridge")).unwrap();
    eventually("the restarted bridge to probe", Duration::from_secs(30), || async {
        let probes: Option<i32> =
            sqlx::query_scalar("SELECT probes FROM journal WHERE key = 'fd.create:inc:4711:cap-1'")
                .fetch_optional(&pool)
                .await
                .unwrap();
        probes.unwrap_or(0) >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.tickets_with(reference).await.len(), 1, "no second ticket while search cannot see the first");
    let status: String =
        sqlx::query_scalar("SELECT status FROM work WHERE kind = 'event'").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "queued", "waiting for the index, not done by a second ticket");

    // Past the indexing delay search finds the ticket: recorded, never created again.
    app.admin.advance_clock(91).await.unwrap();
    eventually("the bridge to record the ticket", Duration::from_secs(30), || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&pool).await.unwrap();
        n == 1
    })
    .await;
    let fd = app.tickets_with(reference).await;
    assert_eq!(fd.len(), 1, "exactly one ticket");
    let recorded: i64 = sqlx::query_scalar("SELECT ticket_id FROM tickets").fetch_one(&pool).await.unwrap();
    assert_eq!(recorded, fd[0].id as i64);
    let creates = app.admin.requests(Some(System::Freshdesk)).await.unwrap();
    let posts = creates.iter().filter(|r| r.method == "POST" && r.path == "/api/v2/tickets").count();
    assert_eq!(posts, 1, "the creation was sent once");
    bridge.terminate().unwrap();
    bridge.wait_exit().await.unwrap();
}

/// The sandbox-clock minute of `at` (the windows Freshdesk's per-minute limit counts in).
fn minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(at)
}

#[tokio::test]
async fn tk_05_two_bridge_replicas_under_a_burst_stay_within_the_plans_create_rate() {
    let app = TestApp::spawn().await;
    // A plan that allows 10 ticket creations a minute; both replicas are configured for 9
    // (the deployment's budget, below the plan for headroom), one slot at a time.
    let plan = FreshdeskConfigPatch { per_minute: Some(200), create_per_minute: Some(10), ..Default::default() };
    app.admin.freshdesk_configure(&plan).await.unwrap();
    let extra = [
        ("FRESHDESK_RATE_PER_MINUTE", "200"),
        ("FRESHDESK_CREATE_PER_MINUTE", "9"),
        ("FRESHDESK_BURST", "1"),
        ("FRESHDESK_CONCURRENCY", "3"),
    ];
    let mut a = start(&app, "bridge-a", &extra).await;
    let mut b = start(&app, "bridge-b", &extra).await;
    let orders = 24;
    for k in 0..orders {
        app.attention(&format!("{}", 5000 + k), "cap-1", "Capture refused", "burst").await;
    }
    // Ten sandbox seconds per real second: 24 creations at 9 a minute take ~160 s of it.
    let limit = Instant::now() + Duration::from_secs(90);
    while app.tickets().await.len() < orders {
        assert!(Instant::now() < limit, "the burst was not worked off: {} tickets", app.tickets().await.len());
        app.admin.advance_clock(1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = app.admin.requests(Some(System::Freshdesk)).await.unwrap();
    let creates: Vec<_> = log.iter().filter(|r| r.method == "POST" && r.path == "/api/v2/tickets").collect();
    let mut per_minute: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for r in &creates {
        *per_minute.entry(minute(r.at)).or_default() += 1;
    }
    let refused = creates.iter().filter(|r| r.status == 429).count();
    assert!(per_minute.values().all(|n| *n <= 10), "creations per sandbox minute: {per_minute:?}");
    assert_eq!(refused, 0, "Freshdesk never had to refuse a creation: {per_minute:?}");
    assert_eq!(app.admin.freshdesk_tickets().await.unwrap().duplicates.len(), 0);
    for p in [&a, &b] {
        let m = reqwest::get(format!("{}/metrics", p.admin_url)).await.unwrap().text().await.unwrap();
        let created: f64 = m
            .lines()
            .filter(|l| l.starts_with("payops_tickets_created_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!(created > 0.0, "both replicas created tickets ({} created none)", p.name);
    }
    for p in [&mut a, &mut b] {
        p.terminate().unwrap();
        p.wait_exit().await.unwrap();
    }
}
