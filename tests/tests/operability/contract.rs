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
    Svc { name: "invoice-checks", grpc: 50055, admin: 9055, extra: &[("http", 8055)] },
];

/// Variables each service needs to start and to reach its partners and callers (each crate's
/// `src/config.rs`), beyond the kit's DATABASE_URL and NATS_URL: k8s/base and deploy/compose.yaml
/// set every one. `a|b` means either. Secrets (`true`) come from the service's Secret as `X_FILE`
/// on Kubernetes and never appear in its ConfigMap; k8s/README.md lists their keys.
pub const REQUIRED_ENV: &[(&str, &[(&str, bool)])] = &[
    (
        "pixi-sync",
        &[
            ("CALLERS", true),
            ("PIXI_SYNC_SECRET_KEY", true),
            ("PUBLIC_BASE_URL", false),
            ("UNZER_SANDBOX_BASE_URL", false),
            ("UNZER_PRODUCTION_BASE_URL", false),
        ],
    ),
    ("terminal-gateway", &[("CALLERS", true), ("CREDENTIALS_KEY", true), ("NETS_BASE_URL", false)]),
    (
        "hotline-api",
        &[
            ("CALLERS", true),
            ("PGW_BASE_URL", false),
            ("PGW_API_KEY", true),
            ("SMALLINVOICE_BASE_URL", false),
            ("SMALLINVOICE_CLIENT_ID", false),
            ("SMALLINVOICE_CLIENT_SECRET", true),
            ("TICKETING_URL", false),
            ("TICKETING_TOKEN", true),
        ],
    ),
    (
        "ticketing-bridge",
        &[
            ("CALLERS", true),
            ("FRESHDESK_DOMAIN|FRESHDESK_URL", false),
            ("FRESHDESK_API_KEY", true),
            ("FRESHDESK_GROUPS", false),
            ("ATTENTION_GROUP", false),
        ],
    ),
    ("invoice-checks", &[("CALLERS", true), ("SWISSBILLING_TENANTS", false)]),
];

/// Panics unless `have` (variable names) sets every required variable of `service`; on
/// Kubernetes (`k8s`) secrets must be `X_FILE` and `config` (the ConfigMap's names) must not hold them.
pub fn assert_required_env(service: &str, have: &[String], config: &[String], k8s: bool, origin: &str) {
    let (_, required) = REQUIRED_ENV.iter().find(|(s, _)| *s == service).unwrap_or_else(|| panic!("{service}"));
    for (names, secret) in *required {
        let set = names.split('|').any(|n| have.iter().any(|h| h == n || *h == format!("{n}_FILE")));
        assert!(set, "{origin}: {service} needs {names}");
        if *secret && k8s {
            assert!(
                have.iter().any(|h| *h == format!("{names}_FILE")),
                "{origin}: {service} reads {names} from a Secret file"
            );
            assert!(!config.iter().any(|c| c.starts_with(names)), "{origin}: {names} is a secret, not ConfigMap data");
        }
    }
}

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

/// Service metrics the dashboards use that the metrics test does not provoke (none at present:
/// it provokes every one). `exporter` is the crate that defines them: the test checks that its
/// sources name the metric and its labels, and fails once a running service exports it (then the
/// entry must go).
pub const NOT_EXERCISED: &[Vouched] = &[];

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
