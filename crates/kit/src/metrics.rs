//! Prometheus metrics (OP-04). One process-wide recorder renders the text format for the admin
//! port's `/metrics`. Names follow Prometheus conventions: base units, `_total` counters, no ids
//! in labels. gRPC uses the grpc-ecosystem family (`grpc_server_*`); everything else is
//! prefixed `payops_`. The names below are the contract the dashboards and alerts rely on.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// gRPC requests started, by `grpc_service`, `grpc_method`, `grpc_type`.
pub const GRPC_STARTED: &str = "grpc_server_started_total";
/// gRPC requests finished, by `grpc_service`, `grpc_method`, `grpc_code`.
pub const GRPC_HANDLED: &str = "grpc_server_handled_total";
/// gRPC handling latency histogram, by `grpc_service`, `grpc_method`.
pub const GRPC_SECONDS: &str = "grpc_server_handling_seconds";
/// Calls to external systems, by `system`, `operation`, `outcome`.
pub const EXTERNAL_REQUESTS: &str = "payops_external_requests_total";
/// External call latency histogram, by `system`, `operation`.
pub const EXTERNAL_SECONDS: &str = "payops_external_request_duration_seconds";
/// Partner answers that broke their contract (CT-05), by `system`, `operation`, `field`.
pub const CONTRACT_VIOLATIONS: &str = "payops_contract_violations_total";
/// Counter: a credentials file (`CALLERS_FILE`) that could not be read or parsed on reload.
pub const CREDENTIAL_RELOAD_FAILURES: &str = "payops_credential_reload_failures_total";
/// Counter: gRPC calls refused for a missing permission, by `grpc_service`, `permission`.
pub const GRPC_DENIED: &str = "payops_grpc_denied_total";
/// Events handled by a consumer, by `consumer`, `outcome` (done, duplicate, retry, dead_letter).
pub const CONSUMER_PROCESSED: &str = "payops_consumer_processed_total";
/// Redeliveries seen by a consumer, by `consumer`.
pub const CONSUMER_REDELIVERED: &str = "payops_consumer_redelivered_total";
/// Events a consumer sent to its dead-letter list, by `consumer`.
pub const CONSUMER_DEAD_LETTERED: &str = "payops_consumer_dead_lettered_total";
/// Messages waiting for a consumer (JetStream `num_pending`), by `consumer`.
pub const CONSUMER_LAG: &str = "payops_consumer_lag_messages";
/// Handler latency histogram, by `consumer`.
pub const CONSUMER_SECONDS: &str = "payops_consumer_handle_seconds";
/// Outbox rows not yet published, by `service`.
pub const OUTBOX_BACKLOG: &str = "payops_outbox_backlog";
/// Outbox rows published, by `service`.
pub const OUTBOX_PUBLISHED: &str = "payops_outbox_published_total";
/// Outbox publish failures, by `service`.
pub const OUTBOX_FAILURES: &str = "payops_outbox_publish_failures_total";
/// Journal entries whose outcome is unknown, by `service`.
pub const JOURNAL_UNRESOLVED: &str = "payops_journal_unresolved";
/// Journal operations, by `operation`, `outcome` (succeeded, failed, unknown, replayed).
pub const JOURNAL_OPERATIONS: &str = "payops_journal_operations_total";
/// Readiness of the service's dependencies, by `dependency` (database, bus): 1 up, 0 down.
pub const DEPENDENCY_UP: &str = "payops_dependency_up";
/// sqlx pool connections, by `state` (size, idle).
pub const DB_POOL_CONNECTIONS: &str = "payops_db_pool_connections";
/// Build information, value 1, by `service`, `version`.
pub const BUILD_INFO: &str = "payops_build_info";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (idempotent) and returns the handle that renders it.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    handle
                }
                // Another recorder is installed (a test harness); render an empty local one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Describes every kit metric (the `# HELP` lines), once per process.
pub fn describe() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
        describe_counter!(GRPC_STARTED, "gRPC calls started.");
        describe_counter!(GRPC_HANDLED, "gRPC calls finished, by status code.");
        describe_histogram!(GRPC_SECONDS, Unit::Seconds, "gRPC handling latency.");
        describe_counter!(EXTERNAL_REQUESTS, "Calls to external systems, by outcome.");
        describe_histogram!(EXTERNAL_SECONDS, Unit::Seconds, "Latency of calls to external systems.");
        describe_counter!(CONTRACT_VIOLATIONS, "Partner answers missing a needed field or carrying a wrong type.");
        describe_counter!(GRPC_DENIED, "gRPC calls refused because the caller lacks the method's permission.");
        describe_counter!(CREDENTIAL_RELOAD_FAILURES, "Credential files that could not be read or parsed on reload.");
        describe_counter!(CONSUMER_PROCESSED, "Events handled by a consumer, by outcome.");
        describe_counter!(CONSUMER_REDELIVERED, "Redeliveries seen by a consumer.");
        describe_counter!(CONSUMER_DEAD_LETTERED, "Events a consumer moved to its dead-letter list.");
        describe_gauge!(CONSUMER_LAG, "Messages waiting for a consumer (JetStream num_pending).");
        describe_histogram!(CONSUMER_SECONDS, Unit::Seconds, "Time to apply one event.");
        describe_gauge!(OUTBOX_BACKLOG, "Outbox rows not yet published.");
        describe_counter!(OUTBOX_PUBLISHED, "Outbox rows published to JetStream.");
        describe_counter!(OUTBOX_FAILURES, "Outbox publish attempts that failed.");
        describe_gauge!(JOURNAL_UNRESOLVED, "External operations whose outcome is not known yet.");
        describe_counter!(JOURNAL_OPERATIONS, "External operations performed through the journal, by outcome.");
        describe_gauge!(DEPENDENCY_UP, "Whether a dependency (database, bus) is usable: 1 up, 0 down.");
        describe_gauge!(DB_POOL_CONNECTIONS, "Database pool connections, by state and pool.");
        describe_gauge!(BUILD_INFO, "Build information; the value is always 1.");
    });
}

/// Publishes `payops_build_info{service, version} 1`.
pub fn build_info(service: &str) {
    metrics::gauge!(BUILD_INFO, "service" => service.to_owned(), "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Records one external call: its outcome and latency (OP-04 "per outgoing external call").
pub fn external_call(system: &'static str, operation: &'static str, outcome: &'static str, elapsed: Duration) {
    metrics::counter!(EXTERNAL_REQUESTS, "system" => system, "operation" => operation, "outcome" => outcome)
        .increment(1);
    metrics::histogram!(EXTERNAL_SECONDS, "system" => system, "operation" => operation).record(elapsed.as_secs_f64());
}

/// Publishes the size and idle connections of `pool`, named `name` (`main` for the service's
/// pool; a service with a pool of its own for one job names it, e.g. terminal-gateway's
/// `record`).
pub fn record_pool(pool: &sqlx::PgPool, name: &'static str) {
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "size", "pool" => name).set(f64::from(pool.size()));
    metrics::gauge!(DB_POOL_CONNECTIONS, "state" => "idle", "pool" => name).set(pool.num_idle() as f64);
}
