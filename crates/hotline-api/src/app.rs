//! Build, then run: `App::build` binds the gRPC, web and admin ports, migrates, prepares the
//! timeline consumer and the partner clients; `run_until` drives the servers, the relay, the
//! consumer and the maintenance loop (resolver, settling generations, pruning) until the
//! shutdown signal. Tests and the end-to-end harness build the very same `App`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use kit::bus::Consumer;
use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::journal::Resolver;
use kit::platform::{PlatformError, Runtime};
use proto::payops::hotline::v1::agent_service_server::AgentServiceServer;
use proto::payops::hotline::v1::hotline_service_server::HotlineServiceServer;
use proto::payops::hotline::v1::timeline_service_server::TimelineServiceServer;

use crate::bus::{TimelineProjector, timeline_consumer};
use crate::config::Config;
use crate::grpc::{Agents, HotlineApi, Timeline};
use crate::pgw::PgwClient;
use crate::service::auth::Auth;
use crate::service::{Hotline, Settings, codes};
use crate::smallinvoice::SmallinvoiceClient;
use crate::ticketing::TicketingClient;
use crate::web::WebServer;

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The platform could not be prepared.
    #[error(transparent)]
    Runtime(#[from] PlatformError),
    /// A setting is unusable.
    #[error(transparent)]
    Config(#[from] kit::config::ConfigError),
    /// An HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The ticketing client could not be built.
    #[error("TICKETING_URL: {0}")]
    Ticketing(#[from] kit::grpc::client::ClientError),
    /// The web port could not be bound.
    #[error("cannot bind WEB_ADDR: {0}")]
    Bind(std::io::Error),
    /// The first admin could not be created.
    #[error("BOOTSTRAP_ADMIN: {0}")]
    Bootstrap(crate::error::Error),
}

/// A built hotline-api instance.
pub struct App {
    /// The shared platform parts (pool, bus, outbox, …).
    pub platform: Runtime,
    /// The use cases (tests call them directly too).
    pub hotline: Arc<Hotline>,
    /// The timeline consumer (tests take it out to drive it with `drain`).
    pub consumer: Option<Consumer<TimelineProjector>>,
    /// Whether `run_until` runs the relay, the consumer and the maintenance loop.
    pub run_workers: bool,
    resolver: Resolver,
    grpc: GrpcServer,
    web: WebServer,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, BuildError> {
        let platform = Runtime::build(config.common.clone(), &MIGRATIONS, clock.clone()).await?;
        let pgw = PgwClient::new(&config.pgw)?;
        let smallinvoice = Arc::new(SmallinvoiceClient::new(&config.smallinvoice, clock.clone())?);
        let ticketing = TicketingClient::new(&config.ticketing_url, config.ticketing_token.as_ref())?;
        let auth =
            Auth::new(platform.pool.clone(), clock.clone(), config.security.clone(), config.common.callers.clone());
        let settings = Settings {
            hotline_email: config.hotline_email.clone(),
            timezone: config.timezone,
            pixi_sync_dashboard_url: config.pixi_sync_dashboard_url.clone(),
            pixi_sync_errors_url: config.pixi_sync_errors_url.clone(),
            lookup_retention: config.lookup_retention,
            generation_grace: config.pgw.generation_grace,
            preflight_target: config.preflight_target(),
            problem_types: crate::domain::b2b::offered(&config.problem_types),
        };
        let hotline = Arc::new(Hotline {
            pool: platform.pool.clone(),
            clock,
            outbox: platform.outbox.clone(),
            journal: platform.journal.clone(),
            pgw: pgw.clone(),
            smallinvoice,
            ticketing,
            auth,
            settings,
            timeline: Arc::new(crate::service::timeline_view::TimelineView::new(
                config.timeline_memory_orders,
                crate::service::timeline::MAX_EVENTS,
            )),
        });
        if let Some((name, password)) = &config.bootstrap_admin
            && hotline.auth.bootstrap_admin(name, password).await.map_err(BuildError::Bootstrap)?
        {
            tracing::info!(user = %name, "first admin created");
        }
        let consumer = timeline_consumer(&platform.bus, platform.pool.clone()).await.map_err(PlatformError::from)?;
        let limit = platform.config.max_request_bytes;
        let mut grpc = platform
            .grpc(crate::grpc::permissions::TABLE)
            .await?
            .add_service(AgentServiceServer::new(Agents::new(hotline.clone())).max_decoding_message_size(limit))
            .add_service(HotlineServiceServer::new(HotlineApi::new(hotline.clone())).max_decoding_message_size(limit))
            .add_service(TimelineServiceServer::new(Timeline::new(hotline.clone())).max_decoding_message_size(limit));
        if config.common.callers.is_some() {
            // Agents' sessions as well as service credentials.
            let auth = Arc::new(crate::service::auth::GrpcAuthenticator(hotline.clone()));
            grpc = grpc
                .with_access(Some(auth), crate::grpc::permissions::TABLE)
                .with_denials(Arc::new(crate::service::auth::GrpcDenials(hotline.clone())));
        }
        let web = WebServer::bind(config.web_addr, hotline.clone()).await.map_err(BuildError::Bind)?;
        let resolver = codes::resolver(platform.journal.clone(), pgw, config.pgw.generation_grace);
        Ok(App { platform, hotline, consumer: Some(consumer), run_workers: true, resolver, grpc, web })
    }

    /// The gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The web address.
    pub fn web_addr(&self) -> SocketAddr {
        self.web.local_addr()
    }

    /// The admin address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.platform.admin_addr()
    }

    /// One maintenance pass: resolve unknown generations, record settled ones, prune old
    /// sessions, failures and lookups (tests call it instead of waiting).
    pub async fn tick(&self) -> Result<usize, crate::error::Error> {
        crate::jobs::maintenance_once(&self.resolver, &self.hotline).await
    }

    /// Runs until `signal`, then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> Result<(), PlatformError> {
        let mut platform = self.platform;
        platform.run_relay = self.run_workers;
        let token = platform.shutdown.token();
        platform.shutdown.spawn(self.web.serve(token.clone()));
        platform.shutdown.spawn(self.hotline.timeline.clone().run(platform.pool.clone(), token.clone()));
        if self.run_workers {
            if let Some(consumer) = self.consumer {
                platform.shutdown.spawn(consumer.run_until(token.clone()));
            }
            platform.shutdown.spawn(crate::jobs::maintenance(self.resolver, self.hotline.clone(), token));
        }
        platform.run_until(self.grpc, signal).await
    }
}
