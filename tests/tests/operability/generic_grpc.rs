//! gRPC for generic clients: each server, asked by a client that knows nothing about payops
//! (`deploy/tools/grpc_generic_client.py`, Python grpcio with its reflection client), lists
//! exactly the services it serves — the same list over reflection v1 and v1alpha — and every
//! method it lists answers an empty request with a real status: never UNIMPLEMENTED (a listed
//! service that is not there), UNKNOWN or INTERNAL (a handler that broke on empty input).
//!
//! The same client then calls every listed method (so a new method is covered without a new
//! test) with no credential, a wrong one and one without any permission (SE-01, SE-02): the
//! first two get UNAUTHENTICATED and the third PERMISSION_DENIED, on every method but the
//! hotline's public `Login`. The table printed is the one in the issue note: per method its
//! permission (`docs/permissions.md`) and what each kind of caller got.

use std::collections::BTreeMap;

use serde_json::Value;
use stack::platform::Service;

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

/// Method (`package.Service/Method`) → permission, from `docs/permissions.md`.
fn permission_table() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(tools::path("docs/permissions.md")).expect("docs/permissions.md");
    doc.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(|c| c.trim().trim_matches('`')).collect();
            (cells.len() == 4 && cells[1].starts_with("payops.")).then(|| (cells[1].to_owned(), cells[2].to_owned()))
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn op_02_se_01_se_02_a_generic_grpc_client_lists_each_servers_own_services_and_every_method_answers_each_caller_by_its_credential()
 {
    let (_env, _sandbox, mut platform) = tools::platform().await;
    let token = platform.tokens().platform.clone();

    let mut table = Vec::new();
    let mut wrong = Vec::new();
    for service in Service::ALL {
        let answer = tools::generic_client(&platform, service, Some(&token), &[]);
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

    // SE-01 / SE-02 over every method the servers list.
    let permissions = permission_table();
    let tokens = platform.tokens().clone();
    let callers: [(&str, Option<&str>, &str); 4] = [
        ("none", None, "UNAUTHENTICATED"),
        ("wrong", Some("wrong-token-0123456789abcdef"), "UNAUTHENTICATED"),
        ("outsider", Some(tokens.outsider.as_str()), "PERMISSION_DENIED"),
        ("elsewhere", Some(tokens.elsewhere.as_str()), ""),
    ];
    let mut results: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut leaks = Vec::new();
    for service in Service::ALL {
        for (label, token, want) in callers {
            let answer = tools::generic_client(&platform, service, token, &[]);
            let calls: BTreeMap<String, String> = serde_json::from_value(answer["calls"].clone()).expect("calls");
            for (method, status) in calls {
                if method.starts_with("/grpc.") {
                    continue;
                }
                let public = permissions.get(method.trim_start_matches('/')).map(String::as_str) == Some("public");
                if !want.is_empty() && !public && status != want {
                    leaks.push(format!("{method} as {label}: {status}, want {want}"));
                }
                results.entry(method).or_default().push(format!("{label}={status}"));
            }
        }
    }
    println!("| method | permission | none | wrong | outsider | elsewhere |");
    for (method, got) in &results {
        let permission = permissions.get(method.trim_start_matches('/')).cloned().unwrap_or_else(|| "?".into());
        let cells: Vec<&str> = got.iter().map(|g| g.split_once('=').map_or("", |(_, s)| s)).collect();
        println!("| `{method}` | `{permission}` | {} |", cells.join(" | "));
    }
    assert!(leaks.is_empty(), "calls that got past authentication or permission:\n{}", leaks.join("\n"));
    assert_eq!(
        results.len(),
        permissions.len() - permissions.keys().filter(|m| m.starts_with("payops.echo.")).count(),
        "every method of every server was called"
    );
    let unclean = platform.stop_all().await;
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM: {unclean:?}");
}
