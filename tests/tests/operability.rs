//! Operability (OP-01 … OP-21). Offline (OP-10 … OP-13): the container build (and, with buildah,
//! every production image built and its binary started in it as non-root), the compose
//! stack, the Kubernetes overlays (rendered with `kubectl kustomize`, every object validated
//! against the Kubernetes schemas by kubernetes-validate and the prometheus-operator CRD
//! schemas), the alert rules (`promtool check rules` and `promtool test rules`), and the
//! dashboards (every metric a panel or an alert queries is exported by the five services running
//! as processes, or is on an explicit list in `operability/contract.rs`). Against real service
//! processes: the OP-04 metric families, one trace per ticket across gRPC and NATS (OP-05),
//! configuration, health, admin port and logs (OP-01/02/03/06), and replicas (OP-20). Tools come
//! from deploy/tools/ops-tools.sh; Postgres and NATS from DATABASE_URL and NATS_URL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

#[path = "operability/compose_env.rs"]
mod compose_env;
#[path = "operability/contract.rs"]
mod contract;
#[path = "operability/deploy.rs"]
mod deploy;
#[path = "operability/exercise.rs"]
mod exercise;
#[path = "operability/exercise_pixi.rs"]
mod exercise_pixi;
#[path = "operability/fuzz.rs"]
mod fuzz;
#[path = "operability/generic_grpc.rs"]
mod generic_grpc;
#[path = "operability/http_fuzz.rs"]
mod http_fuzz;
#[path = "operability/image.rs"]
mod image;
#[path = "operability/k8s.rs"]
mod k8s;
#[path = "operability/k8s_env.rs"]
mod k8s_env;
#[path = "operability/monitoring.rs"]
mod monitoring;
#[path = "operability/promql.rs"]
mod promql;
#[path = "operability/replicas.rs"]
mod replicas;
#[path = "operability/runtime.rs"]
mod runtime;
#[path = "operability/scrape.rs"]
mod scrape;
#[path = "operability/secrets.rs"]
mod secrets;
#[path = "operability/supply_chain.rs"]
mod supply_chain;
#[path = "operability/tenants.rs"]
mod tenants;
#[path = "operability/tools.rs"]
mod tools;
#[path = "operability/traces.rs"]
mod traces;
