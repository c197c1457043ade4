//! Build, then run: `App::build` binds the listeners and prepares the database, the stream and
//! the consumer; `run_until` drives the gRPC server, the relay and the consumer until the
//! shutdown signal. Tests and the end-to-end harness build the very same `App`.

use std::future::Future;
use std::net::SocketAddr;

use kit::bus::Consumer;
use kit::clock::SharedClock;
use kit::grpc::GrpcServer;
use kit::platform::{PlatformError, Runtime};
use proto::payops::echo::v1::echo_service_server::EchoServiceServer;

use crate::bus::{NoteCounter, counter};
use crate::config::Config;
use crate::grpc::Echo;

/// Database migrations of this service.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A built echo instance.
pub struct App {
    /// The shared platform parts (pool, bus, outbox, …).
    pub platform: Runtime,
    /// The note counter (tests take it out to drive it with `drain`).
    pub consumer: Option<Consumer<NoteCounter>>,
    grpc: GrpcServer,
    /// Whether `run_until` runs the relay and the consumer (tests drive them step by step).
    pub run_workers: bool,
}

impl App {
    /// Prepares everything; nothing runs yet.
    pub async fn build(config: Config, clock: SharedClock) -> Result<App, PlatformError> {
        let platform = Runtime::build(config.common, &MIGRATIONS, clock).await?;
        let consumer = counter(&platform.bus, platform.pool.clone()).await?;
        let service = EchoServiceServer::new(Echo::new(platform.pool.clone(), platform.outbox.clone()))
            .max_decoding_message_size(platform.config.max_request_bytes);
        let grpc = platform.grpc(crate::grpc::permissions::TABLE).await?.add_service(service);
        Ok(App { platform, consumer: Some(consumer), grpc, run_workers: true })
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
        if let (true, Some(consumer)) = (self.run_workers, self.consumer) {
            platform.shutdown.spawn(consumer.run_until(platform.shutdown.token()));
        }
        platform.run_until(self.grpc, signal).await
    }
}
