//! `make up` + `make demo` in small: the sandbox with its demo data (in-process) and all five
//! service binaries as real processes on one database and one stream; the demo seeding runs
//! twice (idempotent), then the scenario's order must reach the hotline timeline with
//! pixi-sync's incident and exactly one ticket from ticketing-bridge; the portal hints find
//! data for every screen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::time::Duration;

use chrono::{Timelike, Utc};
use demo::{Targets, hints, scenario, seed};
use proto::payops::pixi_sync::v1 as px;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use sandbox::unzer::{TxnStatus, TxnType};
use sandbox::{Sandbox, SandboxConfig, System};
use stack::free_port;
use stack::process::ServiceProcess;
use testkit::TestEnv;

const MANAGER_TOKEN: &str = "demo-test-manager-token";

fn vars(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

/// A pixi quiet window (PX-22) twelve hours away, so the test never runs into it.
fn quiet_window_elsewhere() -> String {
    let h = (Utc::now().hour() + 12) % 24;
    format!("{h:02}:00-{h:02}:01")
}

async fn start(package: &str, shared: &[(String, String)], own: &[(&str, String)]) -> ServiceProcess {
    let mut all = shared.to_vec();
    all.extend(vars(own));
    let mut p = ServiceProcess::start(package, &format!("payops-{package}"), &all).await.unwrap();
    p.wait_ready(Duration::from_secs(90)).await.unwrap();
    p
}

#[tokio::test]
async fn demo_seed_is_idempotent_and_the_scenario_reaches_the_hotline_timeline_with_one_ticket() {
    let env = TestEnv::new().await.unwrap();
    let sb = Sandbox::start(SandboxConfig { demo: true, ..SandboxConfig::ephemeral() }).await.unwrap();
    let shared = vars(&[
        ("DATABASE_URL", env.database_url.clone()),
        ("NATS_URL", env.nats_url.clone()),
        ("EVENTS_PREFIX", env.prefix.clone()),
        ("EVENTS_STREAM", env.stream.clone()),
        ("SHUTDOWN_GRACE", "5s".into()),
        ("CALLERS", testkit::CALLERS.into()),
    ]);
    let ticketing = start(
        "ticketing-bridge",
        &shared,
        &[
            ("FRESHDESK_URL", sb.url(System::Freshdesk)),
            ("FRESHDESK_API_KEY", "demo-api-key".into()),
            ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003".into()),
            ("ATTENTION_GROUP", "payments".into()),
            ("FRESHDESK_RATE_PER_MINUTE", "6000".into()),
            ("FRESHDESK_CREATE_PER_MINUTE", "6000".into()),
            ("FRESHDESK_BURST", "100".into()),
            ("TICKETING_POLL", "100ms".into()),
        ],
    )
    .await;
    let pf = sb.url(System::Postfinance);
    let invoice = start(
        "invoice-checks",
        &shared,
        &[
            ("POSTFINANCE_TEST_URL", format!("{pf}/ncol/test/")),
            ("POSTFINANCE_PROD_URL", format!("{pf}/ncol/prod/")),
            ("PUBLIC_ADDR", "127.0.0.1:0".into()),
            ("CALLERS", format!("{}\nmanager:{MANAGER_TOKEN}:manual.*:*", testkit::CALLERS)),
        ],
    )
    .await;
    let terminals = start(
        "terminal-gateway",
        &shared,
        &[("NETS_BASE_URL", sb.url(System::Nets)), ("CREDENTIALS_KEY", "ab".repeat(32))],
    )
    .await;
    let public = free_port().unwrap();
    let pixi = start(
        "pixi-sync",
        &shared,
        &[
            ("PIXI_SYNC_SECRET_KEY", "cd".repeat(32)),
            ("UNZER_SANDBOX_BASE_URL", sb.url(System::Unzer)),
            ("UNZER_PRODUCTION_BASE_URL", sb.url(System::Unzer)),
            ("PUBLIC_ADDR", format!("127.0.0.1:{public}")),
            ("PUBLIC_BASE_URL", format!("http://127.0.0.1:{public}")),
            ("CONSOLE_ADDR", "127.0.0.1:0".into()),
            ("POLL_INTERVAL", "300ms".into()),
            ("PIXI_QUIET_WINDOW", quiet_window_elsewhere()),
        ],
    )
    .await;
    let web = free_port().unwrap();
    let hotline = start(
        "hotline-api",
        &shared,
        &[
            ("WEB_ADDR", format!("127.0.0.1:{web}")),
            ("PGW_BASE_URL", format!("{}/api/v1", sb.url(System::Pgw))),
            ("PGW_API_KEY", "pgw-prod-demo-key".into()),
            ("SMALLINVOICE_BASE_URL", format!("{}/v2", sb.url(System::Smallinvoice))),
            ("SMALLINVOICE_CLIENT_ID", "payops-demo".into()),
            ("SMALLINVOICE_CLIENT_SECRET", "payops-demo-secret".into()),
            ("TICKETING_URL", ticketing.grpc_url.clone()),
            ("TICKETING_TOKEN", testkit::CALLER_TOKEN.into()),
            ("BOOTSTRAP_ADMIN", "admin".into()),
            ("BOOTSTRAP_ADMIN_PASSWORD", "demo-test-password".into()),
            ("PASSWORD_HASH_MEMORY_KIB", "256".into()),
            ("PASSWORD_HASH_ITERATIONS", "1".into()),
        ],
    )
    .await;
    let targets = Targets {
        pixi_sync: pixi.grpc_url.clone(),
        terminal_gateway: terminals.grpc_url.clone(),
        hotline: hotline.grpc_url.clone(),
        invoice_checks: invoice.grpc_url.clone(),
        sandbox_admin: sb.admin_url(),
        hotline_user: "admin".into(),
        hotline_password: "demo-test-password".into(),
        manager_token: MANAGER_TOKEN.into(),
        token: testkit::CALLER_TOKEN.into(),
    };

    let first = seed::seed(&targets).await.unwrap();
    let second = seed::seed(&targets).await.unwrap();
    assert_eq!(first.tenant_id, second.tenant_id, "the second run finds the tenant");
    assert_eq!(first.pixi_api_config_id, second.pixi_api_config_id);
    assert_ne!(first.error_page_url, second.error_page_url, "a fresh error-page link per run");
    let mut configs = PaymentConfigServiceClient::new(testkit::grpc_channel(&pixi.grpc_url));
    let listed = configs
        .list_payment_configs(px::ListPaymentConfigsRequest {
            tenant_id: first.tenant_id.clone(),
            pixi_api_config_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .configs;
    let mut methods: Vec<&str> = listed.iter().map(|c| c.payment_method.as_str()).collect();
    methods.sort_unstable();
    let mut expected = seed::METHODS.to_vec();
    expected.sort_unstable();
    assert_eq!(methods, expected, "one configuration per method, not two");
    assert_eq!(sb.client().nets_terminals().await.unwrap().len(), 3, "the sandbox's demo terminals");

    let hints = hints::hints(&targets).await.unwrap();
    for screen in ["B2C code found", "B2C code expired", "B2B:", "Timeline:"] {
        assert!(hints.iter().any(|l| l.starts_with(screen)), "a hint for {screen}: {hints:?}");
    }

    let outcome = scenario::run(&targets, Duration::from_secs(120)).await.unwrap();
    println!("order {}:\n{}", outcome.order_id, outcome.lines().join("\n"));
    let kinds: Vec<(&str, &str)> = outcome.events.iter().map(|e| (e.source.as_str(), e.r#type.as_str())).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == ("ticketing-bridge", "ticket_created")).count(),
        1,
        "exactly one ticket for the incident: {kinds:?}"
    );
    assert!(kinds.contains(&("pixi-sync", "order_released")), "released with a shipping lock: {kinds:?}");
    let attention = outcome.events.iter().find(|e| e.r#type == "attention").unwrap();
    assert!(attention.summary.contains("expired"), "the incident names the cause: {attention:?}");
    let unzer = sb.client().unzer_payment(&outcome.payment_id).await.unwrap();
    let captured = unzer.transactions.iter().any(|t| t.kind == TxnType::Charge && t.status == TxnStatus::Success);
    assert!(!captured, "nothing was captured on the expired authorisation");
    let tickets = sb.client().freshdesk_tickets().await.unwrap();
    let order_field = serde_json::Value::String(outcome.order_id.clone());
    let ours = tickets.tickets.iter().filter(|t| t.custom_fields.get("cf_order_id") == Some(&order_field)).count();
    assert_eq!(ours, 1, "one Freshdesk ticket for the order");
    assert!(tickets.duplicates.is_empty(), "no incident got two tickets: {:?}", tickets.duplicates);
}
