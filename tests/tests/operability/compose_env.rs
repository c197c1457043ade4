//! OP-01 / OP-10: the environment deploy/compose.yaml gives each service is one its
//! configuration accepts. Every service binary starts with exactly that environment — only the
//! compose network's host names are swapped for this test's Postgres database, NATS stream,
//! in-process sandbox and free local ports — and becomes ready.

use std::collections::BTreeMap;
use std::time::Duration;

use sandbox::{Sandbox, SandboxConfig, System};
use stack::{ServiceProcess, free_port};
use testkit::TestEnv;

use crate::contract::SERVICES;
use crate::tools;

/// The sandbox's compose ports, by system.
const SANDBOX_PORTS: &[(u16, System)] = &[
    (7001, System::Pixi),
    (7002, System::Unzer),
    (7003, System::Nets),
    (7004, System::Pgw),
    (7005, System::Smallinvoice),
    (7006, System::Freshdesk),
    (7007, System::Postfinance),
];

/// The compose environment of `service`, with its network names replaced.
pub(crate) fn localised(
    compose: &serde_json::Value,
    service: &str,
    env: &TestEnv,
    sandbox: &Sandbox,
    bridge_url: Option<&str>,
) -> Vec<(String, String)> {
    let vars = compose["services"][service]["environment"].as_object().unwrap();
    let mut out = Vec::new();
    for (k, v) in vars {
        let mut v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        match k.as_str() {
            // The process harness picks the ports; traces stay off (no collector here).
            "GRPC_ADDR" | "ADMIN_ADDR" | "OTEL_EXPORTER_OTLP_ENDPOINT" => continue,
            "DATABASE_URL" => v.clone_from(&env.database_url),
            "NATS_URL" => v.clone_from(&env.nats_url),
            "EVENTS_PREFIX" => v.clone_from(&env.prefix),
            "EVENTS_STREAM" => v.clone_from(&env.stream),
            "PUBLIC_ADDR" | "WEB_ADDR" | "CONSOLE_ADDR" => v = format!("127.0.0.1:{}", free_port().unwrap()),
            _ => {}
        }
        for (port, system) in SANDBOX_PORTS {
            v = v.replace(&format!("http://sandbox:{port}"), &sandbox.url(*system));
        }
        if let Some(url) = bridge_url {
            v = v.replace("http://ticketing-bridge:50054", url);
        }
        assert!(!v.contains("//sandbox:") && !v.contains("@postgres:") && !v.contains("//nats:"), "{service}: {k}={v}");
        out.push((k.clone(), v));
    }
    out
}

#[tokio::test]
async fn op_10_the_compose_environment_of_every_service_is_accepted_and_starts_it() {
    let compose = tools::yaml("deploy/compose.yaml");
    let env = TestEnv::new().await.unwrap();
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    let mut running: BTreeMap<&str, ServiceProcess> = BTreeMap::new();
    // ticketing-bridge first: hotline-api's TICKETING_URL points at it.
    let bridge_vars = localised(&compose, "ticketing-bridge", &env, &sandbox, None);
    let bridge = ServiceProcess::start("ticketing-bridge", "payops-ticketing-bridge", &bridge_vars).await.unwrap();
    let bridge_url = bridge.grpc_url.clone();
    running.insert("ticketing-bridge", bridge);
    for svc in SERVICES.iter().filter(|s| s.name != "ticketing-bridge") {
        let vars = localised(&compose, svc.name, &env, &sandbox, Some(&bridge_url));
        running.insert(svc.name, ServiceProcess::start(svc.name, &svc.bin(), &vars).await.unwrap());
    }
    for (name, p) in &mut running {
        p.wait_ready(Duration::from_secs(90))
            .await
            .unwrap_or_else(|e| panic!("{name} with the compose environment: {e}"));
    }
    for p in running.values() {
        p.terminate().unwrap();
    }
    for (name, p) in running {
        let (code, _, err) = p.wait().await.unwrap();
        assert_eq!(code, Some(0), "{name} stopped cleanly; stderr:\n{err}");
    }
}
