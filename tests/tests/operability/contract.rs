//! What the deploy files promise about the services: ports, binaries, and the metrics the
//! dashboards and alerts may query that no running test instance exports (explicit lists, so
//! `op_12_every_metric_a_dashboard_or_alert_queries_is_exported_by_a_running_service` fails on
//! an entry whose metric it now scrapes).

/// One payops service as the deploy files describe it.
pub struct Svc {
    /// Service name (Kubernetes names, compose service, the `service` label).
    pub name: &'static str,
    /// gRPC port (GRPC_ADDR default).
    pub grpc: u16,
    /// Admin port (ADMIN_ADDR default): /livez, /readyz, /metrics.
    pub admin: u16,
    /// Further HTTP ports, by Kubernetes port name.
    pub extra: &'static [(&'static str, u16)],
}

impl Svc {
    /// Its binary.
    pub fn bin(&self) -> String {
        format!("payops-{}", self.name)
    }
}

/// The five services (ports from the common brief; notes/service-common.md).
pub const SERVICES: &[Svc] = &[
    Svc { name: "pixi-sync", grpc: 50051, admin: 9051, extra: &[("http", 8051)] },
    Svc { name: "terminal-gateway", grpc: 50052, admin: 9052, extra: &[] },
    Svc { name: "hotline-api", grpc: 50053, admin: 9053, extra: &[("web", 8053)] },
    Svc { name: "ticketing-bridge", grpc: 50054, admin: 9054, extra: &[] },
    Svc { name: "invoice-checks", grpc: 50055, admin: 9055, extra: &[] },
];

/// Labels Prometheus adds to every scraped series (ServiceMonitor targets, or the static
/// labels of deploy/prometheus/prometheus.yml).
pub const TARGET_LABELS: &[&str] = &["namespace", "service", "pod", "instance", "job", "container", "endpoint"];

/// A metric family someone other than a running test instance vouches for.
pub struct Vouched {
    /// Family name (histograms: without `_bucket`/`_sum`/`_count`).
    pub name: &'static str,
    /// Its label names (histograms: without `le`).
    pub labels: &'static [&'static str],
    /// True for a histogram.
    pub histogram: bool,
    /// Who exports it.
    pub exporter: &'static str,
}

const fn v(name: &'static str, labels: &'static [&'static str], histogram: bool, exporter: &'static str) -> Vouched {
    Vouched { name, labels, histogram, exporter }
}

/// Service metrics the dashboards use that the metrics test does not provoke (a code generated
/// at PGW, a forged PostFinance return, a reconciliation run, a second attention of one incident).
/// `exporter` is the crate that defines them: the test checks that its sources name the metric
/// and its labels, and fails once a running service exports it (then the entry must go).
pub const NOT_EXERCISED: &[Vouched] = &[
    v("payops_hotline_codes_generated_total", &[], false, "crates/hotline-api"),
    v("payops_invoice_checks_security_events_total", &["kind"], false, "crates/invoice-checks"),
    v("payops_pixi_sync_reconciliation_mismatches", &[], false, "crates/pixi-sync"),
    v("payops_ticket_notes_added_total", &[], false, "crates/ticketing-bridge"),
];

/// Metrics of other exporters: the NATS exporter (prometheus-nats-exporter -jsz=all) and
/// Prometheus itself.
pub const OTHER_EXPORTERS: &[Vouched] = &[
    v(
        "jetstream_consumer_num_pending",
        &["stream_name", "consumer_name", "account", "server_id"],
        false,
        "prometheus-nats-exporter",
    ),
    v(
        "jetstream_consumer_num_ack_pending",
        &["stream_name", "consumer_name", "account", "server_id"],
        false,
        "prometheus-nats-exporter",
    ),
    v(
        "jetstream_consumer_num_redelivered",
        &["stream_name", "consumer_name", "account", "server_id"],
        false,
        "prometheus-nats-exporter",
    ),
    v("up", &[], false, "Prometheus"),
];
