//! Starting a terminal payment or refund (TG-10, TG-20, TG-23, TG-30, TG-31, TG-06) and
//! recording a manual card payment (TG-05).
//!
//! Before a terminal is asked: the terminal is registered, active and charges in the amount's
//! currency; no payment of ours holds it (a payment given up on holds it until Nets told how it
//! ended); the tenant's Nets login lists the terminal id (the login answer names the account's
//! terminals). Nets' terminal state is asked as advice only (no public source shows the call):
//! `busy` and `offline` refuse at once with a precise error, anything else lets the purchase
//! itself tell — Nets answers a busy terminal with `400 Terminal busy` at once and the running
//! transaction goes on (production wire log), so posting is safe either way.

use chrono::Duration as ChronoDuration;
use kit::{Money, OrderId};
use uuid::Uuid;

use super::{Engine, STARTED_TOTAL};
use crate::bus;
use crate::domain::payment::{Card, Outcome, Payment, Reason, State};
use crate::domain::{TenantId, TerminalId, WorkstationId};
use crate::error::Error;
use crate::grpc::convert;
use crate::nets::{NetsError, NetsLogin};
use crate::store::payments::{self, Kind, Method, PaymentRecord};
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

/// What the common start path needs besides the request.
pub(crate) struct Begin<'a> {
    pub(crate) kind: Kind,
    pub(crate) refund_of: Option<Uuid>,
    /// For a refund: the purchase's amount, the ceiling of its refunds.
    pub(crate) ceiling: Option<Money>,
    pub(crate) req: &'a StartPayment,
}

impl Engine {
    /// Starts a payment; returns it and whether this call created it.
    pub async fn start(&self, req: StartPayment) -> Result<(PaymentRecord, bool), Error> {
        self.begin(Begin { kind: Kind::Purchase, refund_of: None, ceiling: None, req: &req }).await
    }

    /// The start of a purchase or a refund, idempotent on the request id.
    pub(crate) async fn begin(&self, b: Begin<'_>) -> Result<(PaymentRecord, bool), Error> {
        if let Some(existing) = payments::by_request(self.pool(), &b.req.tenant_id, &b.req.request_id).await? {
            return same_request(existing, &b);
        }
        match self.begin_new(&b).await {
            // A concurrent retry of this very request may be what holds the terminal.
            Err(busy @ Error::TerminalBusy { .. }) => {
                match payments::by_request(self.pool(), &b.req.tenant_id, &b.req.request_id).await? {
                    Some(existing) => same_request(existing, &b),
                    None => Err(busy),
                }
            }
            other => other,
        }
    }

    async fn begin_new(&self, b: &Begin<'_>) -> Result<(PaymentRecord, bool), Error> {
        let req = b.req;
        let terminal_id = self.resolve_terminal(req).await?;
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
        if let Some(holder) = payments::holder_of(self.pool(), req.tenant_id.as_str(), &terminal_id).await? {
            return Err(Error::TerminalBusy { terminal: terminal_id.to_string(), payment: Some(holder.to_string()) });
        }
        let login = self.login(&req.tenant_id).await?;
        self.check_at_nets(req, &login, &terminal_id).await?;
        let now = self.now();
        let timeout = ChronoDuration::from_std(self.config().timeout).unwrap_or(ChronoDuration::MAX);
        let lease = ChronoDuration::from_std(self.config().lease).unwrap_or(ChronoDuration::MAX);
        let mut tx = self.pool().begin().await?;
        if let (Some(purchase), Some(total)) = (b.refund_of, b.ceiling) {
            self.check_ceiling(&mut tx, &req.tenant_id, purchase, total, req.amount).await?;
        }
        let record = PaymentRecord {
            id: Uuid::now_v7(),
            kind: b.kind,
            refund_of: b.refund_of,
            nets_ref: payments::next_nets_ref(&mut tx).await?,
            time_zone: Some(terminal.time_zone),
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
            answer_lost_at: None,
            probes: 0,
        };
        if let Err(e) = payments::insert(&mut tx, &record).await {
            drop(tx);
            if kit::db::is_constraint(&e, payments::ONE_HOLDER) {
                let holder = payments::holder_of(self.pool(), req.tenant_id.as_str(), &terminal_id).await?;
                return Err(Error::TerminalBusy {
                    terminal: terminal_id.to_string(),
                    payment: holder.map(|h| h.to_string()),
                });
            }
            if kit::db::is_constraint(&e, payments::REQUEST_UNIQUE)
                && let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await?
            {
                return same_request(existing, b);
            }
            return Err(e.into());
        }
        if let Some(ws) = &req.workstation_id {
            terminals::set_workstation(&mut tx, &req.tenant_id, ws, &terminal_id, now).await?;
        }
        self.0.outbox.add(&mut tx, bus::payment_event(&record, None, bus::started(b.kind))?).await?;
        tx.commit().await?;
        metrics::counter!(STARTED_TOTAL).increment(1);
        self.0.hub.publish(convert::payment(&record));
        self.spawn_purchase(record.clone(), login);
        Ok((record, true))
    }

    async fn resolve_terminal(&self, req: &StartPayment) -> Result<TerminalId, Error> {
        match (&req.terminal_id, &req.workstation_id) {
            (Some(t), _) => Ok(t.clone()),
            (None, Some(ws)) => match terminals::workstation(self.pool(), &req.tenant_id, ws).await? {
                Some((t, _)) => TerminalId::parse(t).map_err(|e| Error::TerminalUnknown(e.to_string())),
                None => {
                    let mut v = kit::grpc::status::Violations::new();
                    v.add("terminal_id", "is required: the workstation has not used a terminal yet");
                    Err(Error::Invalid(v))
                }
            },
            (None, None) => {
                let mut v = kit::grpc::status::Violations::new();
                v.add("terminal_id", "is required (or a workstation_id that used a terminal before)");
                Err(Error::Invalid(v))
            }
        }
    }

    /// The login lists the terminal (a fresh login once before refusing: the list may be
    /// older than a terminal added at Nets), and its advisory state is not busy or offline.
    async fn check_at_nets(&self, req: &StartPayment, login: &NetsLogin, terminal: &TerminalId) -> Result<(), Error> {
        let mut session = self.nets().session(login, false).await.map_err(nets_error)?;
        if !session.terminals.iter().any(|t| t == terminal.as_str()) {
            session = self.nets().session(login, true).await.map_err(nets_error)?;
        }
        if !session.terminals.iter().any(|t| t == terminal.as_str()) {
            self.start_refused(req, terminal, "TERMINAL_UNKNOWN_AT_NETS: the Nets login does not list the id").await?;
            return Err(Error::TerminalUnknownAtNets(terminal.to_string()));
        }
        match self.nets().terminal_state(login, terminal).await.as_deref() {
            Ok("busy") => Err(Error::TerminalBusy { terminal: terminal.to_string(), payment: None }),
            Ok("offline") => {
                self.start_refused(req, terminal, "TERMINAL_NOT_CONNECTED: terminal offline").await?;
                Err(Error::TerminalNotConnected(terminal.to_string()))
            }
            // Idle, or the advisory call told nothing: the purchase answer tells.
            _ => Ok(()),
        }
    }

    /// Records a failed start on the terminal (troubleshooting, attention after repeats).
    async fn start_refused(&self, req: &StartPayment, terminal: &TerminalId, error: &str) -> Result<(), Error> {
        let now = self.now();
        let mut tx = self.pool().begin().await?;
        let n = terminals::record_failure(&mut tx, &req.tenant_id, terminal, error, now).await?;
        let stub = PaymentRecord {
            id: Uuid::nil(),
            kind: Kind::Purchase,
            refund_of: None,
            nets_ref: String::new(),
            time_zone: None,
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
            answer_lost_at: None,
            probes: 0,
        };
        self.maybe_attention(&mut tx, &stub, terminal, n, error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a manual card payment: stored APPROVED and emitted like any other (TG-05).
    pub async fn record_manual(&self, req: ManualPayment) -> Result<(PaymentRecord, bool), Error> {
        let same = |existing: PaymentRecord| {
            if existing.method == Method::Manual && existing.order_id == req.order_id && existing.amount == req.amount {
                Ok((existing, false))
            } else {
                Err(Error::RequestIdReused(req.request_id.clone()))
            }
        };
        if let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await? {
            return same(existing);
        }
        let now = self.now();
        let record = PaymentRecord {
            id: Uuid::now_v7(),
            kind: Kind::Purchase,
            refund_of: None,
            nets_ref: String::new(),
            time_zone: None,
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
                holds_terminal: false,
                ..Payment::waiting()
            },
            deadline: None,
            owner: None,
            lease_until: None,
            created_at: now,
            updated_at: now,
            answer_lost_at: None,
            probes: 0,
        };
        let mut tx = self.pool().begin().await?;
        if let Err(e) = payments::insert(&mut tx, &record).await {
            drop(tx);
            // The loser of a race on one request id compares like a retry does: it never gets
            // the other request's payment.
            if kit::db::is_constraint(&e, payments::REQUEST_UNIQUE)
                && let Some(existing) = payments::by_request(self.pool(), &req.tenant_id, &req.request_id).await?
            {
                return same(existing);
            }
            return Err(e.into());
        }
        self.0.outbox.add(&mut tx, bus::payment_event(&record, None, bus::MANUAL_RECORDED)?).await?;
        tx.commit().await?;
        metrics::counter!(super::ENDED_TOTAL, "state" => "approved", "reason" => "MANUAL").increment(1);
        Ok((record, true))
    }
}

/// A Nets error before anything was started.
pub(crate) fn nets_error(e: NetsError) -> Error {
    match e {
        NetsError::LoginRefused(t) => Error::NetsLoginFailed(t),
        other => Error::NetsUnavailable(other.to_string()),
    }
}

/// A retried start: the same parameters return the payment, others are refused (TG-31).
fn same_request(existing: PaymentRecord, b: &Begin<'_>) -> Result<(PaymentRecord, bool), Error> {
    let req = b.req;
    let same_terminal = req.terminal_id.as_ref().is_none_or(|t| existing.terminal_id.as_ref() == Some(t));
    if existing.method == Method::Terminal
        && existing.kind == b.kind
        && existing.refund_of == b.refund_of
        && existing.order_id == req.order_id
        && existing.amount == req.amount
        && same_terminal
    {
        Ok((existing, false))
    } else {
        Err(Error::RequestIdReused(req.request_id.clone()))
    }
}
