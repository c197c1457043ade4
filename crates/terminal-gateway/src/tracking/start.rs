//! Starting a terminal payment (TG-10, TG-20, TG-23, TG-30, TG-31, TG-06) and recording a
//! manual card payment (TG-05).

use chrono::Duration as ChronoDuration;
use kit::{Money, OrderId};
use uuid::Uuid;

use super::{Engine, STARTED_TOTAL};
use crate::bus;
use crate::domain::payment::{Card, Outcome, Payment, Reason, State};
use crate::domain::{TenantId, TerminalId, WorkstationId};
use crate::error::Error;
use crate::grpc::convert;
use crate::nets::NetsError;
use crate::store::payments::{self, Method, PaymentRecord};
use crate::store::terminals;

/// A validated StartPayment request.
#[derive(Debug, Clone)]
pub struct StartPayment {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Idempotency key.
    pub request_id: String,
    /// Order.
    pub order_id: OrderId,
    /// Amount (positive).
    pub amount: Money,
    /// Terminal; `None` to use the workstation's last one.
    pub terminal_id: Option<TerminalId>,
    /// Workstation.
    pub workstation_id: Option<WorkstationId>,
}

/// A validated manual card payment.
#[derive(Debug, Clone)]
pub struct ManualPayment {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Idempotency key.
    pub request_id: String,
    /// Order.
    pub order_id: OrderId,
    /// Amount (positive).
    pub amount: Money,
    /// Card data as given (brand, last four digits masked, reference).
    pub card: Card,
    /// Workstation.
    pub workstation_id: Option<WorkstationId>,
}

impl Engine {
    /// Starts a payment; returns it and whether this call created it.
    pub async fn start(&self, req: StartPayment) -> Result<(PaymentRecord, bool), Error> {
        if let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await? {
            return same_request(existing, &req);
        }
        match self.start_new(&req).await {
            // A concurrent retry of this very request may be what keeps the terminal busy.
            Err(busy @ Error::TerminalBusy { .. }) => {
                match payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await? {
                    Some(existing) => same_request(existing, &req),
                    None => Err(busy),
                }
            }
            other => other,
        }
    }

    async fn start_new(&self, req: &StartPayment) -> Result<(PaymentRecord, bool), Error> {
        let terminal_id = match (&req.terminal_id, &req.workstation_id) {
            (Some(t), _) => t.clone(),
            (None, Some(ws)) => match terminals::workstation(self.pool(), &req.tenant_id, ws).await? {
                Some((t, _)) => TerminalId::parse(t).map_err(|e| Error::TerminalUnknown(e.to_string()))?,
                None => {
                    let mut v = kit::grpc::status::Violations::new();
                    v.add("terminal_id", "is required: the workstation has not used a terminal yet");
                    return Err(Error::Invalid(v));
                }
            },
            (None, None) => {
                let mut v = kit::grpc::status::Violations::new();
                v.add("terminal_id", "is required (or a workstation_id that used a terminal before)");
                return Err(Error::Invalid(v));
            }
        };
        let terminal = terminals::get(self.pool(), &req.tenant_id, &terminal_id)
            .await?
            .ok_or_else(|| Error::TerminalUnknown(terminal_id.to_string()))?;
        if !terminal.active {
            return Err(Error::TerminalInactive(terminal_id.to_string()));
        }
        if terminal.currency != req.amount.currency() {
            return Err(Error::CurrencyMismatch {
                terminal: terminal_id.to_string(),
                expected: terminal.currency.to_string(),
                got: req.amount.currency().to_string(),
            });
        }
        if let Some(busy) = payments::waiting_on(self.pool(), &req.tenant_id, &terminal_id).await? {
            return Err(Error::TerminalBusy { terminal: terminal_id.to_string(), payment: Some(busy.to_string()) });
        }
        let login = self.login(&req.tenant_id).await?;
        // Carglass practice: start only on an idle terminal; it also gives the caller a precise
        // error for offline or unknown terminals instead of a failed payment.
        match self.nets().terminal_state(&login, &terminal_id).await {
            Ok(s) if s == "idle" => {}
            Ok(s) if s == "busy" => {
                return Err(Error::TerminalBusy { terminal: terminal_id.to_string(), payment: None });
            }
            Ok(s) if s == "offline" => {
                self.start_refused(req, &terminal_id, "TERMINAL_NOT_CONNECTED: terminal offline").await?;
                return Err(Error::TerminalNotConnected(terminal_id.to_string()));
            }
            Ok(s) => return Err(Error::NetsUnavailable(format!("terminal state {s:?}"))),
            Err(NetsError::NotFound(_)) => {
                self.start_refused(req, &terminal_id, "TERMINAL_UNKNOWN_AT_NETS: Nets does not know the id").await?;
                return Err(Error::TerminalUnknownAtNets(terminal_id.to_string()));
            }
            Err(NetsError::LoginRefused(t)) => return Err(Error::NetsLoginFailed(t)),
            Err(e) => return Err(Error::NetsUnavailable(e.to_string())),
        }
        let now = self.now();
        let timeout = ChronoDuration::from_std(self.config().timeout).unwrap_or(ChronoDuration::MAX);
        let lease = ChronoDuration::from_std(self.config().lease).unwrap_or(ChronoDuration::MAX);
        let record = PaymentRecord {
            id: Uuid::now_v7(),
            tenant_id: req.tenant_id.clone(),
            request_id: req.request_id.clone(),
            order_id: req.order_id.clone(),
            amount: req.amount,
            terminal_id: Some(terminal_id.clone()),
            workstation_id: req.workstation_id.as_ref().map(ToString::to_string),
            method: Method::Terminal,
            machine: Payment::waiting(),
            deadline: Some(now + timeout),
            owner: Some(self.config().instance_id.clone()),
            lease_until: Some(now + lease),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.pool().begin().await?;
        if let Err(e) = payments::insert(&mut tx, &record).await {
            drop(tx);
            if kit::db::is_constraint(&e, payments::ONE_WAITING) {
                return Err(Error::TerminalBusy { terminal: terminal_id.to_string(), payment: None });
            }
            if kit::db::is_constraint(&e, payments::REQUEST_UNIQUE)
                && let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await?
            {
                return same_request(existing, req);
            }
            return Err(e.into());
        }
        if let Some(ws) = &req.workstation_id {
            terminals::set_workstation(&mut tx, &req.tenant_id, ws, &terminal_id, now).await?;
        }
        self.0.outbox.add(&mut tx, bus::payment_event(&record, None, bus::STARTED)?).await?;
        tx.commit().await?;
        metrics::counter!(STARTED_TOTAL).increment(1);
        self.0.hub.publish(convert::payment(&record));
        self.spawn_purchase(record.clone(), login);
        Ok((record, true))
    }

    /// Records a failed start on the terminal (troubleshooting, attention after repeats).
    async fn start_refused(&self, req: &StartPayment, terminal: &TerminalId, error: &str) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.pool().begin().await?;
        let n = terminals::record_failure(&mut tx, &req.tenant_id, terminal, error, now).await?;
        let stub = PaymentRecord {
            id: Uuid::nil(),
            tenant_id: req.tenant_id.clone(),
            request_id: req.request_id.clone(),
            order_id: req.order_id.clone(),
            amount: req.amount,
            terminal_id: Some(terminal.clone()),
            workstation_id: None,
            method: Method::Terminal,
            machine: Payment::waiting(),
            deadline: None,
            owner: None,
            lease_until: None,
            created_at: now,
            updated_at: now,
        };
        self.maybe_attention(&mut tx, &stub, terminal, n, error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a manual card payment: stored APPROVED and emitted like any other (TG-05).
    pub async fn record_manual(&self, req: ManualPayment) -> Result<(PaymentRecord, bool), Error> {
        if let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await? {
            let same =
                existing.method == Method::Manual && existing.order_id == req.order_id && existing.amount == req.amount;
            return if same { Ok((existing, false)) } else { Err(Error::RequestIdReused(req.request_id)) };
        }
        let now = self.now();
        let record = PaymentRecord {
            id: Uuid::now_v7(),
            tenant_id: req.tenant_id.clone(),
            request_id: req.request_id.clone(),
            order_id: req.order_id.clone(),
            amount: req.amount,
            terminal_id: None,
            workstation_id: req.workstation_id.as_ref().map(ToString::to_string),
            method: Method::Manual,
            machine: Payment {
                state: State::Approved,
                outcome: Some(Outcome { reason: Reason::Approved, detail: "recorded manually".into() }),
                card: Some(req.card.clone()),
                ..Payment::waiting()
            },
            deadline: None,
            owner: None,
            lease_until: None,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.pool().begin().await?;
        if let Err(e) = payments::insert(&mut tx, &record).await {
            drop(tx);
            if kit::db::is_constraint(&e, payments::REQUEST_UNIQUE)
                && let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await?
            {
                return Ok((existing, false));
            }
            return Err(e.into());
        }
        self.0.outbox.add(&mut tx, bus::payment_event(&record, None, bus::MANUAL_RECORDED)?).await?;
        tx.commit().await?;
        metrics::counter!(super::ENDED_TOTAL, "state" => "approved", "reason" => "MANUAL").increment(1);
        Ok((record, true))
    }
}

/// A retried start: the same parameters return the payment, others are refused (TG-31).
fn same_request(existing: PaymentRecord, req: &StartPayment) -> Result<(PaymentRecord, bool), Error> {
    let same_terminal = req.terminal_id.as_ref().is_none_or(|t| existing.terminal_id.as_ref() == Some(t));
    if existing.method == Method::Terminal
        && existing.order_id == req.order_id
        && existing.amount == req.amount
        && same_terminal
    {
        Ok((existing, false))
    } else {
        Err(Error::RequestIdReused(req.request_id.clone()))
    }
}
