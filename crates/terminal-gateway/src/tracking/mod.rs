//! The payment engine: starts payments, holds each blocking purchase call, applies what Nets
//! reports through the state machine (row lock → decide → apply → save + outbox → commit →
//! watchers), and recovers payments whose answer or tracker was lost.
//!
//! The payment row is the purchase's intent record: it commits WAITING (with the terminal
//! claimed by the partial unique index) before the terminal is asked. The kit journal is not
//! used for the purchase because it holds a pooled connection (advisory lock) for the length
//! of the call, and a purchase blocks for up to minutes on each of hundreds of terminals; the
//! purchase is never retried anyway — a lost answer is resolved by reading the terminal state
//! and then the last result (refresh), exactly the journal's "probe before retry".

pub mod hub;
mod refresh;
mod start;
mod supervisor;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::fault::FaultPoints;
use proto::payops::events::v1::AttentionSeverity;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

pub use refresh::RefreshResult;
pub use start::{ManualPayment, StartPayment};
pub use supervisor::SweepReport;

use crate::bus;
use crate::domain::payment::{self, Command, Event, State};
use crate::error::Error;
use crate::grpc::convert;
use crate::nets::{NetsClient, NetsLogin};
use crate::store::credentials::{self, Sealer};
use crate::store::payments::{self, PaymentRecord};
use crate::store::terminals;
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

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The customer's time (TG-22).
    pub timeout: Duration,
    /// Wait for the terminal's answer after the timeout.
    pub grace: Duration,
    /// Lease length.
    pub lease: Duration,
    /// Failures in a row that raise attention.
    pub attention_after: i32,
    /// This replica's name.
    pub instance_id: String,
    /// How long CancelPayment waits for the terminal's answer.
    pub cancel_wait: Duration,
}

/// The engine shared by the gRPC adapters and the supervisor.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

/// See [`Engine`].
pub struct Inner {
    pub(crate) pool: PgPool,
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
    /// When this replica last renewed its leases (clock time).
    last_renewal: std::sync::Mutex<Option<DateTime<Utc>>>,
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
            outbox,
            clock,
            nets,
            sealer,
            hub: Hub::default(),
            config,
            faults,
            token,
            tasks: TaskTracker::new(),
            last_renewal: std::sync::Mutex::new(None),
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
    /// events and tells the watchers.
    pub async fn apply(&self, id: Uuid, command: Command) -> Result<Applied, Error> {
        let now = self.now();
        let started = std::time::Instant::now();
        let mut tx = self.0.pool.begin().await?;
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
        for event in events.iter().filter(|e| e.is_visible()) {
            let ev = bus::payment_event(&after, Some(previous), bus::event_type(event))?;
            self.0.outbox.add(&mut tx, ev).await?;
            previous = after.machine.state;
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

    /// Terminal troubleshooting counters and attention events that go with an event.
    async fn bookkeeping(
        &self,
        tx: &mut sqlx::PgConnection,
        p: &PaymentRecord,
        event: &Event,
        streak: i32,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let Some(terminal) = p.terminal_id.as_deref() else { return Ok(()) };
        match event {
            Event::Ended { state: State::Approved, .. } if streak > 0 => {
                terminals::record_success(tx, &p.tenant_id, terminal).await?
            }
            Event::Ended { outcome, .. } if outcome.reason.is_failure() => {
                let text = format!("{}: {}", outcome.reason.as_str(), outcome.detail);
                let n = terminals::record_failure(tx, &p.tenant_id, terminal, &text, now).await?;
                self.maybe_attention(tx, p, terminal, n, &text).await?;
            }
            Event::ApprovedAfterTimeout(card) => {
                let ev = bus::attention(
                    &p.order_id,
                    &format!("late-approval-{}", p.id.simple()),
                    AttentionSeverity::High,
                    &format!("Terminal {terminal} approved a payment after it was reported timed out"),
                    &format!(
                        "Payment {} of {} was closed as timed out, then the terminal reported it approved \
                         (acquirer reference {}). The customer may have paid twice: void it on the terminal or \
                         keep it and cancel the repeat.",
                        p.id, p.amount, card.acquirer_reference
                    ),
                )?;
                self.0.outbox.add(tx, ev).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Raises attention when a terminal's failure streak reaches the threshold (and again at
    /// every further multiple, so a persisting problem adds notes to the same incident).
    pub(crate) async fn maybe_attention(
        &self,
        tx: &mut sqlx::PgConnection,
        p: &PaymentRecord,
        terminal: &str,
        failures: i32,
        last: &str,
    ) -> Result<(), Error> {
        let every = self.0.config.attention_after;
        if failures < every || failures % every != 0 {
            return Ok(());
        }
        let ev = bus::attention(
            &p.order_id,
            &format!("terminal-{terminal}-failures"),
            AttentionSeverity::Medium,
            &format!("Terminal {terminal}: {failures} payments failed in a row"),
            &format!(
                "The last {failures} payments on terminal {terminal} failed or timed out; the latest: {last}. Check that \
                 the terminal is connected to Nets Cloud, that no other payment runs on it, and that its stored id \
                 matches Nets."
            ),
        )?;
        self.0.outbox.add(tx, ev).await?;
        Ok(())
    }

    /// Holds the blocking purchase call for `p` and records its answer.
    pub(crate) fn spawn_purchase(&self, p: PaymentRecord, login: NetsLogin) {
        let engine = self.clone();
        self.0.tasks.spawn(async move {
            let Some(terminal) = p.terminal_id.clone() else { return };
            let nets_ref = p.nets_ref();
            let call = engine.0.nets.purchase(&login, &terminal, p.amount.minor(), &nets_ref);
            let outcome = tokio::select! {
                o = call => o,
                () = engine.0.token.cancelled() => return,
            };
            if engine.0.faults.check(AFTER_PURCHASE).is_err() {
                return;
            }
            let unknown = matches!(outcome, payment::TerminalOutcome::Unknown(_));
            if let Err(e) = engine.apply(p.id, Command::Observe(outcome)).await {
                tracing::warn!(payment = %p.id, error = %e, "recording the purchase answer failed; the supervisor resolves it");
                return;
            }
            if unknown && let Err(e) = engine.refresh_record(p.id).await {
                tracing::info!(payment = %p.id, error = %e, "outcome unknown; the supervisor keeps asking");
            }
        });
    }

    /// Stops taking purchase answers and hands this replica's waiting payments to others.
    pub async fn shutdown(&self) {
        self.0.token.cancel();
        self.0.tasks.close();
        self.0.tasks.wait().await;
        if let Err(e) = payments::release_leases(&self.0.pool, &self.0.config.instance_id).await {
            tracing::warn!(error = %e, "releasing payment leases failed; they expire on their own");
        }
    }

    /// Purchase calls in flight in this replica.
    pub fn purchases_in_flight(&self) -> usize {
        self.0.tasks.len()
    }
}

fn record_metrics(p: &PaymentRecord, events: &[Event], now: DateTime<Utc>) {
    for e in events {
        if let Event::Ended { state, outcome, .. } = e {
            metrics::counter!(ENDED_TOTAL, "state" => state.as_str(), "reason" => outcome.reason.as_str()).increment(1);
            let secs = (now - p.created_at).to_std().unwrap_or_default().as_secs_f64();
            metrics::histogram!(DURATION_SECONDS, "state" => state.as_str()).record(secs);
            if *state == State::Approved {
                metrics::counter!(APPROVED_MINOR_TOTAL, "currency" => p.amount.currency().to_string())
                    .increment(p.amount.minor().unsigned_abs());
            }
        }
    }
}
