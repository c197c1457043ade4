//! The platform plumbing as real processes: the echo skeleton starts, serves, reports ready,
//! stops gracefully on SIGTERM, and refuses a bad configuration with one line naming the
//! variable.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use std::time::{Duration, Instant};

use proto::payops::echo::v1::EchoRequest;
use proto::payops::echo::v1::echo_service_client::EchoServiceClient;
use testkit::TestEnv;
use tests::process::ServiceProcess;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

fn vars(env: &TestEnv) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), env.database_url.clone()),
        ("NATS_URL".into(), env.nats_url.clone()),
        ("EVENTS_PREFIX".into(), env.prefix.clone()),
        ("EVENTS_STREAM".into(), env.stream.clone()),
        ("SHUTDOWN_GRACE".into(), "10s".into()),
    ]
}

#[tokio::test]
async fn op_02_service_process_serves_and_stops_gracefully_on_sigterm() {
    let env = TestEnv::new().await.unwrap();
    let mut p = ServiceProcess::start("echo", "payops-echo", &vars(&env)).await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();

    let channel = tonic::transport::Endpoint::from_shared(p.grpc_url.clone()).unwrap().connect().await.unwrap();
    let health = HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(health.into_inner().status, 1, "SERVING");
    let echoed = EchoServiceClient::new(channel).echo(EchoRequest { message: "hi".into() }).await.unwrap();
    assert_eq!(echoed.into_inner().message, "hi");

    p.terminate().unwrap();
    let started = Instant::now();
    let (code, out, _) = p.wait().await.unwrap();
    assert_eq!(code, Some(0), "clean exit; output:\n{out}");
    assert!(started.elapsed() < Duration::from_secs(10), "stopped within the grace period");
    assert!(out.contains("\"message\":\"stopped\""), "JSON logs end with the stop line:\n{out}");
}

#[tokio::test]
async fn op_01_config_error_stops_start_up_with_one_line_naming_the_variable() {
    let env = TestEnv::new().await.unwrap();
    let mut bad = vars(&env);
    bad.push(("DB_MAX_CONNECTIONS".into(), "many".into()));
    let p = ServiceProcess::start("echo", "payops-echo", &bad).await.unwrap();
    let (code, _, err) = p.wait().await.unwrap();
    assert_eq!(code, Some(2));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("configuration error: DB_MAX_CONNECTIONS: "), "{err}");
}
