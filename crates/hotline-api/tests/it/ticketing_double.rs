//! Interim stand-in for ticketing-bridge (its crate is being built): a real gRPC server of
//! `payops.ticketing.v1.TicketingService` that records every `CreateTicketRequest` exactly as
//! hotline-api sent it and answers like the bridge (idempotent on the request id). The ticket
//! rules HL-14/HL-23 are asserted on these recorded requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use proto::payops::ticketing::v1::ticketing_service_server::{TicketingService, TicketingServiceServer};
use proto::payops::ticketing::v1::*;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

/// What the double saw and how it answers.
#[derive(Clone, Default)]
pub struct Recorder {
    /// Every request, in arrival order (repeats included).
    pub requests: Arc<Mutex<Vec<CreateTicketRequest>>>,
    tickets: Arc<Mutex<HashMap<String, i64>>>,
    /// Answers UNAVAILABLE this many times before working.
    pub fail_next: Arc<Mutex<u32>>,
}

impl Recorder {
    pub fn requests(&self) -> Vec<CreateTicketRequest> {
        self.requests.lock().unwrap().clone()
    }

    pub fn tickets_created(&self) -> usize {
        self.tickets.lock().unwrap().len()
    }
}

#[tonic::async_trait]
impl TicketingService for Recorder {
    async fn create_ticket(
        &self,
        request: Request<CreateTicketRequest>,
    ) -> Result<Response<CreateTicketResponse>, Status> {
        let r = request.into_inner();
        self.requests.lock().unwrap().push(r.clone());
        {
            let mut f = self.fail_next.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err(Status::unavailable("freshdesk down; queued"));
            }
        }
        let mut t = self.tickets.lock().unwrap();
        let next = 5000 + t.len() as i64 + 1;
        let (id, created) = match t.get(&r.request_id) {
            Some(id) => (*id, false),
            None => {
                t.insert(r.request_id.clone(), next);
                (next, true)
            }
        };
        Ok(Response::new(CreateTicketResponse {
            ticket: Some(Ticket {
                ticket_id: id,
                url: format!("https://smarpay.freshdesk.com/a/tickets/{id}"),
                order_id: r.order_id,
                subject: r.subject,
                r#type: r.r#type,
                priority: r.priority,
                tags: r.tags,
                request_id: r.request_id,
                ..Default::default()
            }),
            created,
        }))
    }

    async fn get_ticket(&self, _: Request<GetTicketRequest>) -> Result<Response<GetTicketResponse>, Status> {
        Err(Status::unimplemented("not in the double"))
    }

    async fn list_order_tickets(
        &self,
        _: Request<ListOrderTicketsRequest>,
    ) -> Result<Response<ListOrderTicketsResponse>, Status> {
        Err(Status::unimplemented("not in the double"))
    }

    async fn list_dead_letters(
        &self,
        _: Request<ListDeadLettersRequest>,
    ) -> Result<Response<ListDeadLettersResponse>, Status> {
        Err(Status::unimplemented("not in the double"))
    }

    async fn replay_dead_letter(
        &self,
        _: Request<ReplayDeadLetterRequest>,
    ) -> Result<Response<ReplayDeadLetterResponse>, Status> {
        Err(Status::unimplemented("not in the double"))
    }
}

/// Starts the double on a random port; returns its URL.
pub async fn start(recorder: Recorder) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let incoming = TcpListenerStream::new(listener);
    tokio::spawn(async move {
        let _ = tonic::transport::Server::builder()
            .add_service(TicketingServiceServer::new(recorder))
            .serve_with_incoming(incoming)
            .await;
    });
    format!("http://{addr}")
}
