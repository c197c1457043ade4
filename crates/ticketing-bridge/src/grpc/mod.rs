//! The `payops.ticketing.v1.TicketingService` adapter: requests are parsed into domain input,
//! work goes through the executor, errors are mapped in `status.rs`.

mod convert;
mod dead_letters;
pub mod permissions;
mod preflight;
mod status;
mod tickets;

use std::sync::Arc;
use std::time::Duration;

use kit::shutdown::Shutdown;
use proto::payops::ticketing::v1::ticketing_service_server::TicketingService;
use proto::payops::ticketing::v1::{
    CreateTicketRequest, CreateTicketResponse, GetTicketRequest, GetTicketResponse, ListDeadLettersRequest,
    ListDeadLettersResponse, ListOrderTicketsRequest, ListOrderTicketsResponse, PreflightRequest, PreflightResponse,
    ReplayDeadLetterRequest, ReplayDeadLetterResponse,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::domain::draft::Catalog;
use crate::service::Executor;

/// What the preflight checks, against which account.
pub struct PreflightTarget {
    /// The Freshdesk client.
    pub fd: crate::freshdesk::Freshdesk,
    /// The account's address (no secret).
    pub target: String,
    /// What the bridge relies on.
    pub expected: crate::freshdesk::preflight::Expected,
}

/// The gRPC service.
pub struct Ticketing {
    pool: PgPool,
    exec: Arc<Executor>,
    /// Tracks the tasks that work on a caller's ticket, so shutdown waits for them.
    shutdown: Shutdown,
    catalog: Catalog,
    create_timeout: Duration,
    retry_wait: Duration,
    preflight: PreflightTarget,
}

impl Ticketing {
    /// A service on `pool` working through `exec`.
    pub fn new(
        pool: PgPool,
        exec: Arc<Executor>,
        shutdown: Shutdown,
        catalog: Catalog,
        create_timeout: Duration,
        retry_wait: Duration,
        preflight: PreflightTarget,
    ) -> Self {
        Ticketing { pool, exec, shutdown, catalog, create_timeout, retry_wait, preflight }
    }
}

#[tonic::async_trait]
impl TicketingService for Ticketing {
    async fn create_ticket(
        &self,
        request: Request<CreateTicketRequest>,
    ) -> Result<Response<CreateTicketResponse>, Status> {
        Ok(Response::new(Ticketing::create_ticket(self, request.into_inner()).await?))
    }

    async fn get_ticket(&self, request: Request<GetTicketRequest>) -> Result<Response<GetTicketResponse>, Status> {
        Ok(Response::new(Ticketing::get_ticket(self, request.into_inner()).await?))
    }

    async fn list_order_tickets(
        &self,
        request: Request<ListOrderTicketsRequest>,
    ) -> Result<Response<ListOrderTicketsResponse>, Status> {
        Ok(Response::new(Ticketing::list_order_tickets(self, request.into_inner()).await?))
    }

    async fn list_dead_letters(
        &self,
        request: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListDeadLettersResponse>, Status> {
        Ok(Response::new(Ticketing::list_dead_letters(self, request.into_inner()).await?))
    }

    async fn replay_dead_letter(
        &self,
        request: Request<ReplayDeadLetterRequest>,
    ) -> Result<Response<ReplayDeadLetterResponse>, Status> {
        Ok(Response::new(Ticketing::replay_dead_letter(self, request.into_inner()).await?))
    }

    async fn preflight(&self, request: Request<PreflightRequest>) -> Result<Response<PreflightResponse>, Status> {
        Ok(Response::new(Ticketing::preflight(self, request.into_inner()).await?))
    }
}
