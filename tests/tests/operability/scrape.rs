//! OP-04 / OP-12 against a running service: the echo skeleton runs as a real process (it exports
//! the kit's metrics exactly as every service does), is exercised until the kit's families exist
//! (gRPC calls that succeed and fail, an event through outbox, relay, JetStream and the
//! consumer, a poison message into the dead-letter list), and its /metrics is scraped. Every
//! metric a dashboard panel, a dashboard variable or a Prometheus rule queries must be there —
//! or be vouched for by a list in contract.rs — with the labels the query uses.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proto::payops::echo::v1::echo_service_client::EchoServiceClient;
use proto::payops::echo::v1::{EchoRequest, RecordNoteRequest};
use testkit::TestEnv;
use tests::process::ServiceProcess;

use crate::contract::{KIT_NOT_EXERCISED_BY_ECHO, OTHER_EXPORTERS, PENDING_DOMAIN_METRICS, TARGET_LABELS, Vouched};
use crate::monitoring::{dashboards, panels, rules};
use crate::promql::{self, Query};
use crate::tools::{self, s};

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

/// Runs echo, exercises it, and returns its /metrics text.
async fn exercised_echo_metrics() -> String {
    let env = TestEnv::new().await.unwrap();
    let vars: Vec<(String, String)> = [
        ("DATABASE_URL", env.database_url.as_str()),
        ("NATS_URL", env.nats_url.as_str()),
        ("EVENTS_PREFIX", env.prefix.as_str()),
        ("EVENTS_STREAM", env.stream.as_str()),
        ("SHUTDOWN_GRACE", "10s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut p = ServiceProcess::start("echo", "payops-echo", &vars).await.unwrap();
    p.wait_ready(Duration::from_secs(60)).await.unwrap();
    let channel = tonic::transport::Endpoint::from_shared(p.grpc_url.clone()).unwrap().connect().await.unwrap();
    let mut client = EchoServiceClient::new(channel);
    for _ in 0..3 {
        client.echo(EchoRequest { message: "hi".into() }).await.unwrap();
    }
    let refused =
        client.record_note(RecordNoteRequest { order_id: "bad id!".into(), text: String::new() }).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    client.record_note(RecordNoteRequest { order_id: "ops-1".into(), text: "note".into() }).await.unwrap();
    // A poison message: not an event envelope, so the consumer dead-letters it at once.
    let nats = async_nats::connect(env.nats_url.as_str()).await.unwrap();
    let js = async_nats::jetstream::new(nats);
    js.publish(format!("{}.echo.ops-2.note_recorded", env.prefix), "not an envelope".into())
        .await
        .unwrap()
        .await
        .unwrap();

    let wanted = [
        "payops_consumer_dead_lettered_total{",
        "payops_consumer_processed_total{",
        "payops_outbox_published_total{",
        "payops_consumer_lag_messages{",
        "payops_outbox_backlog{",
    ];
    let started = Instant::now();
    let text = loop {
        let text = scrape(&p.admin_url).await;
        if wanted.iter().all(|w| text.contains(w)) {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "echo did not export {wanted:?} within 60 s:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    p.terminate().unwrap();
    let (code, out, _) = p.wait().await.unwrap();
    assert_eq!(code, Some(0), "echo stopped cleanly:\n{out}");
    text
}

/// The family of a histogram sample name.
fn family(name: &str) -> &str {
    ["_bucket", "_sum", "_count"].iter().find_map(|suf| name.strip_suffix(suf)).unwrap_or(name)
}

fn vouched(metric: &str) -> Option<&'static Vouched> {
    KIT_NOT_EXERCISED_BY_ECHO
        .iter()
        .chain(PENDING_DOMAIN_METRICS)
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
    let text = exercised_echo_metrics().await;
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

    // The lists tighten: an entry whose metric a running instance now exports must go.
    for v in KIT_NOT_EXERCISED_BY_ECHO.iter().chain(PENDING_DOMAIN_METRICS) {
        let exported = exp.labels.keys().any(|m| m == v.name || family(m) == v.name);
        assert!(
            !exported,
            "{} ({}) is now exported by a running service: remove it from its list in contract.rs",
            v.name, v.exporter
        );
    }
    // Kit metrics echo cannot produce are the kit's own names, with the labels the kit documents.
    let kit = tools::read("crates/kit/src/metrics.rs");
    for v in KIT_NOT_EXERCISED_BY_ECHO {
        let at = kit
            .find(&format!("= \"{}\";", v.name))
            .unwrap_or_else(|| panic!("crates/kit/src/metrics.rs defines {}", v.name));
        let doc = kit[..at].lines().rev().nth(1).unwrap_or_default();
        for l in v.labels {
            assert!(doc.contains(&format!("`{l}`")), "the kit documents label {l} of {}: {doc}", v.name);
        }
    }
    // The domain-metric contract is written down for the service engineers.
    let readme = tools::read("deploy/grafana/README.md");
    for v in PENDING_DOMAIN_METRICS {
        assert!(readme.contains(&format!("`{}`", v.name)), "deploy/grafana/README.md lists {}", v.name);
        for l in v.labels {
            assert!(readme.contains(&format!("`{l}`")), "deploy/grafana/README.md names label {l} of {}", v.name);
        }
    }

    // promtool's naming lint on what the kit exports. The kit does not describe its metrics yet
    // (no # HELP lines); every other finding fails.
    let mut child = Command::new(tools::promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let findings: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter(|l| !l.trim().is_empty() && !l.contains("no help text"))
        .map(str::to_owned)
        .collect();
    assert!(findings.is_empty(), "promtool check metrics:\n{}", findings.join("\n"));
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
