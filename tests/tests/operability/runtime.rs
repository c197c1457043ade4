//! OP-01, OP-02, OP-03 and OP-06 on a real service binary (ticketing-bridge, the smallest to
//! configure: Postgres, NATS and the sandbox's Freshdesk), its database and bus reached through
//! TCP proxies the test can cut: configuration and secrets from files, gRPC health following
//! the database and the bus, the request size limit, SIGTERM, the admin port, and its JSON logs.

use std::time::Duration;

use proto::payops::ticketing::v1 as tk;
use sandbox::{Sandbox, SandboxConfig, System};
use stack::ServiceProcess;
use testkit::{TcpProxy, TestEnv};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use testkit::eventually;

const KEY: &str = "fd-runtime-secret-key-8c1e";

/// ticketing-bridge on proxies to Postgres and NATS.
struct Bridge {
    _env: TestEnv,
    _sandbox: Sandbox,
    db: TcpProxy,
    bus: TcpProxy,
    p: ServiceProcess,
}

fn host_port(url: &str) -> std::net::SocketAddr {
    let after = url.split("://").nth(1).unwrap();
    let host = after.rsplit('@').next().unwrap().split(['/', '?']).next().unwrap();
    host.parse().unwrap()
}

async fn bridge(extra: &[(&str, &str)]) -> Bridge {
    let env = TestEnv::new().await.unwrap();
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    sandbox.client().freshdesk_add_api_key(KEY).await.unwrap();
    let db = TcpProxy::start(host_port(&env.database_url)).await.unwrap();
    let bus = TcpProxy::start(host_port(&env.nats_url)).await.unwrap();
    let pg = host_port(&env.database_url).to_string();
    let database_url = env.database_url.replacen(&pg, &db.addr().to_string(), 1);
    let mut vars: Vec<(String, String)> = [
        ("DATABASE_URL", database_url),
        ("NATS_URL", format!("nats://{}", bus.addr())),
        ("EVENTS_PREFIX", env.prefix.clone()),
        ("EVENTS_STREAM", env.stream.clone()),
        ("SHUTDOWN_GRACE", "10s".to_owned()),
        ("CALLERS", testkit::CALLERS.to_owned()),
        ("FRESHDESK_URL", sandbox.url(System::Freshdesk)),
        ("FRESHDESK_GROUPS", "hotline:43000000001".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    if !vars.iter().any(|(k, _)| k.starts_with("FRESHDESK_API_KEY")) {
        vars.push(("FRESHDESK_API_KEY".into(), KEY.into()));
    }
    let p = ServiceProcess::start("ticketing-bridge", "payops-ticketing-bridge", &vars).await.unwrap();
    Bridge { _env: env, _sandbox: sandbox, db, bus, p }
}

fn ticket(request_id: &str, order_id: &str, email: &str, description: String) -> tk::CreateTicketRequest {
    tk::CreateTicketRequest {
        request_id: request_id.into(),
        order_id: order_id.into(),
        subject: "Runtime check".into(),
        description,
        requester: Some(tk::Requester {
            contact: Some(tk::requester::Contact::Email(email.into())),
            name: String::new(),
        }),
        r#type: "Question".into(),
        priority: tk::TicketPriority::Low as i32,
        group: "hotline".into(),
        tags: vec![],
    }
}

async fn client(
    p: &ServiceProcess,
) -> tk::ticketing_service_client::TicketingServiceClient<kit::grpc::client::TracedChannel> {
    tk::ticketing_service_client::TicketingServiceClient::new(testkit::grpc_channel(&p.grpc_url))
}

async fn health(p: &ServiceProcess) -> i32 {
    let channel = testkit::grpc_channel(&p.grpc_url);
    let mut h = HealthClient::new(channel);
    h.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status
}

async fn get(url: String) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn op_01_secrets_come_from_files_and_a_bad_value_stops_start_up_with_one_line_naming_the_variable() {
    let dir = std::env::temp_dir().join(format!("op01-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("freshdesk-api-key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let mut b = bridge(&[("FRESHDESK_API_KEY_FILE", file.to_str().unwrap())]).await;
    b.p.wait_ready(Duration::from_secs(60)).await.unwrap();
    // Freshdesk accepts only this key: the ticket proves the file's content was used.
    let t = client(&b.p).await.create_ticket(ticket("op01", "OP-1", "a@example.com", "x".into())).await.unwrap();
    assert!(t.into_inner().ticket.unwrap().ticket_id > 0);
    b.p.terminate().unwrap();
    assert_eq!(b.p.wait().await.unwrap().0, Some(0));

    let bad = bridge(&[("FRESHDESK_API_KEY", KEY), ("FRESHDESK_RATE_PER_MINUTE", "lots")]).await;
    let (code, out, err) = bad.p.wait().await.unwrap();
    assert_eq!(code, Some(2), "stdout:\n{out}\nstderr:\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("configuration error: FRESHDESK_RATE_PER_MINUTE: "), "{err}");
    assert!(!err.contains(KEY) && !out.contains(KEY), "the secret is never printed");
}

#[tokio::test]
async fn op_02_health_follows_the_database_and_the_bus_requests_are_size_limited_and_sigterm_stops_cleanly() {
    let mut b = bridge(&[("GRPC_MAX_REQUEST_BYTES", "65536")]).await;
    b.p.wait_ready(Duration::from_secs(60)).await.unwrap();
    assert_eq!(health(&b.p).await, ServingStatus::Serving as i32);
    for (what, proxy) in [("database", &b.db), ("bus", &b.bus)] {
        proxy.cut();
        eventually(&format!("NOT_SERVING while the {what} is cut"), Duration::from_secs(60), || async {
            (health(&b.p).await == ServingStatus::NotServing as i32).then_some(())
        })
        .await;
        proxy.restore();
        eventually(&format!("SERVING once the {what} is back"), Duration::from_secs(60), || async {
            (health(&b.p).await == ServingStatus::Serving as i32).then_some(())
        })
        .await;
    }
    let big = ticket("op02-big", "OP-2", "a@example.com", "x".repeat(100_000));
    let refused = client(&b.p).await.create_ticket(big).await.unwrap_err();
    // tonic's decoder answers OUT_OF_RANGE when the message exceeds the limit it was given; the
    // kit's body limit answers RESOURCE_EXHAUSTED for bodies beyond it.
    assert!(matches!(refused.code(), tonic::Code::ResourceExhausted | tonic::Code::OutOfRange), "{refused:?}");
    assert!(refused.message().contains("65536"), "{refused:?}");
    let small = ticket("op02-small", "OP-2", "a@example.com", "x".repeat(1_000));
    client(&b.p).await.create_ticket(small).await.unwrap();

    b.p.terminate().unwrap();
    let (code, out, _) = b.p.wait().await.unwrap();
    assert_eq!(code, Some(0), "clean exit on SIGTERM:\n{out}");
    assert!(out.contains("\"message\":\"stopped\""), "stops through the graceful path:\n{out}");
}

#[tokio::test]
async fn op_03_admin_port_serves_livez_readyz_and_metrics_and_liveness_ignores_the_database() {
    let mut b = bridge(&[]).await;
    b.p.wait_ready(Duration::from_secs(60)).await.unwrap();
    let admin = b.p.admin_url.clone();
    assert_eq!(get(format!("{admin}/livez")).await, 200);
    assert_eq!(get(format!("{admin}/readyz")).await, 200);
    let metrics = reqwest::get(format!("{admin}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let content_type = metrics.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(metrics.text().await.unwrap().contains("# TYPE payops_dependency_up gauge"));
    b.db.cut();
    eventually("/readyz fails while the database is cut", Duration::from_secs(60), || async {
        (get(format!("{admin}/readyz")).await == 503).then_some(())
    })
    .await;
    assert_eq!(get(format!("{admin}/livez")).await, 200, "liveness never depends on Postgres");
    b.db.restore();
    eventually("/readyz is back", Duration::from_secs(60), || async {
        (get(format!("{admin}/readyz")).await == 200).then_some(())
    })
    .await;
    b.p.terminate().unwrap();
    assert_eq!(b.p.wait().await.unwrap().0, Some(0));
}

#[tokio::test]
async fn op_06_json_log_lines_carry_order_and_trace_id_and_never_personal_data_or_secrets() {
    let mut b = bridge(&[("RUST_LOG", "info")]).await;
    b.p.wait_ready(Duration::from_secs(60)).await.unwrap();
    let email = "maria.muster@example.com";
    let req = ticket("op06", "OP-6", email, "Frau Muster ruft an".into());
    client(&b.p).await.create_ticket(req).await.unwrap();
    b.p.terminate().unwrap();
    let (code, out, err) = b.p.wait().await.unwrap();
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> =
        out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    assert!(lines.iter().all(|l| l["level"].is_string() && l["timestamp"].is_string()), "{out}");
    let of_request: Vec<&serde_json::Value> = lines.iter().filter(|l| l["span"]["order_id"] == "OP-6").collect();
    assert!(!of_request.is_empty(), "the request logged something with its order id:\n{out}");
    for l in &of_request {
        let trace = l["span"]["trace_id"].as_str().unwrap_or_else(|| panic!("trace id on {l}"));
        assert_eq!(trace.len(), 32, "{l}");
    }
    for text in [&out, &err] {
        assert!(!text.contains(email) && !text.contains("Muster"), "personal data never logged:\n{text}");
        assert!(!text.contains(KEY), "secrets never logged");
    }
}
