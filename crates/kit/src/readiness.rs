//! Readiness: a service can take traffic only while its database and bus are usable. One
//! watcher checks both, drives the gRPC health status (`grpc.health.v1`, SERVING or
//! NOT_SERVING for "" and every service) and the admin port's `/readyz`. Liveness never depends
//! on Postgres or NATS. During shutdown readiness is forced off first, so load balancers stop
//! sending before in-flight calls drain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::bus::Bus;
use crate::metrics as m;

/// Shared readiness state of one service instance.
#[derive(Clone)]
pub struct Readiness {
    pool: Option<PgPool>,
    bus: Option<Bus>,
    /// Latest verdict, read by `/readyz`.
    ready: Arc<AtomicBool>,
    /// Set once shutdown began; readiness stays off from then on.
    draining: Arc<AtomicBool>,
    /// Health reporters and the service names they serve, updated on every change.
    health: Arc<Mutex<Vec<HealthTarget>>>,
}

/// A health reporter and the service names it reports for.
type HealthTarget = (HealthReporter, Vec<&'static str>);

impl Readiness {
    /// Readiness depending on `pool` and `bus` (either may be absent for tools).
    pub fn new(pool: Option<PgPool>, bus: Option<Bus>) -> Self {
        Readiness {
            pool,
            bus,
            ready: Arc::new(AtomicBool::new(false)),
            draining: Arc::new(AtomicBool::new(false)),
            health: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Registers a gRPC health reporter and sets its current status.
    pub async fn attach_health(&self, reporter: HealthReporter, services: Vec<&'static str>) {
        let serving = self.is_ready();
        set_all(&reporter, &services, serving).await;
        self.health.lock().await.push((reporter, services));
    }

    /// The latest verdict.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) && !self.draining.load(Ordering::SeqCst)
    }

    /// Checks the dependencies now and publishes the verdict; returns it.
    pub async fn refresh(&self) -> bool {
        let db_ok = match &self.pool {
            Some(pool) => tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(pool))
                .await
                .is_ok_and(|r| r.is_ok()),
            None => true,
        };
        let bus_ok = self.bus.as_ref().is_none_or(Bus::is_connected);
        metrics::gauge!(m::DEPENDENCY_UP, "dependency" => "database").set(if db_ok { 1.0 } else { 0.0 });
        metrics::gauge!(m::DEPENDENCY_UP, "dependency" => "bus").set(if bus_ok { 1.0 } else { 0.0 });
        if let Some(pool) = &self.pool {
            m::record_pool(pool, "main");
        }
        let ready = db_ok && bus_ok && !self.draining.load(Ordering::SeqCst);
        let was = self.ready.swap(db_ok && bus_ok, Ordering::SeqCst);
        if was != (db_ok && bus_ok) {
            tracing::info!(database = db_ok, bus = bus_ok, "readiness changed");
        }
        self.publish(ready).await;
        ready
    }

    /// Turns readiness off for good (first step of shutdown).
    pub async fn set_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.publish(false).await;
    }

    /// Re-checks every `every` until `token` is cancelled.
    pub async fn run_until(self, every: Duration, token: CancellationToken) {
        while !token.is_cancelled() {
            self.refresh().await;
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    async fn publish(&self, serving: bool) {
        for (reporter, services) in self.health.lock().await.iter() {
            set_all(reporter, services, serving).await;
        }
    }
}

async fn set_all(reporter: &HealthReporter, services: &[&'static str], serving: bool) {
    let status = if serving { ServingStatus::Serving } else { ServingStatus::NotServing };
    reporter.set_service_status("", status).await;
    for s in services {
        reporter.set_service_status(*s, status).await;
    }
}
