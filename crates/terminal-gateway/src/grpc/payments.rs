//! `payops.terminal_gateway.v1.TerminalPaymentService`: start (TG-10, TG-31), get, list,
//! cancel (TG-12), refresh (TG-13), watch (TG-11), manual card payments (TG-05), terminal
//! refunds (return of goods; permission `terminal.refunds.start`, see `permissions.rs`).

use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use kit::grpc::status::Violations;
use kit::id::RequestId;
use kit::{Money, OrderId};
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_server::TerminalPaymentService;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert;
use crate::domain::payment::Card;
use crate::domain::{TenantId, TerminalId, WorkstationId};
use crate::error::Error;
use crate::nets::wire::mask;
use crate::service::{Engine, ManualPayment, RefreshResult, StartPayment, StartRefund};
use crate::store::{journal, payments};

/// How often a watcher re-reads the row in case a change notification was lost.
const WATCH_RECHECK: Duration = Duration::from_secs(5);

/// The payment service.
pub struct Payments {
    engine: Engine,
    /// Ends watch streams at shutdown.
    token: CancellationToken,
}

impl Payments {
    /// A service on `engine`.
    pub fn new(engine: Engine, token: CancellationToken) -> Self {
        Payments { engine, token }
    }
}

fn parse_amount(v: &mut Violations, amount: Option<pb_money::Money>) -> Option<Money> {
    let Some(m) = amount else {
        v.add("amount", "is required");
        return None;
    };
    let money = v.check("amount.currency", Money::try_from(m))?;
    if money.minor() <= 0 {
        v.add("amount.amount_minor", "must be positive");
        return None;
    }
    Some(money)
}

mod pb_money {
    pub use proto::payops::common::v1::Money;
}

fn optional<T>(
    v: &mut Violations,
    field: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, kit::IdError>,
) -> Option<Option<T>> {
    if value.is_empty() { Some(None) } else { v.check(field, parse(value)).map(Some) }
}

fn payment_ids(tenant: &str, id: &str) -> Result<(TenantId, Uuid), Status> {
    let mut v = Violations::new();
    let t = v.check("tenant_id", TenantId::parse(tenant));
    let id = v.check("payment_id", Uuid::parse_str(id).map_err(|_| "must be a UUID"));
    match (t, id) {
        (Some(t), Some(id)) if v.is_empty() => Ok((t, id)),
        _ => Err(v.into_status()),
    }
}

/// SE-04: records the authenticated caller of a money-moving call before the gateway acts; no
/// record, no action (UNAVAILABLE, the caller retries with the same request id).
async fn journal(
    engine: &Engine,
    caller: &str,
    method: &str,
    tenant: &TenantId,
    request_id: &str,
    payment_id: &str,
) -> Result<(), Status> {
    let entry = journal::Entry {
        caller: caller.to_owned(),
        method: method.to_owned(),
        tenant_id: tenant.to_string(),
        request_id: request_id.to_owned(),
        payment_id: payment_id.to_owned(),
    };
    journal::record(engine.pool(), &entry, engine.now()).await.map_err(|e| Status::from(Error::from(e)))
}

/// The authenticated caller's name (the kit's layer put it there).
fn caller_of<T>(request: &Request<T>) -> Result<String, Status> {
    Ok(kit::grpc::caller(request)?.subject.clone())
}

fn refresh_result(r: RefreshResult) -> pb::RefreshResult {
    match r {
        RefreshResult::AlreadyFinal => pb::RefreshResult::AlreadyFinal,
        RefreshResult::InProgress => pb::RefreshResult::InProgress,
        RefreshResult::Updated => pb::RefreshResult::Updated,
        RefreshResult::NotFound => pb::RefreshResult::NotFound,
        RefreshResult::NetsUnavailable => pb::RefreshResult::NetsUnavailable,
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchPaymentResponse, Status>> + Send>>;

#[tonic::async_trait]
impl TerminalPaymentService for Payments {
    async fn start_payment(
        &self,
        request: Request<pb::StartPaymentRequest>,
    ) -> Result<Response<pb::StartPaymentResponse>, Status> {
        let caller = caller_of(&request)?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let mut v = Violations::new();
        let tenant_id = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let request_id = v.check("request_id", RequestId::parse(&r.request_id));
        let order_id = v.check("order_id", OrderId::parse(&r.order_id));
        let amount = parse_amount(&mut v, r.amount);
        let terminal_id = optional(&mut v, "terminal_id", &r.terminal_id, |s| TerminalId::parse(s));
        let workstation_id = optional(&mut v, "workstation_id", &r.workstation_id, |s| WorkstationId::parse(s));
        let (Some(tenant_id), Some(request_id), Some(order_id), Some(amount), Some(terminal_id), Some(workstation_id)) =
            (tenant_id, request_id, order_id, amount, terminal_id, workstation_id)
        else {
            return Err(v.into_status());
        };
        if !v.is_empty() {
            return Err(v.into_status());
        }
        journal(&self.engine, &caller, "StartPayment", &tenant_id, request_id.as_str(), "").await?;
        let req = StartPayment {
            tenant_id,
            request_id: request_id.to_string(),
            order_id,
            amount,
            terminal_id,
            workstation_id,
        };
        let (p, created) = self.engine.start(req).await?;
        Ok(Response::new(pb::StartPaymentResponse { payment: Some(convert::payment(&p)), created }))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = payment_ids(&r.tenant_id, &r.payment_id)?;
        let p = payments::get(self.engine.pool(), &t, id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        kit::grpc::record_order_id(&p.order_id);
        Ok(Response::new(pb::GetPaymentResponse { payment: Some(convert::payment(&p)) }))
    }

    async fn list_order_payments(
        &self,
        request: Request<pb::ListOrderPaymentsRequest>,
    ) -> Result<Response<pb::ListOrderPaymentsResponse>, Status> {
        let r = request.into_inner();
        let mut v = Violations::new();
        let t = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let o = v.check("order_id", OrderId::parse(&r.order_id));
        let (Some(t), Some(o)) = (t, o) else { return Err(v.into_status()) };
        let list = payments::of_order(self.engine.pool(), &t, &o).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListOrderPaymentsResponse { payments: list.iter().map(convert::payment).collect() }))
    }

    async fn cancel_payment(
        &self,
        request: Request<pb::CancelPaymentRequest>,
    ) -> Result<Response<pb::CancelPaymentResponse>, Status> {
        let caller = caller_of(&request)?;
        let r = request.into_inner();
        let (t, id) = payment_ids(&r.tenant_id, &r.payment_id)?;
        journal(&self.engine, &caller, "CancelPayment", &t, "", &id.to_string()).await?;
        let p = self.engine.cancel(&t, id).await?;
        Ok(Response::new(pb::CancelPaymentResponse { payment: Some(convert::payment(&p)) }))
    }

    async fn refresh_payment(
        &self,
        request: Request<pb::RefreshPaymentRequest>,
    ) -> Result<Response<pb::RefreshPaymentResponse>, Status> {
        let r = request.into_inner();
        let (t, id) = payment_ids(&r.tenant_id, &r.payment_id)?;
        let (p, result) = self.engine.refresh(&t, id).await?;
        Ok(Response::new(pb::RefreshPaymentResponse {
            payment: Some(convert::payment(&p)),
            result: refresh_result(result) as i32,
        }))
    }

    type WatchPaymentStream = WatchStream;

    async fn watch_payment(&self, request: Request<pb::WatchPaymentRequest>) -> Result<Response<WatchStream>, Status> {
        let r = request.into_inner();
        let (t, id) = payment_ids(&r.tenant_id, &r.payment_id)?;
        // Subscribe before reading, so no change between the read and the subscription is lost.
        let mut sub = self.engine.hub().subscribe(id);
        let first = payments::get(self.engine.pool(), &t, id)
            .await
            .map_err(Error::from)?
            .ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        let (tx, rx) = mpsc::channel(8);
        let engine = self.engine.clone();
        let token = self.token.clone();
        tokio::spawn(async move {
            let mut seen = 0i64;
            let mut send = |p: pb::Payment| {
                let done = p.state != pb::PaymentState::Waiting as i32;
                let fresh = p.version > seen;
                if fresh {
                    seen = p.version;
                }
                (fresh.then_some(p), done)
            };
            let (msg, mut done) = send(convert::payment(&first));
            if let Some(m) = msg
                && tx.send(Ok(pb::WatchPaymentResponse { payment: Some(m) })).await.is_err()
            {
                return;
            }
            while !done {
                let next = tokio::select! {
                    () = token.cancelled() => break,
                    () = tx.closed() => break,
                    got = sub.recv() => match got {
                        Ok(p) => Some((*p).clone()),
                        Err(broadcast::error::RecvError::Lagged(_)) => reread(&engine, &t, id).await,
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    () = tokio::time::sleep(WATCH_RECHECK) => reread(&engine, &t, id).await,
                };
                let Some(p) = next else { continue };
                let (msg, d) = send(p);
                done = d;
                if let Some(m) = msg
                    && tx.send(Ok(pb::WatchPaymentResponse { payment: Some(m) })).await.is_err()
                {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn record_manual_payment(
        &self,
        request: Request<pb::RecordManualPaymentRequest>,
    ) -> Result<Response<pb::RecordManualPaymentResponse>, Status> {
        let caller = caller_of(&request)?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let mut v = Violations::new();
        let tenant_id = v.check("tenant_id", TenantId::parse(&r.tenant_id));
        let request_id = v.check("request_id", RequestId::parse(&r.request_id));
        let order_id = v.check("order_id", OrderId::parse(&r.order_id));
        let amount = parse_amount(&mut v, r.amount);
        let workstation_id = optional(&mut v, "workstation_id", &r.workstation_id, |s| WorkstationId::parse(s));
        if r.card_brand.chars().count() > 40 || r.card_brand.chars().any(char::is_control) {
            v.add("card_brand", "must be at most 40 printable characters");
        }
        let last4_ok =
            r.card_last4.is_empty() || (r.card_last4.len() == 4 && r.card_last4.bytes().all(|b| b.is_ascii_digit()));
        if !last4_ok {
            v.add("card_last4", "must be exactly 4 digits (never more of the card number)");
        }
        if r.reference.chars().count() > 64 || r.reference.chars().any(char::is_control) {
            v.add("reference", "must be at most 64 printable characters");
        }
        let (Some(tenant_id), Some(request_id), Some(order_id), Some(amount), Some(workstation_id)) =
            (tenant_id, request_id, order_id, amount, workstation_id)
        else {
            return Err(v.into_status());
        };
        if !v.is_empty() {
            return Err(v.into_status());
        }
        let card = Card {
            brand: r.card_brand,
            masked_pan: mask(&r.card_last4),
            acquirer_reference: r.reference,
            verification: String::new(),
        };
        journal(&self.engine, &caller, "RecordManualPayment", &tenant_id, request_id.as_str(), "").await?;
        let req =
            ManualPayment { tenant_id, request_id: request_id.to_string(), order_id, amount, card, workstation_id };
        let (p, created) = self.engine.record_manual(req).await?;
        Ok(Response::new(pb::RecordManualPaymentResponse { payment: Some(convert::payment(&p)), created }))
    }

    async fn start_refund(
        &self,
        request: Request<pb::StartRefundRequest>,
    ) -> Result<Response<pb::StartRefundResponse>, Status> {
        let caller = caller_of(&request)?;
        let r = parse_refund(request.into_inner())?;
        journal(&self.engine, &caller, "StartRefund", &r.tenant_id, &r.request_id, &r.payment_id.to_string()).await?;
        let (p, created) = self.engine.start_refund(r).await?;
        kit::grpc::record_order_id(&p.order_id);
        Ok(Response::new(pb::StartRefundResponse { payment: Some(convert::payment(&p)), created }))
    }
}

/// Validates a StartRefund request, naming every bad field.
fn parse_refund(r: pb::StartRefundRequest) -> Result<StartRefund, Status> {
    let mut v = Violations::new();
    let tenant_id = v.check("tenant_id", TenantId::parse(&r.tenant_id));
    let request_id = v.check("request_id", RequestId::parse(&r.request_id));
    let payment_id = v.check("payment_id", Uuid::parse_str(&r.payment_id).map_err(|_| "must be a UUID"));
    let amount = parse_amount(&mut v, r.amount);
    let terminal_id = optional(&mut v, "terminal_id", &r.terminal_id, |s| TerminalId::parse(s));
    let workstation_id = optional(&mut v, "workstation_id", &r.workstation_id, |s| WorkstationId::parse(s));
    match (tenant_id, request_id, payment_id, amount, terminal_id, workstation_id) {
        (
            Some(tenant_id),
            Some(request_id),
            Some(payment_id),
            Some(amount),
            Some(terminal_id),
            Some(workstation_id),
        ) if v.is_empty() => Ok(StartRefund {
            tenant_id,
            request_id: request_id.to_string(),
            payment_id,
            amount,
            terminal_id,
            workstation_id,
        }),
        _ => Err(v.into_status()),
    }
}

async fn reread(engine: &Engine, tenant: &TenantId, id: Uuid) -> Option<pb::Payment> {
    payments::get(engine.pool(), tenant, id).await.ok().flatten().map(|p| convert::payment(&p))
}
