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
        ("CALLERS".into(), testkit::CALLERS.into()),
    ]
}

#[tokio::test]
async fn op_02_service_process_serves_and_stops_gracefully_on_sigterm() {
    let env = TestEnv::new().await.unwrap();
    let mut p = ServiceProcess::start("echo", "payops-echo", &vars(&env)).await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();

    let channel = testkit::grpc_channel(&p.grpc_url);
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

#[tokio::test]
async fn a_chatty_process_never_blocks_on_its_output_and_restarts_on_the_same_ports() {
    let env = TestEnv::new().await.unwrap();
    let mut chatty = vars(&env);
    chatty.push(("RUST_LOG".into(), "trace".into()));
    let mut p = ServiceProcess::start("echo", "payops-echo", &chatty).await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();
    let channel = testkit::grpc_channel(&p.grpc_url);
    let mut echo = EchoServiceClient::new(channel);
    // Far more output than a pipe holds (64 KiB): a piped, unread stdout would block the server.
    let mut calls = 0;
    while std::fs::metadata(p.out_log()).unwrap().len() < 512 * 1024 {
        let call = echo.echo(EchoRequest { message: format!("call {calls}") });
        tokio::time::timeout(Duration::from_secs(10), call).await.expect("the server keeps answering").unwrap();
        calls += 1;
        assert!(calls < 20_000, "trace logging writes output");
    }

    let (first_pid, grpc) = (p.pid(), p.grpc_url.clone());
    p.restart().await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();
    assert_ne!(p.pid(), first_pid, "a new process");
    assert_eq!(p.grpc_url, grpc, "on the same port");
    let channel = testkit::grpc_channel(&grpc);
    let echoed = EchoServiceClient::new(channel).echo(EchoRequest { message: "again".into() }).await.unwrap();
    assert_eq!(echoed.into_inner().message, "again");
    let (out, _) = p.output();
    assert!(!out.is_empty() && (out.len() as u64) < std::fs::metadata(p.out_log()).unwrap().len(), "this run only");
    p.terminate().unwrap();
    assert_eq!(p.wait().await.unwrap().0, Some(0));
}
