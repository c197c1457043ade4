//! Build, then run: `App::build` prepares the platform (database, stream, admin port), the
//! PostFinance client, both gRPC services and the public HTTP port (PostFinance's post-sale
//! requests); `run_until` drives the gRPC server, the public port, the outbox relay and the
//! workers until the shutdown signal. Tests build the very same `App` with `run_workers =
//! false` and drive the passes (`expire_once`, `resolve_once`, `refresh_once`,
//! `discover_once`) themselves.

use std::future::Future;
use std::net::SocketAddr;

use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::http::HttpServer;
use kit::platform::{PlatformError, Runtime};
use proto::payops::invoice_checks::v1::manual_payment_service_server::ManualPaymentServiceServer;
use proto::payops::invoice_checks::v1::swiss_billing_service_server::SwissBillingServiceServer;

use crate::config::Config;
use crate::grpc::Access;
use crate::grpc::manual::ManualPaymentApi;
use crate::grpc::swissbilling::SwissBillingApi;
use crate::jobs;
use crate::postfinance::PostFinance;
use crate::service::manual::ManualPayments;
use crate::service::swissbilling::{SwissBilling, Timing};

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The platform could not be prepared.
    #[error(transparent)]
    Runtime(#[from] PlatformError),
    /// The HTTP client could not be built.
    #[error("PostFinance client: {0}")]
    Client(#[from] reqwest::Error),
}

/// A built invoice-checks instance.
pub struct App {
    /// Shared platform parts (pool, bus, outbox, journal, faults …).
    pub platform: Runtime,
    /// SwissBilling use cases (tests drive its passes).
    pub swissbilling: SwissBilling,
    /// Manual-payment use cases (tests drive the deadline job).
    pub manual: ManualPayments,
    /// Whether `run_until` runs the relay and the workers (tests drive them step by step).
    pub run_workers: bool,
    grpc: GrpcServer,
    public: HttpServer,
    config: Config,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, StartError> {
        let platform = Runtime::build(config.common.clone(), &MIGRATIONS, clock.clone()).await?;
        let client = PostFinance::new(config.postfinance.clone())?;
        let swissbilling = SwissBilling::new(
            platform.pool.clone(),
            platform.outbox.clone(),
            platform.journal.clone(),
            client,
            config.tenants.clone(),
            clock.clone(),
            Timing {
                resolve_after: config.resolve_after,
                escalate_after: config.escalate_after,
                discover_after: config.discover_after,
                discover_for: config.discover_for,
            },
        );
        let manual = ManualPayments::new(platform.pool.clone(), platform.outbox.clone(), clock.clone(), config.zone);
        let access = Access::new(platform.pool.clone(), clock);
        let limit = platform.config.max_request_bytes;
        let grpc = platform
            .grpc(crate::grpc::permissions::TABLE)
            .await?
            .add_service(
                SwissBillingServiceServer::new(SwissBillingApi::new(swissbilling.clone()))
                    .max_decoding_message_size(limit),
            )
            .add_service(
                ManualPaymentServiceServer::new(ManualPaymentApi::new(manual.clone(), access.clone()))
                    .max_decoding_message_size(limit),
            )
            .with_denials(std::sync::Arc::new(access));
        let public = HttpServer::bind(config.public_addr, crate::web::router(swissbilling.clone()))
            .await
            .map_err(|source| PlatformError::Bind { what: "PUBLIC_ADDR", source })?;
        Ok(App { platform, swissbilling, manual, run_workers: true, grpc, public, config })
    }

    /// The public HTTP address (post-sale requests).
    pub fn public_addr(&self) -> SocketAddr {
        self.public.local_addr()
    }

    /// The gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.platform.admin_addr()
    }

    /// Runs until `signal`, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), PlatformError> {
        let mut platform = self.platform;
        platform.run_relay = self.run_workers;
        // The public port stops with the rest (its token follows the platform's).
        let public_token = tokio_util::sync::CancellationToken::new();
        {
            let (t, public) = (public_token.clone(), self.public);
            platform.shutdown.spawn(async move {
                if let Err(e) = public.serve(t).await {
                    tracing::error!(error = %e, "public HTTP server failed");
                }
            });
            let token = platform.shutdown.token();
            platform.shutdown.spawn(async move {
                token.cancelled().await;
                public_token.cancel();
            });
        }
        if self.run_workers {
            let token = platform.shutdown.token();
            let clock = platform.clock.clone();
            let (mp, sb, c) = (self.manual.clone(), self.swissbilling.clone(), &self.config);
            platform.shutdown.spawn(jobs::every(
                "manual-expiry",
                c.expiry_every,
                clock.clone(),
                token.clone(),
                move || {
                    let mp = mp.clone();
                    async move { mp.expire_once().await }
                },
            ));
            let resolver = sb.clone();
            platform.shutdown.spawn(jobs::every(
                "swissbilling-resolver",
                c.resolve_every,
                clock.clone(),
                token.clone(),
                move || {
                    let sb = resolver.clone();
                    async move { sb.resolve_once().await }
                },
            ));
            let discovery = sb.clone();
            platform.shutdown.spawn(jobs::every(
                "swissbilling-discovery",
                c.resolve_every,
                clock.clone(),
                token.clone(),
                move || {
                    let sb = discovery.clone();
                    async move { sb.discover_once().await }
                },
            ));
            platform.shutdown.spawn(jobs::every("swissbilling-refresh", c.refresh_every, clock, token, move || {
                let sb = sb.clone();
                async move { sb.refresh_once().await }
            }));
        }
        platform.run_until(self.grpc, signal).await
    }
}
