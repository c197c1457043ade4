//! What the deploy files promise about the services: ports, binaries, and the metrics the
//! dashboards and alerts may query. The lists of things that have not landed yet are explicit,
//! so the tests tighten as the services land: the lead removes an entry once its exporter runs
//! in `op_12_every_metric_a_dashboard_or_alert_queries_is_exported_by_a_running_service` (that
//! test fails on an entry whose metric it now scrapes).

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

/// Binaries the deploy files name whose crate may not have landed yet. A listed binary that
/// exists is fine (the lead removes the entry); an unlisted one that does not exist fails.
pub const PENDING_BINARIES: &[&str] = &[
    "payops-pixi-sync",
    "payops-terminal-gateway",
    "payops-hotline-api",
    "payops-ticketing-bridge",
    "payops-invoice-checks",
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

/// Kit metrics (crates/kit/src/metrics.rs) that the echo test instance cannot produce: it calls
/// no partner and never sees a redelivery. The test checks each against the kit's constants and
/// the labels their doc comments declare.
pub const KIT_NOT_EXERCISED_BY_ECHO: &[Vouched] = &[
    v("payops_external_requests_total", &["system", "operation", "outcome"], false, "kit::metrics::external_call"),
    v("payops_external_request_duration_seconds", &["system", "operation"], true, "kit::metrics::external_call"),
    v("payops_journal_unresolved", &["service"], false, "kit::journal::Resolver"),
    v("payops_journal_operations_total", &["operation", "outcome"], false, "kit::journal::Journal"),
];

/// Domain metrics the dashboards and alerts use, whose exporters have not landed (or are not
/// yet run by the metrics test). deploy/grafana/README.md lists the same contract for the
/// service engineers.
pub const PENDING_DOMAIN_METRICS: &[Vouched] = &[
    v("payops_payments_captured_total", &["currency", "method"], false, "pixi-sync, invoice-checks, terminal-gateway"),
    v(
        "payops_payments_captured_amount_minor_total",
        &["currency", "method"],
        false,
        "pixi-sync, invoice-checks, terminal-gateway",
    ),
    v("payops_payments_refunded_total", &["currency", "method"], false, "pixi-sync, invoice-checks"),
    v("payops_payments_refunded_amount_minor_total", &["currency", "method"], false, "pixi-sync, invoice-checks"),
    v("payops_pixi_orders_processed_total", &["process", "outcome"], false, "pixi-sync"),
    v("payops_pixi_problem_orders", &["kind"], false, "pixi-sync"),
    v("payops_reconciliation_mismatches", &[], false, "pixi-sync"),
    v("payops_terminal_payments_total", &["state", "reason"], false, "terminal-gateway"),
    v("payops_terminal_payment_duration_seconds", &["state"], true, "terminal-gateway"),
    v("payops_terminal_payment_approved_minor_total", &["currency"], false, "terminal-gateway"),
    v("payops_terminal_payments_waiting", &[], false, "terminal-gateway"),
    v("payops_terminals", &["status"], false, "terminal-gateway"),
    v("payops_hotline_codes_generated_total", &[], false, "hotline-api"),
    v("payops_hotline_tickets_total", &["kind"], false, "hotline-api"),
    v("payops_code_lookups_total", &["result"], false, "hotline-api"),
    v("payops_hotline_logins_total", &["outcome"], false, "hotline-api"),
    v("payops_tickets_created_total", &["source"], false, "ticketing-bridge"),
    v("payops_ticket_notes_added_total", &[], false, "ticketing-bridge"),
    v("payops_invoice_prechecks_total", &["outcome"], false, "invoice-checks"),
    v("payops_signature_failures_total", &["check"], false, "invoice-checks"),
    v("payops_manual_payments", &["state"], false, "invoice-checks"),
    v("payops_manual_payment_transitions_total", &["to"], false, "invoice-checks"),
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
