//! OP-12 / OP-13: alert rules (promtool check + unit tests, required alerts, runbooks) and the
//! Grafana dashboards as code (provisioning, stable uids, no ids, datasource variable).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::contract::SERVICES;
use crate::tools::{self, s};

/// The rule files.
pub fn rule_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(tools::path("deploy/prometheus/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// Every rule (alerting and recording) of every rule file.
pub fn rules() -> Vec<Value> {
    let mut out = Vec::new();
    for f in rule_files() {
        for doc in tools::yaml_docs(&f) {
            for g in doc["groups"].as_array().unwrap() {
                out.extend(g["rules"].as_array().unwrap().iter().cloned());
            }
        }
    }
    out
}

/// Every dashboard file and its JSON.
pub fn dashboards() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(tools::path("deploy/grafana/dashboards"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every panel, rows' nested panels included.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().unwrap() {
        out.push(p);
        out.extend(p["panels"].as_array().into_iter().flatten());
    }
    out
}

/// The runbook base the rule files carry (each overlay replaces it with its own
/// `RUNBOOK_BASE_URL`): an absolute URL on the reserved `.invalid` domain, so a link that was
/// never configured is recognisable as such.
pub const RUNBOOK_BASE: &str = "https://payops.invalid/deploy/prometheus/README.md";

fn runbook_base() -> &'static str {
    RUNBOOK_BASE
}

#[test]
fn op_13_runbook_links_are_absolute_and_built_from_each_overlays_one_base() {
    for overlay in ["dev", "prod"] {
        let k = tools::read(&format!("k8s/overlays/{overlay}/kustomization.yaml"));
        let base =
            k.lines().find_map(|l| l.trim().strip_prefix("- RUNBOOK_BASE_URL=")).expect("overlay base").to_owned();
        assert!(base.starts_with("https://") && base != RUNBOOK_BASE, "{overlay}: its own absolute base");
        let (_, docs) = tools::render(overlay);
        let rule = docs.iter().find(|d| d["kind"] == "PrometheusRule").expect("PrometheusRule");
        let mut n = 0;
        for g in rule["spec"]["groups"].as_array().unwrap() {
            for r in g["rules"].as_array().unwrap().iter().filter(|r| r.get("alert").is_some()) {
                let want = format!("{base}#{}", s(r, "/alert").to_ascii_lowercase());
                assert_eq!(s(r, "/annotations/runbook_url"), want, "{overlay}");
                n += 1;
            }
        }
        assert!(n > 10, "{overlay}: {n} alerts");
    }
}

#[test]
fn op_12_prometheus_rules_pass_promtool_check_and_unit_tests() {
    let promtool = tools::promtool();
    tools::run(Command::new(&promtool).args(["check", "rules"]).args(rule_files()));
    let tests_dir = tools::path("deploy/prometheus/tests");
    let mut tests: Vec<PathBuf> = std::fs::read_dir(&tests_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    tests.sort();
    let names: Vec<String> = tests.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.contains(&"slo_test.yml".to_owned()) && names.contains(&"alerts_test.yml".to_owned()), "{names:?}");
    // promtool resolves rule_files relative to the test file's directory.
    let out = tools::run(Command::new(&promtool).current_dir(&tests_dir).args(["test", "rules"]).args(&tests));
    assert!(!out.contains("FAILED"), "{out}");
    // Every alert is exercised by at least one unit test? Not all — but the burn-rate and
    // dead-letter alerts, which carry the trickiest PromQL, must be.
    let text: String = tests.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    for alert in [
        "PayopsGrpcErrorBudgetBurnFast",
        "PayopsGrpcErrorBudgetBurnSlow",
        "PayopsGrpcLatencyBudgetBurnFast",
        "PayopsDeadLetters",
    ] {
        assert!(text.contains(&format!("alertname: {alert}")), "a promtool unit test covers {alert}");
    }
}

#[test]
fn op_13_alerts_cover_every_required_symptom_with_severity_and_runbook() {
    let rules = rules();
    let alerts: Vec<&Value> = rules.iter().filter(|r| r.get("alert").is_some()).collect();
    let runbooks = tools::read("deploy/prometheus/README.md");
    let anchors: BTreeSet<String> =
        runbooks.lines().filter_map(|l| l.strip_prefix("### ")).map(|h| h.trim().to_ascii_lowercase()).collect();
    for a in &alerts {
        let name = s(a, "/alert");
        assert!(["page", "ticket"].contains(&s(a, "/labels/severity")), "{name}: severity page or ticket");
        assert!(!s(a, "/annotations/summary").is_empty() && !s(a, "/annotations/description").is_empty(), "{name}");
        let url = s(a, "/annotations/runbook_url");
        assert_eq!(url, format!("{}#{}", runbook_base(), name.to_ascii_lowercase()), "{name}: runbook link");
        assert!(
            anchors.contains(&name.to_ascii_lowercase()),
            "{name}: deploy/prometheus/README.md has a '### {name}' runbook"
        );
    }
    let by_name = |n: &str| *alerts.iter().find(|a| a["alert"] == n).unwrap_or_else(|| panic!("alert {n} exists"));
    // Multi-window burn rates (SRE Workbook): fast = 1h & 5m at 14.4x or 6h & 30m at 6x; slow =
    // 1d & 2h at 3x or 3d & 6h at 1x.
    for (sli, budget) in [("grpc_server_errors", "0.001"), ("grpc_server_slow", "0.01")] {
        let kind = if sli == "grpc_server_errors" { "Error" } else { "Latency" };
        let fast = s(by_name(&format!("PayopsGrpc{kind}BudgetBurnFast")), "/expr").to_owned();
        let slow = s(by_name(&format!("PayopsGrpc{kind}BudgetBurnSlow")), "/expr").to_owned();
        for (expr, windows) in [
            (&fast, [("1h", "14.4"), ("5m", "14.4"), ("6h", "6"), ("30m", "6")]),
            (&slow, [("1d", "3"), ("2h", "3"), ("3d", "1"), ("6h", "1")]),
        ] {
            for (w, factor) in windows {
                let term = format!("service:{sli}:ratio_rate{w} > ({factor} * {budget})");
                assert!(expr.contains(&term), "{kind} burn alert has `{term}`:\n{expr}");
            }
        }
        assert_eq!(s(by_name(&format!("PayopsGrpc{kind}BudgetBurnFast")), "/labels/severity"), "page");
        assert_eq!(s(by_name(&format!("PayopsGrpc{kind}BudgetBurnSlow")), "/labels/severity"), "ticket");
    }
    // The availability SLI counts only server-fault codes and leaves out probes.
    let sli = rules.iter().find(|r| r["record"] == "service:grpc_server_errors:ratio_rate5m").unwrap();
    let expr = s(sli, "/expr");
    assert!(expr.contains(r#"grpc_code=~"Unknown|DeadlineExceeded|Internal|Unavailable|DataLoss""#), "{expr}");
    assert!(expr.contains(r#"grpc_service!~"grpc\\..+""#), "{expr}");
    // OP-13's symptoms, each by the metric it watches.
    for (alert, metric) in [
        ("PayopsConsumerLagHigh", "payops_consumer_lag_messages"),
        ("PayopsConsumerStalled", "payops_consumer_processed_total"),
        ("PayopsJetStreamPendingHigh", "jetstream_consumer_num_pending"),
        ("PayopsOutboxBacklogHigh", "payops_outbox_backlog"),
        ("PayopsOutboxStuck", "payops_outbox_published_total"),
        ("PayopsDeadLetters", "payops_consumer_dead_lettered_total"),
        ("PayopsExternalErrorRateHigh", "payops_external_requests_total"),
        ("PayopsExternalSystemDown", "payops_external_requests_total"),
        ("PayopsTerminalTimeoutsHigh", "payops_terminal_payments_total"),
    ] {
        assert!(s(by_name(alert), "/expr").contains(metric), "{alert} watches {metric}");
    }
}

#[test]
fn op_12_dashboards_are_provisioned_as_code() {
    let boards = dashboards();
    let mut uids = BTreeSet::new();
    for (file, d) in &boards {
        let uid = s(d, "/uid");
        assert_eq!(format!("{uid}.json"), *file, "{file}: the file is named after its stable uid");
        assert!(uid.len() <= 40 && uid.starts_with("payops-"), "{file}: uid {uid}");
        assert!(uids.insert(uid.to_owned()), "{file}: unique uid");
        assert!(d.get("id").is_none_or(Value::is_null), "{file}: no id (Grafana assigns it)");
        assert!(!s(d, "/title").is_empty() && d["tags"].as_array().unwrap().contains(&Value::from("payops")), "{file}");
        let vars = d["templating"]["list"].as_array().unwrap();
        let ds =
            vars.iter().find(|v| v["name"] == "datasource").unwrap_or_else(|| panic!("{file}: datasource variable"));
        assert_eq!(ds["type"], "datasource");
        assert_eq!(ds["query"], "prometheus");
        for v in vars.iter().filter(|v| v["type"] == "query") {
            assert_eq!(
                s(v, "/datasource/uid"),
                "${datasource}",
                "{file}: variable {} uses the datasource variable",
                v["name"]
            );
        }
        let mut ids = BTreeSet::new();
        let panels = panels(d);
        assert!(panels.iter().filter(|p| p["type"] != "row").count() >= 4, "{file}: has panels");
        for p in panels {
            assert!(ids.insert(p["id"].as_u64().unwrap()), "{file}: panel ids are unique");
            if p["type"] == "row" {
                continue;
            }
            assert!(
                !s(p, "/title").is_empty() && !s(p, "/description").is_empty(),
                "{file}: panel {} is titled and described",
                p["id"]
            );
            assert_eq!(s(p, "/datasource/uid"), "${datasource}", "{file}: panel {}", p["title"]);
            let targets = p["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "{file}: panel {} queries something", p["title"]);
            for t in targets {
                assert_eq!(s(t, "/datasource/uid"), "${datasource}", "{file}: panel {}", p["title"]);
                assert!(!s(t, "/expr").is_empty(), "{file}: panel {}", p["title"]);
            }
        }
    }
    for r in ["payops-overview", "payops-money", "payops-external", "payops-service"] {
        assert!(uids.contains(r), "dashboard {r} exists");
    }
    // One service dashboard: its `service` variable offers every service, and each service's
    // domain panels sit in a row of their own.
    let (_, svc_board) = boards.iter().find(|(f, _)| f == "payops-service.json").unwrap();
    let var = svc_board["templating"]["list"].as_array().unwrap().iter().find(|v| v["name"] == "service").unwrap();
    let offered: BTreeSet<&str> =
        var["options"].as_array().unwrap().iter().filter_map(|o| o["value"].as_str()).collect();
    let rows: BTreeSet<&str> =
        svc_board["panels"].as_array().unwrap().iter().filter_map(|p| p["title"].as_str()).collect();
    for svc in SERVICES {
        assert!(offered.contains(svc.name), "the service variable offers {}", svc.name);
        assert!(rows.contains(format!("Domain: {}", svc.name).as_str()), "a domain row for {}", svc.name);
    }
    // File provisioning: the provider reads the folder compose mounts; the datasource is named.
    let provider = tools::yaml("deploy/grafana/provisioning/dashboards/payops.yaml");
    let path = s(&provider, "/providers/0/options/path").to_owned();
    let compose = tools::read("deploy/compose.yaml");
    assert!(compose.contains(&format!("./grafana/dashboards:{path}:ro")), "compose mounts the dashboards at {path}");
    let datasources = tools::yaml("deploy/grafana/provisioning/datasources/datasources.yaml");
    let prom = datasources["datasources"].as_array().unwrap().iter().find(|d| d["type"] == "prometheus").unwrap();
    assert_eq!(s(prom, "/url"), "http://prometheus:9090");
    assert_eq!(prom["isDefault"], true, "the datasource variable defaults to Prometheus");
}
