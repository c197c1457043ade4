//! OP-04 / OP-12 against the running services: the five services run as real processes wired
//! together (`stack::platform`), are exercised until their families exist (gRPC calls that succeed
//! and fail, calls to every partner, events through outbox, relay, JetStream and consumers, the
//! domain counters), and each one's /metrics is scraped. Every metric a dashboard panel, a
//! dashboard variable or a Prometheus rule queries must be exported by one of them — or be
//! vouched for by a list in contract.rs — with the labels the query uses.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sandbox::unzer::SeedOutcome;
use stack::platform::Service;

use crate::contract::{NOT_EXERCISED, OTHER_EXPORTERS, TARGET_LABELS, Vouched};
use crate::monitoring::{dashboards, panels, rules};
use crate::promql::{self, Query};
use crate::tools::{self, s};
use crate::{exercise, exercise_pixi};

/// Sample name → label names seen, from the Prometheus text format; plus the `le` values of
/// each histogram's buckets.
#[derive(Debug, Default)]
struct Exposition {
    labels: BTreeMap<String, BTreeSet<String>>,
    le: BTreeMap<String, BTreeSet<String>>,
}

fn parse_exposition(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let name = line[..name_end].to_owned();
        let labels = out.labels.entry(name.clone()).or_default();
        if line[name_end..].starts_with('{') {
            let mut rest = &line[name_end + 1..];
            while let Some(eq) = rest.find("=\"") {
                let label = rest[..eq].trim_start_matches([',', ' ']).to_owned();
                let value_start = eq + 2;
                let mut i = value_start;
                let bytes = rest.as_bytes();
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if label == "le" {
                    out.le.entry(name.clone()).or_default().insert(rest[value_start..i].to_owned());
                }
                labels.insert(label);
                rest = &rest[i + 1..];
                if rest.starts_with('}') {
                    break;
                }
            }
        }
    }
    out
}

async fn scrape(admin_url: &str) -> String {
    reqwest::get(format!("{admin_url}/metrics")).await.unwrap().text().await.unwrap()
}

/// The OP-04 families one service must export once exercised: (sample name, labels).
fn op_04_families(service: &str) -> Vec<(&'static str, &'static [&'static str])> {
    let mut f: Vec<(&'static str, &'static [&'static str])> = vec![
        ("grpc_server_started_total", &["grpc_service", "grpc_method"]),
        ("grpc_server_handled_total", &["grpc_service", "grpc_method", "grpc_code"]),
        ("grpc_server_handling_seconds_bucket", &["grpc_service", "grpc_method", "le"]),
        ("payops_external_requests_total", &["system", "operation", "outcome"]),
        ("payops_external_request_duration_seconds_bucket", &["system", "operation", "le"]),
        ("payops_outbox_backlog", &["service"]),
        ("payops_outbox_published_total", &["service"]),
        ("payops_dependency_up", &["dependency"]),
        ("payops_db_pool_connections", &["state"]),
    ];
    if CONSUMERS.contains(&service) {
        f.extend([
            ("payops_consumer_processed_total", &["consumer", "outcome"][..]),
            ("payops_consumer_redelivered_total", &["consumer"][..]),
            ("payops_consumer_dead_lettered_total", &["consumer"][..]),
            ("payops_consumer_lag_messages", &["consumer"][..]),
            ("payops_consumer_handle_seconds_bucket", &["consumer", "le"][..]),
        ]);
    }
    f.extend(DOMAIN.iter().filter(|(svc, _, _)| *svc == service).map(|(_, m, l)| (*m, *l)));
    f
}

/// Services with a JetStream consumer.
const CONSUMERS: &[&str] = &["hotline-api", "ticketing-bridge"];

/// The domain counters of OP-04 each service exports once exercised (orders captured, amount
/// captured per currency, terminal payments by outcome, tickets created, codes looked up).
const DOMAIN: &[(&str, &str, &[&str])] = &[
    ("pixi-sync", "payops_pixi_sync_orders_synced_total", &["outcome"]),
    ("pixi-sync", "payops_pixi_sync_actions_total", &["action", "outcome"]),
    ("pixi-sync", "payops_pixi_sync_money_moved_minor_total", &["kind", "currency"]),
    ("pixi-sync", "payops_pixi_sync_passes_total", &["outcome"]),
    ("terminal-gateway", "payops_terminal_payments_started_total", &[]),
    ("terminal-gateway", "payops_terminal_payments_total", &["state", "reason"]),
    ("terminal-gateway", "payops_terminal_payment_approved_minor_total", &["currency"]),
    ("terminal-gateway", "payops_terminal_payment_duration_seconds_bucket", &["state", "le"]),
    ("hotline-api", "payops_hotline_lookups_total", &["outcome"]),
    ("hotline-api", "payops_hotline_tickets_total", &["kind"]),
    ("ticketing-bridge", "payops_tickets_created_total", &["origin"]),
    ("ticketing-bridge", "payops_ticket_notes_added_total", &[]),
    ("hotline-api", "payops_hotline_codes_generated_total", &[]),
    ("invoice-checks", "payops_invoice_checks_security_events_total", &["kind"]),
    ("pixi-sync", "payops_pixi_sync_reconciliation_mismatches", &[]),
    ("invoice-checks", "payops_invoice_checks_manual_payment_transitions_total", &["to", "automatic"]),
    ("invoice-checks", "payops_invoice_checks_maintenance_total", &["operation", "outcome"]),
];

/// Starts the five services, exercises each, and returns each one's /metrics text once every
/// OP-04 family is there (or fails naming the missing ones). Every service must then exit 0 on
/// SIGTERM.
async fn exercised_metrics() -> BTreeMap<&'static str, String> {
    // A scheduled reconciliation soon after start (its gauge is on a dashboard).
    let (_env, _sandbox, mut p) =
        tools::platform_with(|c| c.with_env(Service::PixiSync, "RECONCILE_INTERVAL", "2s")).await;
    exercise::ticketing(&p).await;
    exercise::attention_twice(&p).await;
    exercise::hotline(&p).await;
    exercise::terminal(&p).await;
    exercise::invoice(&p).await;
    let key = exercise_pixi::pixi_tenant(&p).await;
    exercise_pixi::pixi_order(&p, &key, SeedOutcome::Authorized).await;
    // A refused payment: pixi-sync raises an attention event, ticketing-bridge opens its ticket.
    exercise_pixi::pixi_order(&p, &key, SeedOutcome::Failed).await;

    let mut out = BTreeMap::new();
    for service in Service::ALL {
        let name = service.package();
        let wanted = op_04_families(name);
        let started = Instant::now();
        let text = loop {
            let text = scrape(&p.urls(service).admin).await;
            let exp = parse_exposition(&text);
            let missing: Vec<&str> = wanted
                .iter()
                .filter(|(m, labels)| !exp.labels.get(*m).is_some_and(|have| labels.iter().all(|l| have.contains(*l))))
                .map(|(m, _)| *m)
                .collect();
            if missing.is_empty() {
                break text;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{name} did not export {missing:?} (with their labels) within 60 s:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        out.insert(name, text);
    }
    tools::stop_cleanly(&mut p).await;
    out
}

#[tokio::test]
async fn op_04_every_service_exports_red_per_method_external_calls_consumers_outbox_and_domain_counters() {
    let texts = exercised_metrics().await;
    assert_eq!(texts.len(), 5);
    for (name, text) in &texts {
        assert!(text.contains(r#"grpc_code="OK""#), "{name}: gRPC codes are named");
        for line in text.lines().filter(|l| l.starts_with("payops_outbox_backlog{")) {
            assert!(line.contains(&format!("service=\"{name}\"")), "{name}: the outbox is its own: {line}");
        }
    }
    for (name, system) in [
        ("pixi-sync", "pixi"),
        ("pixi-sync", "unzer"),
        ("terminal-gateway", "nets"),
        ("hotline-api", "pgw"),
        ("ticketing-bridge", "freshdesk"),
        ("invoice-checks", "postfinance"),
    ] {
        let want = format!("system=\"{system}\"");
        assert!(
            texts[name].lines().any(|l| l.starts_with("payops_external_requests_total{") && l.contains(&want)),
            "{name} counts its calls to {system}"
        );
    }
    assert!(
        texts["hotline-api"].contains(r#"grpc_code="InvalidArgument""#)
            || texts["ticketing-bridge"].contains(r#"grpc_code="InvalidArgument""#)
    );
    let captured = texts["pixi-sync"]
        .lines()
        .find(|l| l.starts_with("payops_pixi_sync_money_moved_minor_total{") && l.contains(r#"currency="EUR""#))
        .unwrap_or_else(|| panic!("pixi-sync counts captured money per currency:\n{}", texts["pixi-sync"]));
    assert!(captured.ends_with(" 6000"), "the captured 60.00 EUR: {captured}");
}

/// Every Rust source of a crate (`crates/<name>`), concatenated.
fn crate_sources(dir: &str) -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(&tools::path(dir).join("src"), &mut out);
    out
}

/// The family of a histogram sample name.
fn family(name: &str) -> &str {
    ["_bucket", "_sum", "_count"].iter().find_map(|suf| name.strip_suffix(suf)).unwrap_or(name)
}

fn vouched(metric: &str) -> Option<&'static Vouched> {
    NOT_EXERCISED
        .iter()
        .chain(OTHER_EXPORTERS)
        .find(|v| v.name == metric || (v.histogram && family(metric) == v.name && metric != v.name))
}

/// Every PromQL query of the dashboards and rules, with where it comes from.
fn all_queries() -> Vec<(String, Query)> {
    let mut out = Vec::new();
    for (file, d) in dashboards() {
        for p in panels(&d) {
            for t in p["targets"].as_array().into_iter().flatten() {
                out.push((format!("{file}: panel '{}'", s(p, "/title")), promql::parse(s(t, "/expr"))));
            }
        }
        for v in d["templating"]["list"].as_array().unwrap().iter().filter(|v| v["type"] == "query") {
            let (mut q, label) = promql::label_values(s(v, "/query/query")).expect("label_values(…) variable");
            q.grouping.insert(label);
            out.push((format!("{file}: variable {}", v["name"]), q));
        }
    }
    for r in rules() {
        let name = r.get("alert").or_else(|| r.get("record")).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        out.push((format!("rule {name}"), promql::parse(s(&r, "/expr"))));
    }
    out
}

#[tokio::test]
async fn op_12_every_metric_a_dashboard_or_alert_queries_is_exported_by_a_running_service() {
    let texts = exercised_metrics().await;
    let text: String = texts.values().map(String::as_str).collect::<Vec<_>>().join("\n");
    let exp = parse_exposition(&text);
    // OP-04 families with the labels the dashboards rely on.
    for (metric, labels) in [
        ("grpc_server_started_total", &["grpc_service", "grpc_method"][..]),
        ("grpc_server_handled_total", &["grpc_service", "grpc_method", "grpc_code"]),
        ("grpc_server_handling_seconds_bucket", &["grpc_service", "grpc_method", "le"]),
        ("payops_consumer_processed_total", &["consumer", "outcome"]),
        ("payops_consumer_dead_lettered_total", &["consumer"]),
        ("payops_consumer_lag_messages", &["consumer"]),
        ("payops_consumer_handle_seconds_bucket", &["consumer", "le"]),
        ("payops_outbox_backlog", &["service"]),
        ("payops_outbox_published_total", &["service"]),
        ("payops_dependency_up", &["dependency"]),
        ("payops_db_pool_connections", &["state"]),
    ] {
        let have = exp.labels.get(metric).unwrap_or_else(|| panic!("echo exports {metric}:\n{text}"));
        for l in labels {
            assert!(have.contains(*l), "{metric} has label {l}: {have:?}");
        }
    }
    assert!(text.contains(r#"grpc_code="InvalidArgument""#) && text.contains(r#"grpc_code="OK""#), "codes are named");
    assert!(
        exp.le.get("grpc_server_handling_seconds_bucket").is_some_and(|le| le.contains("0.5")),
        "the latency SLO reads the le=\"0.5\" bucket: {:?}",
        exp.le.get("grpc_server_handling_seconds_bucket")
    );

    // Everything the dashboards and rules query exists, with the labels they use.
    let recorded: BTreeSet<String> =
        rules().iter().filter_map(|r| r.get("record").and_then(|v| v.as_str()).map(str::to_owned)).collect();
    let mut problems = Vec::new();
    for (origin, q) in all_queries() {
        let mut allowed: BTreeSet<String> = TARGET_LABELS.iter().map(|l| (*l).to_owned()).collect();
        for sel in &q.selectors {
            assert!(!sel.metric.is_empty(), "{origin}: selectors name their metric");
            let labels: BTreeSet<String> = if let Some(l) = exp.labels.get(&sel.metric) {
                l.clone()
            } else if recorded.contains(&sel.metric) {
                BTreeSet::new()
            } else if let Some(v) = vouched(&sel.metric) {
                let mut l: BTreeSet<String> = v.labels.iter().map(|l| (*l).to_owned()).collect();
                if sel.metric.ends_with("_bucket") {
                    l.insert("le".into());
                }
                l
            } else {
                problems.push(format!(
                    "{origin}: {} is exported by no running service and vouched for by no list",
                    sel.metric
                ));
                continue;
            };
            for l in &sel.labels {
                if !labels.contains(l) && !TARGET_LABELS.contains(&l.as_str()) {
                    problems.push(format!("{origin}: {} has no label {l} (it has {labels:?})", sel.metric));
                }
            }
            allowed.extend(labels);
        }
        for g in &q.grouping {
            if !allowed.contains(g) {
                problems.push(format!("{origin}: groups or matches by {g}, which none of its metrics has"));
            }
        }
    }
    assert!(problems.is_empty(), "dashboard and rule queries:\n{}", problems.join("\n"));

    // The list tightens: an entry whose metric a running service now exports must go.
    for v in NOT_EXERCISED {
        let exported = exp.labels.keys().any(|m| m == v.name || family(m) == v.name);
        assert!(!exported, "{} is now exported by a running service: remove it from NOT_EXERCISED", v.name);
        // Its crate defines it, with the labels the list declares.
        let src = crate_sources(v.exporter);
        assert!(src.contains(&format!("\"{}\"", v.name)), "{} defines {}", v.exporter, v.name);
        for l in v.labels {
            assert!(src.contains(&format!("\"{l}\"")), "{} sets label {l} of {}", v.exporter, v.name);
        }
    }
    // The domain metrics are written down for dashboard authors.
    let readme = tools::read("deploy/grafana/README.md");
    let domain = DOMAIN.iter().map(|(_, m, _)| family(m)).chain(NOT_EXERCISED.iter().map(|v| v.name));
    for m in domain {
        assert!(readme.contains(&format!("`{m}`")), "deploy/grafana/README.md lists {m}");
    }

    // promtool's naming lint on each service's exposition. Metrics without # HELP lines are
    // tolerated; every other finding fails.
    for (name, text) in &texts {
        let mut child = Command::new(tools::promtool())
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // promtool stops reading at a parse error; its output then says why.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
        let out = child.wait_with_output().unwrap();
        let findings: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .filter(|l| !l.trim().is_empty() && !l.contains("no help text"))
            .map(str::to_owned)
            .collect();
        assert!(findings.is_empty(), "promtool check metrics on {name}:\n{}", findings.join("\n"));
    }
}

#[test]
fn op_12_exposition_parser_reads_names_labels_and_buckets() {
    let exp = parse_exposition(
        "# TYPE a counter\na_total{x=\"1\",y=\"q\\\"uote,}\"} 3\nb 1\nh_bucket{m=\"M\",le=\"0.5\"} 2\nh_bucket{m=\"M\",le=\"+Inf\"} 4\n",
    );
    assert_eq!(exp.labels["a_total"], BTreeSet::from(["x".to_owned(), "y".to_owned()]));
    assert!(exp.labels["b"].is_empty());
    assert_eq!(exp.le["h_bucket"], BTreeSet::from(["0.5".to_owned(), "+Inf".to_owned()]));
    assert_eq!(family("h_bucket"), "h");
}
