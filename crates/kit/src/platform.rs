//! What every service is built on, so the five start, run and stop alike:
//! [`Runtime::build`] opens the pool, migrates, connects the bus, ensures the event stream and
//! binds the admin port; [`Runtime::run_until`] runs the gRPC server, the outbox relay, the
//! readiness watcher and the service's own tasks until the shutdown signal, then stops in the
//! order Kubernetes expects: NOT_SERVING → drain delay → stop accepting and finish in-flight
//! calls and batches → drain NATS → close the pool.

use std::future::Future;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;

use crate::bus::{Bus, Outbox, Relay};
use crate::clock::SharedClock;
use crate::config::CommonConfig;
use crate::db;
use crate::fault::FaultPoints;
use crate::grpc::GrpcServer;
use crate::http::HttpServer;
use crate::journal::Journal;
use crate::readiness::Readiness;
use crate::shutdown::Shutdown;

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The database could not be prepared in time.
    #[error("database: {0}")]
    Db(#[from] db::DbError),
    /// The bus could not be prepared in time.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::BusError),
    /// A listener could not be bound.
    #[error("cannot bind {what}: {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Grpc(#[from] crate::grpc::ServeError),
}

/// The shared parts of one running service instance.
pub struct Runtime {
    /// The service's settings.
    pub config: CommonConfig,
    /// Pool on the service's schema.
    pub pool: PgPool,
    /// The NATS connection.
    pub bus: Bus,
    /// The clock (manual in tests).
    pub clock: SharedClock,
    /// Writes events in the caller's transaction.
    pub outbox: Outbox,
    /// The external-operation journal.
    pub journal: Journal,
    /// Database and bus readiness.
    pub readiness: Readiness,
    /// Stop signal and task tracker for every background task.
    pub shutdown: Shutdown,
    /// Fault points of this instance (armed only by tests).
    pub faults: FaultPoints,
    /// Whether `run_until` starts the outbox relay; tests turn it off to drive it step by step.
    pub run_relay: bool,
    admin: HttpServer,
}

impl Runtime {
    /// Prepares the database (migrations), the bus (stream) and the admin port. Waits up to
    /// 120 s for Postgres and NATS, retrying with backoff (a startupProbe covers this).
    pub async fn build(
        config: CommonConfig,
        migrations: &'static Migrator,
        clock: SharedClock,
    ) -> Result<Self, PlatformError> {
        let faults = FaultPoints::new();
        let pool = db::connect_lazy(&config.db)?;
        retry("migrations", || db::migrate(&pool, &config.db.schema, migrations)).await?;
        let bus = Bus::connect(&config.bus).await?;
        retry("event stream", || bus.ensure_stream()).await?;
        crate::metrics::install();
        crate::metrics::build_info(&config.service);
        let readiness = Readiness::new(Some(pool.clone()), Some(bus.clone()));
        readiness.refresh().await;
        let admin = HttpServer::admin(config.admin_addr, readiness.clone(), axum::Router::new())
            .await
            .map_err(|source| PlatformError::Bind { what: "ADMIN_ADDR", source })?;
        let outbox = Outbox::new(&config.service, &config.bus, clock.clone());
        let journal = Journal::new(pool.clone()).with_faults(faults.clone());
        Ok(Runtime {
            config,
            pool,
            bus,
            clock,
            outbox,
            journal,
            readiness,
            shutdown: Shutdown::new(),
            faults,
            run_relay: true,
            admin,
        })
    }

    /// Binds the gRPC listener at the configured address, with the configured callers
    /// (`CALLERS`) checked against the service's permission `table` (SE-01, SE-02).
    pub async fn grpc(&self, table: crate::grpc::PermissionTable) -> Result<GrpcServer, PlatformError> {
        let server = GrpcServer::bind(self.config.grpc_addr, self.config.max_request_bytes)
            .await
            .map_err(|source| PlatformError::Bind { what: "GRPC_ADDR", source })?;
        Ok(server.with_access(self.config.authenticator(), table))
    }

    /// The shared settings this runtime was built from.
    pub fn common(&self) -> &CommonConfig {
        &self.config
    }

    /// The admin port's address.
    pub fn admin_addr(&self) -> std::net::SocketAddr {
        self.admin.local_addr()
    }

    /// A relay for this service's outbox, sharing the instance's fault points.
    pub fn relay(&self) -> Relay {
        Relay::new(self.pool.clone(), self.bus.clone(), &self.config.service)
            .with_faults(self.faults.clone())
            .with_wake(self.outbox.waker())
    }

    /// Runs everything until `signal` resolves, then shuts down within the grace period.
    /// Service tasks spawned on [`Runtime::shutdown`] before this call are part of the drain.
    pub async fn run_until(self, grpc: GrpcServer, signal: impl Future<Output = ()>) -> Result<(), PlatformError> {
        let token = self.shutdown.token();
        let grpc_token = tokio_util::sync::CancellationToken::new();
        if self.run_relay {
            self.shutdown.spawn(self.relay().run_until(token.clone()));
        }
        self.shutdown.spawn(self.readiness.clone().run_until(Duration::from_secs(2), token.clone()));
        let admin_token = tokio_util::sync::CancellationToken::new();
        let admin = tokio::spawn(self.admin.serve(admin_token.clone()));
        let readiness = self.readiness.clone();
        let server = {
            let grpc_token = grpc_token.clone();
            tokio::spawn(async move { grpc.serve(&readiness, grpc_token).await })
        };
        tracing::info!(service = %self.config.service, "running");

        let mut server = server;
        let early_exit = tokio::select! {
            () = signal => None,
            r = &mut server => Some(r),
        };
        tracing::info!("shutting down: readiness off, draining");
        self.readiness.set_draining().await;
        grpc_token.cancel();
        // In-flight calls get the grace period, then the server is dropped.
        let grpc_result = match early_exit {
            Some(r) => r,
            None => match tokio::time::timeout(self.config.shutdown_grace, &mut server).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(grace = ?self.config.shutdown_grace, "gRPC calls still running at the end of the grace period");
                    server.abort();
                    Ok(Ok(()))
                }
            },
        };
        let drained = self.shutdown.finish(self.config.shutdown_grace).await;
        if !drained {
            tracing::warn!(grace = ?self.config.shutdown_grace, "background tasks still running at the end of the grace period");
        }
        admin_token.cancel();
        let _ = admin.await;
        self.bus.drain().await;
        self.pool.close().await;
        tracing::info!("stopped");
        match grpc_result {
            Ok(r) => r.map_err(PlatformError::from),
            Err(join) => {
                tracing::error!(error = %join, "gRPC server task failed");
                Ok(())
            }
        }
    }
}

/// Retries a start-up step with backoff for up to two minutes.
async fn retry<T, E, F, Fut>(what: &str, mut step: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        match step().await {
            Ok(v) => return Ok(v),
            Err(e) if started.elapsed() < Duration::from_secs(120) => {
                tracing::warn!(step = what, error = %e, retry_in = ?delay, "start-up step failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}
