//! The echo skeleton: the smallest real payops service. It owns nothing of the business; it
//! proves the platform plumbing end to end (config, telemetry, gRPC with health and
//! reflection, Postgres with migrations, outbox → JetStream → idempotent consumer, graceful
//! shutdown) and serves as the gRPC ceiling (`Echo` does no I/O) in benchmarks. Every service
//! has the same rooms, so a reader who knows this one knows all five.

pub mod app;
pub mod bus;
pub mod config;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod store;
