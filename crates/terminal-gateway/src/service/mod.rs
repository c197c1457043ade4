//! The payment engine: starts payments and refunds, holds each blocking terminal call, applies
//! what Nets reports through the state machine (row lock → decide → apply → save + outbox →
//! commit → watchers), and finds out what a lost answer or a given-up payment did.
//!
//! The payment row is the transaction's intent record: it commits WAITING, holding its
//! terminal (a partial unique index, so across replicas), before the terminal is asked. The
//! kit journal is not used for it because it holds a pooled connection (advisory lock) for the
//! length of the call, and a purchase blocks for up to minutes on each of hundreds of
//! terminals; a purchase is never retried anyway — a lost answer is resolved by a lookup
//! ([`probe`]), exactly the journal's "probe before retry". The row keeps its terminal until
//! Nets told how the transaction ended, so nothing of ours — a next sale, a lookup, a cancel —
//! can hit another transaction of ours on that terminal.

mod attention;
pub mod hub;
mod probe;
mod refresh;
mod refund;
mod registry;
mod start;
mod supervise;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::fault::FaultPoints;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

pub use refresh::RefreshResult;
pub use refund::StartRefund;
pub use start::{ManualPayment, StartPayment};
pub use supervise::SweepReport;

use crate::bus;
use crate::domain::payment::{self, Command, Event, Refusal, State, TerminalOutcome};
use crate::error::Error;
use crate::grpc::convert;
use crate::nets::{NetsClient, NetsError, NetsLogin, Transaction};
use crate::store::credentials::{self, Sealer};
use crate::store::payments::{self, Kind, PaymentRecord};
use hub::Hub;

/// Fault point: the purchase answer arrived, the process dies before recording it.
pub const AFTER_PURCHASE: &str = "terminal_gateway.after_purchase";

/// Payments started, by nothing (one counter).
pub const STARTED_TOTAL: &str = "payops_terminal_payments_started_total";
/// Payments ended, by `state` and `reason`.
pub const ENDED_TOTAL: &str = "payops_terminal_payments_total";
/// Approved amount in minor units, by `currency`.
pub const APPROVED_MINOR_TOTAL: &str = "payops_terminal_payment_approved_minor_total";
/// Start-to-end duration of terminal payments, by `state`.
pub const DURATION_SECONDS: &str = "payops_terminal_payment_duration_seconds";
/// Time from an observation (purchase answer, lookup, request) to its committed change, by
/// nothing: the database part of the approval → watcher latency.
pub const RECORD_SECONDS: &str = "payops_terminal_payment_record_seconds";
/// Payments waiting at a terminal (all replicas), set by each supervisor pass.
pub const WAITING: &str = "payops_terminal_payments_waiting";
/// Late approvals voided automatically, by `result` (voided, refused, unknown).
pub const VOIDS_TOTAL: &str = "payops_terminal_late_approval_voids_total";

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The customer's time (TG-22).
    pub timeout: Duration,
    /// Wait for the terminal's answer after the timeout; then the purchase call is let go.
    pub grace: Duration,
    /// Lease length.
    pub lease: Duration,
    /// Failures in a row that raise attention.
    pub attention_after: i32,
    /// This replica's name.
    pub instance_id: String,
    /// How long CancelPayment waits for the terminal's answer.
    pub cancel_wait: Duration,
    /// Wait after a lost answer before the lookup (NaviPartner: a lookup right after a lost
    /// result does not find it).
    pub lookup_delay: Duration,
    /// How long a payment given up on keeps its terminal without Nets' final word.
    pub hold_limit: Duration,
    /// Payments the supervisor works on at once (a Nets outage must not serialise them).
    pub supervisor_concurrency: usize,
}

/// The engine shared by the gRPC adapters and the supervisor.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

/// See [`Engine`].
pub struct Inner {
    pub(crate) pool: PgPool,
    /// The record lane: [`Engine::apply`]'s transactions only (`DB_RECORD_CONNECTIONS`).
    record_pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) clock: SharedClock,
    pub(crate) nets: NetsClient,
    pub(crate) sealer: Sealer,
    pub(crate) hub: Hub,
    pub(crate) config: EngineConfig,
    pub(crate) faults: FaultPoints,
    /// Cancelled at shutdown: purchase calls are dropped (the terminal keeps going; another
    /// replica resumes tracking once the lease is released).
    token: CancellationToken,
    /// Tracks purchase tasks.
    tasks: TaskTracker,
    /// The held terminal call of each payment this replica started: cancelled to let go of a
    /// call that outlived the payment's timeout plus grace.
    calls: Mutex<HashMap<Uuid, CancellationToken>>,
    /// When this replica last renewed its leases (clock time).
    last_renewal: Mutex<Option<DateTime<Utc>>>,
}

/// What applying a command did.
pub struct Applied {
    /// The payment after the change.
    pub record: PaymentRecord,
    /// The domain events (empty when nothing changed).
    pub events: Vec<Event>,
}

impl Engine {
    /// An engine on the instance's parts.
    #[allow(clippy::too_many_arguments, reason = "wiring of the instance's parts, called once")]
    pub fn new(
        pool: PgPool,
        record_pool: PgPool,
        outbox: Outbox,
        clock: SharedClock,
        nets: NetsClient,
        sealer: Sealer,
        config: EngineConfig,
        faults: FaultPoints,
        token: CancellationToken,
    ) -> Engine {
        Engine(Arc::new(Inner {
            pool,
            record_pool,
            outbox,
            clock,
            nets,
            sealer,
            hub: Hub::default(),
            config,
            faults,
            token,
            tasks: TaskTracker::new(),
            calls: Mutex::new(HashMap::new()),
            last_renewal: Mutex::new(None),
        }))
    }

    /// The watchers' hub.
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    /// The pool.
    pub fn pool(&self) -> &PgPool {
        &self.0.pool
    }

    /// The record lane's pool ([`Engine::apply`]).
    pub fn record_pool(&self) -> &PgPool {
        &self.0.record_pool
    }

    /// The Nets client.
    pub fn nets(&self) -> &NetsClient {
        &self.0.nets
    }

    /// The credential sealer.
    pub fn sealer(&self) -> &Sealer {
        &self.0.sealer
    }

    /// The clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }

    /// The shared clock.
    pub fn clock(&self) -> SharedClock {
        self.0.clock.clone()
    }

    /// Engine settings.
    pub fn config(&self) -> &EngineConfig {
        &self.0.config
    }

    /// The tenant's Nets login.
    pub(crate) async fn login(&self, tenant: &crate::domain::TenantId) -> Result<NetsLogin, Error> {
        credentials::load(&self.0.pool, &self.0.sealer, tenant)
            .await?
            .ok_or_else(|| Error::NetsNotConfigured(tenant.to_string()))
    }

    /// Applies `command` to payment `id` under its row lock; commits the change with its
    /// events and tells the watchers. Runs on the record lane (a pool of its own), so what a
    /// terminal answered is recorded without queueing behind new payments.
    pub async fn apply(&self, id: Uuid, command: Command) -> Result<Applied, Error> {
        let now = self.now();
        let started = std::time::Instant::now();
        let mut tx = self.0.record_pool.begin().await?;
        let (before, streak) =
            payments::lock(&mut tx, id).await?.ok_or_else(|| Error::PaymentUnknown(id.to_string()))?;
        let events = payment::decide(&before.machine, command).map_err(|e| match e {
            payment::DecideError::Finished(s) => Error::PaymentFinished(s),
        })?;
        if events.is_empty() {
            tx.commit().await?;
            return Ok(Applied { record: before, events });
        }
        let machine = events.iter().fold(before.machine.clone(), payment::apply);
        payments::save(&mut tx, id, &machine, now).await?;
        let mut after = before.clone();
        after.machine = machine;
        after.updated_at = now;
        let mut previous = before.machine.state;
        for event in &events {
            if event.is_visible() {
                let ev = bus::payment_event(&after, Some(previous), bus::event_type(event, after.kind))?;
                self.0.outbox.add(&mut tx, ev).await?;
                previous = after.machine.state;
            }
            self.bookkeeping(&mut tx, &after, event, streak, now).await?;
        }
        tx.commit().await?;
        metrics::histogram!(RECORD_SECONDS).record(started.elapsed().as_secs_f64());
        if events.iter().any(Event::is_visible) {
            self.0.hub.publish(convert::payment(&after));
            record_metrics(&after, &events, now);
        }
        Ok(Applied { record: after, events })
    }

    /// Holds the blocking terminal call for `p` and records its answer. The call is let go
    /// at the payment's timeout plus grace ([`Engine::let_go`]): a stalled connection never
    /// keeps the payment (or the caller) waiting for minutes.
    pub(crate) fn spawn_purchase(&self, p: PaymentRecord, login: NetsLogin) {
        let engine = self.clone();
        let let_go = CancellationToken::new();
        self.lock_calls().insert(p.id, let_go.clone());
        self.0.tasks.spawn(async move {
            let Some(terminal) = p.terminal_id.clone() else { return };
            let kind = if p.kind == Kind::Refund { Transaction::ReturnOfGoods } else { Transaction::Purchase };
            let call = engine.0.nets.transaction(&login, &terminal, kind, p.amount.minor(), &p.nets_ref);
            let answer = tokio::select! {
                o = call => Some(o),
                () = let_go.cancelled() => None,
                () = engine.0.token.cancelled() => {
                    engine.lock_calls().remove(&p.id);
                    return;
                }
            };
            engine.lock_calls().remove(&p.id);
            let answered = answer.is_some();
            if answered && engine.0.faults.check(AFTER_PURCHASE).is_err() {
                return;
            }
            let outcome = match answer {
                Some(Ok(o)) => o,
                // Never sent: nothing runs at the terminal.
                Some(Err(NetsError::LoginRefused(t))) => {
                    TerminalOutcome::Refused(Refusal::Rejected, format!("login refused: {t}"))
                }
                Some(Err(NetsError::Unreachable(t))) => {
                    TerminalOutcome::Refused(Refusal::Rejected, format!("Nets unreachable: {t}"))
                }
                Some(Err(e)) => TerminalOutcome::Unknown(e.to_string()),
                None => TerminalOutcome::Unknown("the terminal call was let go at the timeout plus grace".into()),
            };
            let unknown = matches!(outcome, TerminalOutcome::Unknown(_));
            if unknown && let Err(e) = crate::store::holds::answer_lost(&engine.0.pool, p.id, engine.now()).await {
                tracing::warn!(payment = %p.id, error = %e, "noting the lost answer failed");
            }
            if let Err(e) = engine.apply(p.id, Command::Observe(outcome)).await {
                tracing::warn!(payment = %p.id, error = %e, "recording the answer failed; the supervisor resolves it");
                return;
            }
            if unknown && answered {
                // A lookup right after a lost answer does not find it (NaviPartner): wait first.
                tokio::select! {
                    () = tokio::time::sleep(engine.config().lookup_delay) => {}
                    () = engine.0.token.cancelled() => return,
                }
                if let Err(e) = engine.probe(p.id, true).await {
                    tracing::info!(payment = %p.id, error = %e, "outcome unknown; the supervisor keeps asking");
                }
            }
        });
    }

    /// Lets go of this replica's held terminal call for `id` (the payment is resolved by
    /// lookups from now on). True when there was one.
    pub(crate) fn let_go(&self, id: Uuid) -> bool {
        self.lock_calls().remove(&id).map(|t| t.cancel()).is_some()
    }

    fn lock_calls(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, CancellationToken>> {
        self.0.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops taking terminal answers and hands this replica's waiting payments to others.
    pub async fn shutdown(&self) {
        self.0.token.cancel();
        self.0.tasks.close();
        self.0.tasks.wait().await;
        if let Err(e) = payments::release_leases(&self.0.pool, &self.0.config.instance_id).await {
            tracing::warn!(error = %e, "releasing payment leases failed; they expire on their own");
        }
    }

    /// Terminal calls held in this replica.
    pub fn purchases_in_flight(&self) -> usize {
        self.lock_calls().len()
    }
}

fn record_metrics(p: &PaymentRecord, events: &[Event], now: DateTime<Utc>) {
    for e in events {
        match e {
            Event::Ended { state, outcome, .. } => {
                metrics::counter!(ENDED_TOTAL, "state" => state.as_str(), "reason" => outcome.reason.as_str())
                    .increment(1);
                let secs = (now - p.created_at).to_std().unwrap_or_default().as_secs_f64();
                metrics::histogram!(DURATION_SECONDS, "state" => state.as_str()).record(secs);
                if *state == State::Approved && p.kind == Kind::Purchase {
                    metrics::counter!(APPROVED_MINOR_TOTAL, "currency" => p.amount.currency().to_string())
                        .increment(p.amount.minor().unsigned_abs());
                }
            }
            Event::VoidEnded(v) => metrics::counter!(VOIDS_TOTAL, "result" => v.as_str()).increment(1),
            _ => {}
        }
    }
}
