//! Build, then run: `App::build` prepares the database, the stream, the gRPC server (tenant,
//! payment-configuration, dashboard and console-user services), the public HTTP port
//! (webhooks, error pages), the console's port and the worker; `run_until` runs them until the shutdown signal. Tests build the
//! very same `App` with `run_workers = false` and drive the worker with [`App::pass`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::http::HttpServer;
use kit::platform::{PlatformError, Runtime};
use proto::payops::pixi_sync::v1::console_user_service_server::ConsoleUserServiceServer;
use proto::payops::pixi_sync::v1::dashboard_service_server::DashboardServiceServer;
use proto::payops::pixi_sync::v1::payment_config_service_server::PaymentConfigServiceServer;
use proto::payops::pixi_sync::v1::tenant_service_server::TenantServiceServer;
use tokio::sync::Notify;

use crate::config::Config;
use crate::console::{Console, ConsoleServer};
use crate::grpc::{Api, ConsoleUsers, Dashboard, PaymentConfigs, Tenants};
use crate::mail::Mailer;
use crate::secrets::SecretBox;
use crate::service::{Inner, PassReport, Settings, Worker};
use crate::unzer::UnzerClient;

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The platform could not be prepared.
    #[error(transparent)]
    Runtime(#[from] PlatformError),
    /// A setting could not be used.
    #[error("{0}")]
    Setup(String),
}

/// A built pixi-sync instance.
pub struct App {
    /// The shared platform parts.
    pub platform: Runtime,
    /// The worker.
    pub worker: Worker,
    /// Whether `run_until` runs the worker and the relay (tests drive them step by step).
    pub run_workers: bool,
    grpc: GrpcServer,
    public: HttpServer,
    console: ConsoleServer,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, StartError> {
        let platform = Runtime::build(config.common.clone(), &MIGRATIONS, clock.clone()).await?;
        let secrets = SecretBox::from_key(&config.secret_key)
            .map_err(|e| StartError::Setup(format!("PIXI_SYNC_SECRET_KEY: {e}")))?;
        let pixi_http =
            kit::outbound::Outbound::new("pixi", &kit::outbound::OutboundConfig::with_timeout(config.pixi_timeout))
                .map_err(|e| StartError::Setup(format!("HTTP client: {e}")))?;
        let unzer_out =
            kit::outbound::Outbound::new("unzer", &kit::outbound::OutboundConfig::with_timeout(config.unzer_timeout))
                .map_err(|e| StartError::Setup(format!("HTTP client: {e}")))?;
        let unzer = UnzerClient::new(unzer_out, &config.unzer_sandbox_base_url, &config.unzer_production_base_url);
        let mailer = Mailer::new(config.smtp_timeout);
        let worker = Worker(Arc::new(Inner {
            pool: platform.pool.clone(),
            journal: platform.journal.clone(),
            outbox: platform.outbox.clone(),
            clock: clock.clone(),
            settings: Settings::from_config(&config),
            unzer: unzer.clone(),
            pixi_http: pixi_http.clone(),
            pixi_caps: crate::service::caps::CapsCache::default(),
            secrets: secrets.clone(),
            mailer: mailer.clone(),
            holder: format!("{}-{}", hostname(), uuid::Uuid::now_v7().simple()),
            wake: Notify::new(),
            triggers: crate::service::triggers::Triggers::default(),
            faults: platform.faults.clone(),
            pixi_calls: Arc::default(),
        }));
        let api = Api {
            pool: platform.pool.clone(),
            outbox: platform.outbox.clone(),
            clock: clock.clone(),
            secrets,
            unzer,
            pixi_http,
            mailer,
            quiet: config.quiet_window,
            public_base_url: config.public_base_url.clone(),
            worker: worker.clone(),
            console: crate::console::auth::Auth::new(platform.pool.clone(), clock.clone(), config.console.clone()),
        };
        let max = platform.config.max_request_bytes;
        let grpc = platform
            .grpc(crate::grpc::permissions::TABLE)
            .await?
            .add_service(TenantServiceServer::new(Tenants::new(api.clone())).max_decoding_message_size(max))
            .add_service(
                PaymentConfigServiceServer::new(PaymentConfigs::new(api.clone())).max_decoding_message_size(max),
            )
            .add_service(DashboardServiceServer::new(Dashboard::new(api.clone())).max_decoding_message_size(max))
            .add_service(ConsoleUserServiceServer::new(ConsoleUsers::new(api.clone())).max_decoding_message_size(max));
        api.console.bootstrap().await.map_err(|e| StartError::Setup(format!("CONSOLE_BOOTSTRAP_ADMIN: {e}")))?;
        let console = ConsoleServer::bind(config.console.addr, Arc::new(Console::new(api.clone())))
            .await
            .map_err(|source| PlatformError::Bind { what: "CONSOLE_ADDR", source })?;
        let public = HttpServer::bind(config.public_addr, crate::web::router(api))
            .await
            .map_err(|source| PlatformError::Bind { what: "PUBLIC_ADDR", source })?;
        Ok(App { platform, worker, run_workers: true, grpc, public, console })
    }

    /// The gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.platform.admin_addr()
    }

    /// The public HTTP address (webhooks, error pages).
    pub fn public_addr(&self) -> SocketAddr {
        self.public.local_addr()
    }

    /// The console's address.
    pub fn console_addr(&self) -> SocketAddr {
        self.console.local_addr()
    }

    /// One worker pass (tests).
    pub async fn pass(&self) -> PassReport {
        self.worker.pass().await
    }

    /// Runs until `signal`, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), PlatformError> {
        let mut platform = self.platform;
        platform.run_relay = self.run_workers;
        let token = platform.shutdown.token();
        let public_token = tokio_util::sync::CancellationToken::new();
        {
            let t = public_token.clone();
            let public = self.public;
            platform.shutdown.spawn(async move {
                if let Err(e) = public.serve(t).await {
                    tracing::error!(error = %e, "public HTTP server failed");
                }
            });
        }
        {
            let t = public_token.clone();
            let console = self.console;
            platform.shutdown.spawn(console.serve(t));
        }
        {
            let token = token.clone();
            platform.shutdown.spawn(async move {
                token.cancelled().await;
                public_token.cancel();
            });
        }
        if self.run_workers {
            platform.shutdown.spawn(crate::jobs::worker::run(self.worker.clone(), token));
        }
        platform.run_until(self.grpc, signal).await
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "pixi-sync".to_owned())
}
