//! The payops runtime kit: the plumbing every service stands on, and nothing else — no
//! business rule ever lives here.
//!
//! - [`config`]: typed configuration from the environment, secrets from `*_FILE`.
//! - [`contract`]: fail-closed reading of partner answers and the contract-violation metric.
//! - [`telemetry`], [`metrics`]: logs, traces (OTLP, W3C propagation), Prometheus metrics.
//! - [`db`]: the Postgres pool on the service's schema and migrations.
//! - [`bus`]: JetStream stream, transactional outbox + relay, idempotent consumer, dead letters.
//! - [`journal`]: the external-operation journal (intent → call → outcome, probe before retry).
//! - [`grpc`], [`http`], [`readiness`]: servers with health, reflection, limits, auth, shutdown.
//! - [`preflight`]: the read-only per-tenant partner check (CT-06) and its table.
//! - [`platform`]: build-then-run for a whole service instance; [`service`]: the binary's `main`.
//! - [`outbound`]: the one HTTP client for partner calls (spans, metrics, read retries).
//! - [`money`], [`id`], [`clock`], [`redact`]: exact money, validated ids, time, PII masking.
//! - [`seal`]: secrets at rest (XChaCha20-Poly1305, bound to their place).
//! - [`fault`], [`shutdown`]: fault points for crash tests; the one shutdown story.

pub mod bus;
pub mod clock;
pub mod config;
pub mod contract;
pub mod db;
pub mod fault;
pub mod grpc;
pub mod http;
pub mod id;
pub mod journal;
pub mod metrics;
pub mod money;
pub mod outbound;
pub mod platform;
pub mod preflight;
pub mod readiness;
pub mod redact;
pub mod seal;
pub mod service;
pub mod shutdown;
pub mod telemetry;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use id::{IdError, OrderId};
pub use money::{Currency, Money, MoneyError};
