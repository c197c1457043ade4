//! gRPC for generic clients: each server, asked by a client that knows nothing about payops
//! (`deploy/tools/grpc_generic_client.py`, Python grpcio with its reflection client), lists
//! exactly the services it serves — the same list over reflection v1 and v1alpha — and every
//! method it lists answers an empty request with a real status: never UNIMPLEMENTED (a listed
//! service that is not there), UNKNOWN or INTERNAL (a handler that broke on empty input).

use std::collections::BTreeMap;
use std::process::Command;

use ::stack::platform::{Platform, PlatformConfig, SandboxEndpoints, Service};
use sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use testkit::TestEnv;

use crate::tools;

/// What each server serves besides health and reflection.
fn expected(service: Service) -> Vec<&'static str> {
    match service {
        Service::PixiSync => vec![
            "payops.pixi_sync.v1.ConsoleUserService",
            "payops.pixi_sync.v1.DashboardService",
            "payops.pixi_sync.v1.PaymentConfigService",
            "payops.pixi_sync.v1.TenantService",
        ],
        Service::TerminalGateway => {
            vec!["payops.terminal_gateway.v1.TerminalPaymentService", "payops.terminal_gateway.v1.TerminalService"]
        }
        Service::HotlineApi => {
            vec![
                "payops.hotline.v1.AgentService",
                "payops.hotline.v1.HotlineService",
                "payops.hotline.v1.TimelineService",
            ]
        }
        Service::TicketingBridge => vec!["payops.ticketing.v1.TicketingService"],
        Service::InvoiceChecks => {
            vec!["payops.invoice_checks.v1.ManualPaymentService", "payops.invoice_checks.v1.SwissBillingService"]
        }
    }
}

const ALWAYS: [&str; 3] =
    ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn op_02_a_generic_grpc_client_lists_each_servers_own_services_over_both_reflection_versions_and_every_method_answers()
 {
    let env = TestEnv::new().await.expect("test environment");
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.expect("sandbox");
    let config =
        PlatformConfig::new(SandboxEndpoints::of(&sandbox), &env.database_url, &env.nats_url, &env.prefix, &env.stream);
    let mut platform = Platform::start(config).await.expect("platform starts");
    let token = platform.tokens().platform.clone();
    let python = tools::grpc_python();
    let script = tools::path("deploy/tools/grpc_generic_client.py");

    let mut table = Vec::new();
    let mut wrong = Vec::new();
    for service in Service::ALL {
        let addr = platform.grpc_url(service).trim_start_matches("http://").to_owned();
        let out = tools::run(Command::new(&python).arg(&script).arg(&addr).arg(&token));
        let answer: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{service:?}: not JSON ({e}): {out}"));
        let mut want: Vec<String> = expected(service).iter().chain(ALWAYS.iter()).map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(strings(&answer["v1"]), want, "{service:?}: services listed over reflection v1");
        assert_eq!(strings(&answer["v1alpha"]), want, "{service:?}: services listed over reflection v1alpha");
        let calls: BTreeMap<String, String> = serde_json::from_value(answer["calls"].clone()).expect("calls");
        let own = calls.keys().filter(|m| expected(service).iter().any(|s| m.starts_with(&format!("/{s}/")))).count();
        assert!(own > 0, "{service:?}: no method of its own services was called: {calls:?}");
        for (method, status) in &calls {
            table.push(format!("{service:?} {method} {status}"));
            if ["UNIMPLEMENTED", "UNKNOWN", "INTERNAL", "SKIPPED_CLIENT_STREAMING"].contains(&status.as_str()) {
                wrong.push(format!("{method}: {status}"));
            }
        }
    }
    println!("{}", table.join("\n"));
    assert!(wrong.is_empty(), "methods a generic client cannot use:\n{}", wrong.join("\n"));
    let unclean = platform.stop_all().await;
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM: {unclean:?}");
}
