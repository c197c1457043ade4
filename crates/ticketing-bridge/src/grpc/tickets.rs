//! CreateTicket, GetTicket, ListOrderTickets (TK-01, TK-03, TK-07) and the synchronous wait
//! shared with ReplayDeadLetter.
//!
//! **How a synchronous CreateTicket behaves when Freshdesk is rate-limited or down.** The
//! request is validated, then queued as work under its request id (a repeat finds the same
//! row), then worked on at once in a task of its own: the answer carries the ticket id and URL.
//! If Freshdesk answers 429 or fails (5xx, timeout), the work is rescheduled (Retry-After, or
//! backoff with jitter). The call waits for that retry in-line only when it is due within
//! `CREATE_TICKET_RETRY_WAIT` and before the caller's deadline (or `CREATE_TICKET_TIMEOUT`);
//! otherwise it answers UNAVAILABLE with reason `TICKET_QUEUED` and a RetryInfo at once. The
//! work stays queued and the worker finishes it; the caller retries with the same request id
//! and gets the same ticket (`created = false`). If the call's time runs out while Freshdesk
//! is still answering, the work continues in the background the same way. A ticket Freshdesk
//! refuses (400) is dead-lettered and answered FAILED_PRECONDITION `FRESHDESK_REJECTED` with
//! Freshdesk's field errors.

use std::time::{Duration, Instant};

use kit::id::OrderId;
use proto::payops::ticketing::v1::{
    CreateTicketRequest, CreateTicketResponse, GetTicketRequest, GetTicketResponse, ListOrderTicketsRequest,
    ListOrderTicketsResponse,
};

use super::{Ticketing, convert};
use crate::domain::draft;
use crate::domain::retry::should_wait;
use crate::error::Error;
use crate::freshdesk::FieldError;
use crate::service::OrderRun;
use crate::store::tickets::{self, TicketRow};
use crate::store::work::{self, WorkRow};

impl Ticketing {
    pub(super) async fn create_ticket(&self, r: CreateTicketRequest) -> Result<CreateTicketResponse, Error> {
        kit::grpc::record_order_id(&r.order_id);
        let request = draft::parse_request(&convert::create_input(r), &self.catalog).map_err(Error::Invalid)?;
        let fingerprint = request.fingerprint();
        let now = self.exec.clock().now();
        let (row, fresh) = work::enqueue_request(&self.pool, &request, &fingerprint, now).await?;
        if row.fingerprint.as_deref() != Some(fingerprint.as_str()) {
            let mut v = kit::grpc::status::Violations::new();
            v.add("request_id", "was already used for a different ticket");
            return Err(Error::Invalid(v));
        }
        let row = if row.status == "queued" { self.settle(row.id, &row.order_id).await? } else { row };
        let ticket = self.outcome(row).await?;
        Ok(CreateTicketResponse { ticket: Some(convert::ticket(ticket)), created: fresh })
    }

    pub(super) async fn get_ticket(&self, r: GetTicketRequest) -> Result<GetTicketResponse, Error> {
        if r.ticket_id <= 0 {
            return Err(invalid("ticket_id", "must be a positive Freshdesk ticket id"));
        }
        let ticket = tickets::get(&self.pool, r.ticket_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("ticket {}", r.ticket_id)))?;
        kit::grpc::record_order_id(&ticket.order_id);
        Ok(GetTicketResponse { ticket: Some(convert::ticket(ticket)) })
    }

    pub(super) async fn list_order_tickets(
        &self,
        r: ListOrderTicketsRequest,
    ) -> Result<ListOrderTicketsResponse, Error> {
        let order = OrderId::parse(r.order_id).map_err(|e| invalid("order_id", &e.to_string()))?;
        kit::grpc::record_order_id(&order);
        let list = tickets::of_order(&self.pool, &order).await?;
        Ok(ListOrderTicketsResponse { tickets: list.into_iter().map(convert::ticket).collect() })
    }

    /// Works on the order of work item `id` now and waits for the item to end, within the
    /// call's time; see the module docs.
    pub(super) async fn settle(&self, id: i64, order: &str) -> Result<WorkRow, Error> {
        let deadline = kit::grpc::current_deadline().unwrap_or_else(|| Instant::now() + self.create_timeout);
        loop {
            let exec = self.exec.clone();
            let order_id = order.to_owned();
            // Its own task: the work goes on if the caller gives up. It stays in the call's span,
            // so its log lines carry the order and trace ids and its Freshdesk calls join the
            // caller's trace (OP-05, OP-06).
            let span = tracing::Span::current();
            let run = self
                .shutdown
                .spawn(tracing::Instrument::instrument(async move { exec.run_order(&order_id, true).await }, span));
            let remaining = deadline.saturating_duration_since(Instant::now());
            let blocked_until = match tokio::time::timeout(remaining, run).await {
                Err(_) => return Err(Error::Queued { retry_after: Duration::from_secs(1) }),
                Ok(Err(join)) => return Err(Error::Task(join.to_string())),
                Ok(Ok(result)) => match result? {
                    OrderRun::Ran { blocked_until, .. } => blocked_until,
                    OrderRun::Busy => None,
                },
            };
            let row = work::get(&self.pool, id).await?.ok_or_else(|| Error::NotFound(format!("work {id}")))?;
            if row.status != "queued" {
                return Ok(row);
            }
            let now = self.exec.clock().now();
            let due = blocked_until.unwrap_or(row.next_attempt_at).max(now);
            let delay = (due - now).to_std().unwrap_or_default();
            let remaining = deadline.saturating_duration_since(Instant::now());
            if !should_wait(delay, self.retry_wait, remaining) {
                return Err(Error::Queued { retry_after: delay.max(Duration::from_secs(1)) });
            }
            tokio::select! {
                () = self.exec.clock().sleep_until(due) => {}
                () = tokio::time::sleep(remaining) => return Err(Error::Queued { retry_after: Duration::from_secs(1) }),
            }
        }
    }

    /// The ticket of an ended work item, or why there is none.
    pub(super) async fn outcome(&self, row: WorkRow) -> Result<TicketRow, Error> {
        match row.status.as_str() {
            "done" => {
                let id = row.ticket_id.ok_or_else(|| Error::Task(format!("work {} done without a ticket", row.id)))?;
                tickets::get(&self.pool, id).await?.ok_or_else(|| Error::NotFound(format!("ticket {id}")))
            }
            "dead" if row.dead_reason.as_deref() == Some("rejected") => {
                let errors: Vec<FieldError> =
                    row.error_fields.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
                let fields = errors
                    .into_iter()
                    .map(|e| (convert::request_field(&e.field), format!("Freshdesk: {} ({})", e.message, e.code)))
                    .collect();
                Err(Error::Rejected { fields, dead_letter_id: row.id })
            }
            "dead" => Err(Error::DeadLettered(row.id)),
            _ => Err(Error::Queued { retry_after: Duration::from_secs(1) }),
        }
    }
}

fn invalid(field: &str, reason: &str) -> Error {
    let mut v = kit::grpc::status::Violations::new();
    v.add(field, reason);
    Error::Invalid(v)
}
