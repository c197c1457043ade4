//! Build, then run: `App::build` binds the listeners and prepares the database, the stream, the
//! attention consumer, the worker and the resolver; `run_until` drives the gRPC server, the
//! outbox relay, the consumer, the worker and the resolver until the shutdown signal. Tests,
//! other services' tests and the end-to-end harness build the very same `App`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kit::bus::Consumer;
use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::journal::Resolver;
use kit::platform::{PlatformError, Runtime};
use proto::payops::ticketing::v1::ticketing_service_server::TicketingServiceServer;

use crate::bus::{AttentionHandler, consumer};
use crate::config::Config;
use crate::domain::reference::{CREATE_OPERATION, NOTE_OPERATION};
use crate::freshdesk::{Freshdesk, Limiter};
use crate::grpc::{PreflightTarget, Ticketing};
use crate::jobs::Dispatcher;
use crate::service::ops::{CreateProber, NoteProber};
use crate::service::{Executor, Settings};

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How often the resolver looks for journal entries with an unknown outcome.
const RESOLVE_EVERY: Duration = Duration::from_secs(60);

/// A built ticketing-bridge instance.
pub struct App {
    /// The shared platform parts (pool, bus, outbox, journal, fault points, …).
    pub platform: Runtime,
    /// The attention consumer (tests take it out to drive it with `drain`).
    pub consumer: Option<Consumer<AttentionHandler>>,
    /// The ticket worker (tests take it out to drive it with `tick`).
    pub dispatcher: Option<Dispatcher>,
    /// The resolver of unknown journal entries (tests take it out to drive it).
    pub resolver: Option<Resolver>,
    /// The executor shared by the worker and the gRPC service.
    pub executor: Arc<Executor>,
    grpc: GrpcServer,
    /// Whether `run_until` runs the relay, the consumer, the worker and the resolver (tests
    /// drive them step by step).
    pub run_workers: bool,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, PlatformError> {
        let (target, expected) = (config.preflight_target(), config.preflight_expected());
        let platform = Runtime::build(config.common, &MIGRATIONS, clock.clone()).await?;
        // Freshdesk's limit is per account: every replica takes its slots from the database.
        let limiter = Arc::new(Limiter::shared(clock.clone(), config.rates, platform.pool.clone()));
        let fd = Freshdesk::new(&config.freshdesk, limiter)
            .map_err(|e| PlatformError::Bind { what: "the Freshdesk HTTP client", source: std::io::Error::other(e) })?;
        let settings = Settings {
            retry: config.retry,
            ref_field: config.freshdesk.ref_field.clone(),
            order_field: config.freshdesk.order_field.clone(),
            attention: config.attention,
            concurrency: config.concurrency,
            index_delay: config.index_delay,
        };
        let executor = Arc::new(Executor::new(
            platform.pool.clone(),
            platform.journal.clone(),
            platform.outbox.clone(),
            clock.clone(),
            fd.clone(),
            settings,
        ));
        let handler = AttentionHandler::new(clock, platform.outbox.clone(), executor.wake());
        let consumer = consumer(&platform.bus, platform.pool.clone(), handler, config.consumer_concurrency)
            .await?
            .with_faults(platform.faults.clone());
        let dispatcher = Dispatcher::new(executor.clone(), config.poll);
        let resolver = Resolver::new(platform.journal.clone(), &platform.config.service)
            .register(
                CREATE_OPERATION,
                Arc::new(CreateProber {
                    fd: fd.clone(),
                    wait: executor.index_wait(),
                    ref_field: config.freshdesk.ref_field.clone(),
                }),
            )
            .register(NOTE_OPERATION, Arc::new(NoteProber { fd: fd.clone() }));
        let preflight = PreflightTarget { fd: fd.clone(), target, expected };
        let service = Ticketing::new(
            platform.pool.clone(),
            executor.clone(),
            platform.shutdown.clone(),
            config.catalog,
            config.create_timeout,
            config.create_retry_wait,
            preflight,
        );
        let service = TicketingServiceServer::new(service).max_decoding_message_size(platform.config.max_request_bytes);
        let grpc = platform.grpc(crate::grpc::permissions::TABLE).await?.add_service(service);
        Ok(App {
            platform,
            consumer: Some(consumer),
            dispatcher: Some(dispatcher),
            resolver: Some(resolver),
            executor,
            grpc,
            run_workers: true,
        })
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
        if self.run_workers {
            let token = platform.shutdown.token();
            if let Some(consumer) = self.consumer {
                platform.shutdown.spawn(consumer.run_until(token.clone()));
            }
            if let Some(dispatcher) = self.dispatcher {
                platform.shutdown.spawn(dispatcher.run_until(token.clone()));
            }
            if let Some(resolver) = self.resolver {
                platform.shutdown.spawn(resolver.run_until(RESOLVE_EVERY, token));
            }
        }
        platform.run_until(self.grpc, signal).await
    }
}
