//! The ticketing-bridge client (gRPC, `payops.ticketing.v1.TicketingService`). Opening a ticket
//! goes through the journal (`ticketing.create_ticket`, key `ticket:<request id>`): the bridge
//! is idempotent on the request id, so the probe for an unknown outcome is the same call again.

pub mod wire;

use std::time::{Duration, Instant};

use kit::grpc::client::TracedChannel;
use kit::journal::{CallError, Operation, Probe};
use proto::payops::ticketing::v1::ticketing_service_client::TicketingServiceClient;

use crate::domain::ticket::TicketDraft;
pub use wire::OpenedTicket;

/// The bridge client (cheap to clone).
#[derive(Clone)]
pub struct TicketingClient {
    client: TicketingServiceClient<TracedChannel>,
}

impl TicketingClient {
    /// A lazily connecting client.
    pub fn new(url: &str, token: Option<&secrecy::SecretString>) -> Result<Self, kit::grpc::client::ClientError> {
        Ok(TicketingClient { client: TicketingServiceClient::new(kit::grpc::client::connect_lazy(url, token)?) })
    }

    /// Opens the ticket of `draft` (or returns the one its request id opened).
    pub async fn create(&self, draft: &TicketDraft) -> Result<OpenedTicket, CallError> {
        let started = Instant::now();
        let mut request = tonic::Request::new(wire::request(draft));
        request.set_timeout(Duration::from_secs(15));
        let result = self.client.clone().create_ticket(request).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(s) if wire::is_unknown(s.code()) => "error",
            Err(_) => "rejected",
        };
        kit::metrics::external_call("ticketing", "create_ticket", outcome, started.elapsed());
        match result {
            Ok(r) => {
                let r = r.into_inner();
                let t = r.ticket.ok_or_else(|| CallError::Unknown("answer without ticket".into()))?;
                Ok(OpenedTicket { ticket_id: t.ticket_id, url: t.url, created: r.created })
            }
            Err(s) if wire::is_unknown(s.code()) => Err(CallError::Unknown(format!("{:?}: {}", s.code(), s.message()))),
            Err(s) => Err(CallError::Rejected(format!("{:?}: {}", s.code(), s.message()))),
        }
    }
}

/// Opening one ticket, as a journal operation.
pub struct CreateTicket<'a> {
    /// The bridge.
    pub client: &'a TicketingClient,
    /// The ticket.
    pub draft: TicketDraft,
}

impl Operation for CreateTicket<'_> {
    type Output = OpenedTicket;

    fn name(&self) -> &'static str {
        "ticketing.create_ticket"
    }

    fn key(&self) -> String {
        format!("ticket:{}", self.draft.request_id)
    }

    fn scope(&self) -> String {
        self.draft.order_id.clone()
    }

    fn request(&self) -> serde_json::Value {
        // Only ids: the description holds personal data and the probe re-sends the same request.
        serde_json::json!({ "request_id": self.draft.request_id, "order_id": self.draft.order_id })
    }

    async fn execute(&self) -> Result<OpenedTicket, CallError> {
        self.client.create(&self.draft).await
    }

    async fn probe(&self) -> Result<Probe<OpenedTicket>, CallError> {
        // The bridge answers the same ticket for a repeated request id and never opens a second.
        match self.client.create(&self.draft).await {
            Ok(t) => Ok(Probe::Done(t)),
            Err(CallError::Rejected(r)) => Ok(Probe::Failed(r)),
            Err(e) => Err(e),
        }
    }
}
