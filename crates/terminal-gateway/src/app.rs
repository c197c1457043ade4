//! Build, then run: `App::build` prepares the database, the bus, the Nets client, the engine
//! and both gRPC services; `run_until` drives the gRPC server, the relay, the supervisor and
//! the watch feed until the shutdown signal. Tests and the end-to-end harness build the very
//! same `App` (with `run_workers = false` they drive the relay and the supervisor themselves).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::platform::{PlatformError, Runtime};
use proto::payops::terminal_gateway::v1::terminal_payment_service_server::TerminalPaymentServiceServer;
use proto::payops::terminal_gateway::v1::terminal_service_server::TerminalServiceServer;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::grpc::{Payments, Terminals};
use crate::nets::NetsClient;
use crate::service::{Engine, EngineConfig};

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The platform could not be prepared.
    #[error(transparent)]
    Runtime(#[from] PlatformError),
    /// The HTTP client for Nets could not be built.
    #[error("Nets HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// A configuration value is bad.
    #[error(transparent)]
    Config(#[from] kit::config::ConfigError),
}

/// A built terminal-gateway instance.
pub struct App {
    /// The shared platform parts (pool, bus, outbox, …).
    pub platform: Runtime,
    /// The payment engine (tests drive `supervise_once` on it).
    pub engine: Engine,
    grpc: GrpcServer,
    /// Cancelled when the shutdown signal arrives, so watch streams end before the gRPC
    /// server drains in-flight calls.
    streams: CancellationToken,
    supervisor_interval: Duration,
    /// Whether `run_until` runs the relay and the supervisor (tests drive them step by step).
    pub run_workers: bool,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, BuildError> {
        let platform = Runtime::build(config.common.clone(), &MIGRATIONS, clock.clone()).await?;
        let nets = NetsClient::new(&config.nets_base_url, config.nets_timeouts, clock.clone())?;
        // The record lane: what a terminal answered is committed on connections of its own, so
        // under load an approval never waits behind new payments for a pooled connection.
        let record_pool = kit::db::connect_lazy(&kit::db::DbConfig {
            max_connections: config.record_connections,
            ..config.common.db.clone()
        })
        .map_err(PlatformError::from)?;
        let engine = Engine::new(
            platform.pool.clone(),
            record_pool,
            platform.outbox.clone(),
            clock,
            nets,
            config.sealer.clone(),
            EngineConfig {
                timeout: config.payment_timeout,
                grace: config.payment_grace,
                lease: config.lease,
                attention_after: config.attention_after_failures,
                instance_id: config.instance_id.clone(),
                cancel_wait: Duration::from_secs(5),
                lookup_delay: config.lookup_delay,
                hold_limit: config.hold_limit,
                supervisor_concurrency: config.supervisor_concurrency,
            },
            platform.faults.clone(),
            platform.shutdown.token().child_token(),
        );
        let streams = CancellationToken::new();
        let max = platform.config.max_request_bytes;
        let terminals = TerminalServiceServer::new(Terminals::new(engine.clone(), config.status_timeout))
            .max_decoding_message_size(max);
        let payments = TerminalPaymentServiceServer::new(Payments::new(engine.clone(), streams.clone()))
            .max_decoding_message_size(max);
        let grpc = platform.grpc(crate::grpc::permissions::TABLE).await?.add_service(terminals).add_service(payments);
        Ok(App { platform, engine, grpc, streams, supervisor_interval: config.supervisor_interval, run_workers: true })
    }

    /// The gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.platform.admin_addr()
    }

    /// Runs until `signal`, then shuts down gracefully: watch streams end, in-flight calls
    /// drain, purchase calls are let go and this replica's leases released, so another
    /// replica resumes tracking its waiting payments at once.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), PlatformError> {
        let mut platform = self.platform;
        platform.run_relay = self.run_workers;
        let token = platform.shutdown.token();
        if self.run_workers {
            platform.shutdown.spawn(crate::jobs::supervisor::run(
                self.engine.clone(),
                self.supervisor_interval,
                token.clone(),
            ));
        }
        let subject = format!("{}.{}.>", platform.bus.config().prefix, crate::bus::SOURCE);
        platform.shutdown.spawn(self.engine.hub().clone().listen(
            platform.bus.client().clone(),
            subject,
            token.clone(),
        ));
        let engine = self.engine.clone();
        platform.shutdown.spawn(async move {
            token.cancelled().await;
            engine.shutdown().await;
        });
        let streams = self.streams;
        platform
            .run_until(self.grpc, async move {
                signal.await;
                streams.cancel();
            })
            .await
    }
}
