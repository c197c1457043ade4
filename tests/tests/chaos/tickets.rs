//! Tickets: hotline tickets requested over gRPC (as hotline-api does for its agents) with a
//! request id, retried through kills and Freshdesk faults; and the incidents every service
//! raised as attention events. At the end, against the sandbox's Freshdesk: every external
//! reference has one ticket, every incident and every request exactly one, every attention
//! event's note at most once.

use std::collections::BTreeMap;
use std::time::Duration;

use proto::payops::ticketing::v1 as pb;
use proto::payops::ticketing::v1::ticketing_service_client::TicketingServiceClient;
use sandbox::SandboxClient;

use crate::grpc::{Services, retry};
use crate::report::Invariant;

const SERVICE: &str = "ticketing-bridge";

/// A hotline ticket request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Idempotency key.
    pub request_id: String,
    /// The order it is about.
    pub order_id: String,
    /// CreateTicket answered.
    pub answered: bool,
}

/// Plans `count` hotline requests.
pub fn plan(count: usize) -> Vec<Request> {
    (0..count)
        .map(|k| Request { request_id: format!("chaos-hl-{k:05}"), order_id: format!("HL-{k:05}"), answered: false })
        .collect()
}

/// Asks the bridge for one ticket, retrying with the same request id until `limit`.
pub async fn create(svc: &Services, r: &mut Request, limit: Duration) -> anyhow::Result<()> {
    let req = pb::CreateTicketRequest {
        request_id: r.request_id.clone(),
        order_id: r.order_id.clone(),
        subject: format!("Rückruf zu Bestellung {}", r.order_id),
        description: "Kundin ruft an: <Zahlung> doppelt? Bitte prüfen & zurückrufen.".into(),
        requester: Some(pb::Requester {
            contact: Some(pb::requester::Contact::Email(format!("{}@example.ch", r.order_id.to_lowercase()))),
            name: "Hotline Chaos".into(),
        }),
        r#type: "Question".into(),
        priority: pb::TicketPriority::Medium as i32,
        group: "hotline".into(),
        tags: vec!["chaos".into()],
    };
    retry("CreateTicket", limit, || async {
        let ch = svc.channel(SERVICE).map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        TicketingServiceClient::with_interceptor(ch, svc.auth()).create_ticket(req.clone()).await
    })
    .await?;
    r.answered = true;
    Ok(())
}

/// Checks Freshdesk's tickets against the requests and the incidents ((order id, incident id)
/// of every attention event, with the event ids).
pub async fn check(
    sb: &SandboxClient,
    requests: &[Request],
    incidents: &BTreeMap<(String, String), Vec<String>>,
    out: &mut [Invariant; 3],
) -> anyhow::Result<()> {
    let [dup, one_each, notes] = out;
    let all = sb.freshdesk_tickets().await?;
    for (reference, n) in &all.by_external_ref {
        dup.check(*n == 1, || format!("Freshdesk: {n} tickets with reference {reference}"));
    }
    let count = |reference: &str| all.by_external_ref.get(reference).copied().unwrap_or(0);
    for r in requests {
        let reference = format!("req:{}", r.request_id);
        let n = count(&reference);
        one_each.check(n == 1, || format!("hotline request {} (answered {}): {n} tickets", r.request_id, r.answered));
    }
    for ((order, incident), events) in incidents {
        let reference = format!("inc:{order}:{incident}");
        let n = count(&reference);
        one_each.check(n == 1, || format!("incident {reference} ({} attention events): {n} tickets", events.len()));
        if let Some(t) = all.tickets.iter().find(|t| t.external_ref.as_deref() == Some(reference.as_str())) {
            for e in events {
                let marker = format!("payops-ref: note:{e}");
                let k = t.notes.iter().filter(|n| n.body.contains(&marker)).count();
                notes.check(k <= 1, || format!("incident {reference}: note for event {e} added {k} times"));
            }
        }
    }
    Ok(())
}
