//! Syncing one order: under the order's journal scope lock (one worker per order at a time,
//! PX-41), read pixi and unzer, then decide → perform through the journal → apply → commit
//! (progress, movement, history and outbox events in one transaction), until the domain has
//! nothing left to do. A crash anywhere leaves either a journal entry (probed before any
//! retry, PX-40) or an uncommitted step that the next sync decides again under the same key.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::OrderId;
use kit::journal::ScopeLock;

mod execute;
mod schedule;

pub use schedule::{escalation_attempts, follow_delay, retry_delay, state};

use super::api::{ApiCtx, PaymentCfg};
use super::{AFTER_OUTCOME, Worker, incidents};
use crate::bus::{self, Subject};
use crate::domain::decide::{Action, Ctx, Decision, Wait, decide};
use crate::domain::facts::{PaymentFacts, PixiOrder};
use crate::domain::progress::{Event, MoveKind, ProblemNote, Progress, Severity, apply};
use crate::error::Error;
use crate::metrics as m;
use crate::pixi::PixiError;
use crate::store::movements;
use crate::store::orders::{self, Identity};
use crate::unzer::UnzerError;
use execute::{action_name, history_action};
use proto::payops::pixi_sync::v1::OrderRef;

/// How a sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// Nothing left to do now.
    Idle,
    /// A partner call's outcome is unknown or a partner is down: try again later.
    Retry,
    /// Another worker holds the order.
    Busy,
    /// Not an order pixi-sync processes (manual, unconfigured, gone).
    Ignored,
    /// pixi is down: the pass backs off.
    PixiDown(PixiError),
}

/// Most actions in one sync (a safety net; an order needs far fewer).
const MAX_STEPS: usize = 60;

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Syncs order `nr` of `ctx`, in a span of its own: the events it writes carry that span's trace
/// context through the outbox and the bus (OP-05), and its log lines carry the order id (OP-06).
pub async fn sync(w: &Worker, ctx: &ApiCtx, nr: i64) -> Result<Synced, Error> {
    use tracing::Instrument;
    let span = tracing::info_span!("sync_order", otel.name = "pixi-sync sync order", order_id = nr);
    sync_order(w, ctx, nr).instrument(span).await
}

async fn sync_order(w: &Worker, ctx: &ApiCtx, nr: i64) -> Result<Synced, Error> {
    let i = &w.0;
    let scope = format!("{}:{nr}", ctx.api.id);
    let Some(lock) = i.journal.try_lock(&scope).await? else {
        let now = i.clock.now();
        orders::postpone_due(&i.pool, ctx.api.id, nr, after(now, Duration::from_secs(1)), now).await?;
        metrics::counter!(m::ORDERS_SYNCED, "outcome" => "busy").increment(1);
        return Ok(Synced::Busy);
    };
    let result = Run { w, ctx, nr, scope: &scope, lock: &lock, changed: AtomicBool::new(false) }.run().await;
    lock.release().await;
    let outcome = match &result {
        Ok(Synced::Idle) => "idle",
        Ok(Synced::Retry | Synced::PixiDown(_)) => "retry",
        Ok(Synced::Busy) => "busy",
        Ok(Synced::Ignored) => "ignored",
        Err(_) => "error",
    };
    metrics::counter!(m::ORDERS_SYNCED, "outcome" => outcome).increment(1);
    result
}

struct Run<'a> {
    w: &'a Worker,
    ctx: &'a ApiCtx,
    nr: i64,
    scope: &'a str,
    lock: &'a ScopeLock,
    /// Something was committed in this sync (a quiet look starts over).
    changed: AtomicBool,
}

/// What executing one action produced.
enum Step {
    /// An event to apply (with a movement to settle).
    Applied(Event, Option<Settle>),
    /// An incident to record with the `Flagged` event.
    Flag(Event, String),
    /// The outcome is unknown (or a partner is down): retry later.
    Unknown(String, Option<PixiError>),
}

/// Settles a movement in the commit.
struct Settle {
    key: String,
    ok: bool,
    txn_id: Option<String>,
    amount: Option<i64>,
    kind: MoveKind,
}

impl Run<'_> {
    async fn run(&self) -> Result<Synced, Error> {
        let (i, api) = (&self.w.0, self.ctx.api.id);
        let now = i.clock.now();
        let Some(row) = orders::get(&i.pool, api, self.nr).await? else { return Ok(Synced::Ignored) };
        // If this process dies mid-way, the order is due again after the retry delay.
        let attempts = row.attempts;
        orders::schedule(
            &i.pool,
            api,
            self.nr,
            Some(after(now, retry_delay(attempts))),
            attempts,
            row.last_error.as_deref(),
        )
        .await?;
        let mut order = match self.ctx.pixi.order(self.nr).await {
            Ok(Some(o)) => o,
            Ok(None) => return self.ignore().await,
            Err(e) => return self.retry(attempts, &e.to_string(), Some(e)).await,
        };
        if order.is_manual() {
            return self.ignore().await; // PX-20
        }
        let Some(cfg) = self.ctx.config_for(&order.mandant, &order.payment_method) else {
            // PX-27: left alone, without errors on the order; a configuration of the method with
            // another Mandant that never matched is most likely a typo: a tenant incident.
            super::tenant::mandant_mismatch(self.w, self.ctx, &order.payment_method, &order.mandant).await;
            return self.ignore().await;
        };
        if cfg.row.processed == 0 {
            super::tenant::mandant_ok(self.w, self.ctx, &order.payment_method).await;
        }
        let known = &row.progress.0;
        if let Err(e) = self.ctx.pixi.classify_manual(&mut order.docs, |d| known.known_manual(&d.nr)).await {
            return self.retry(attempts, &e.to_string(), Some(e)).await;
        }
        let payment_id = match &order.kk_id {
            Some(id) => Some(id.clone()),
            None => match self.ctx.pixi.import_payment_id(&order.external_nr, &cfg.row.xml_tag).await {
                Ok(id) => id,
                Err(e) => return self.retry(attempts, &e.to_string(), Some(e)).await,
            },
        };
        let mut facts = match self.payment(cfg, payment_id.as_deref()).await {
            Ok(f) => f,
            Err(e) => return self.retry(attempts, &e.to_string(), None).await,
        };
        let mut attempted: BTreeSet<String> =
            i.journal.of_scope(self.scope).await?.into_iter().map(|e| e.key).collect();
        let mut s: Progress = row.progress.0.clone();
        let identity = identity(&order, cfg, payment_id.as_deref(), &facts);
        let subject = Subject {
            order_id: OrderId::parse(self.nr.to_string()).map_err(|e| Error::Corrupt(e.to_string()))?,
            order: OrderRef {
                tenant_id: self.ctx.api.tenant_id.to_string(),
                pixi_api_config_id: api.to_string(),
                order_nr: self.nr,
                payment_id: payment_id.clone().unwrap_or_default(),
            },
            currency: order.currency.clone(),
        };
        if attempts >= escalation_attempts(i.settings.escalate_after) && !s.has_problem("OUTCOME_UNKNOWN", None) {
            // A partner call has stayed unfinished for UNKNOWN_ESCALATE_AFTER: a person looks.
            let note = ProblemNote {
                code: "OUTCOME_UNKNOWN".into(),
                doc: None,
                severity: Severity::Error,
                title: "a partner call stays unfinished".into(),
                description: format!(
                    "after {attempts} attempts pixi-sync still cannot finish a call at pixi or unzer; last error: {}",
                    row.last_error.as_deref().unwrap_or("unknown")
                ),
                flagged: false,
            };
            let event = Event::Problem(note);
            let at = i.clock.now().with_timezone(&self.ctx.tz).format("%Y-%m-%d %H:%M").to_string();
            s = apply(s, &event, &at);
            self.commit(&identity, &subject, &s, &event, None, None).await?;
        }
        for _ in 0..MAX_STEPS {
            let dctx = Ctx {
                scope: self.scope,
                mode: cfg.mode,
                tolerance_minor: cfg.row.tolerance_minor,
                invoice_event: &cfg.row.invoice_event,
                return_event: &cfg.row.return_event,
                attempted: &attempted,
            };
            let action = match decide(&dctx, &order, &facts, &s) {
                Decision::Idle(wait) => return self.idle(&identity, &s, wait, row.quiet_follows).await,
                Decision::Act(a) => a,
            };
            let step = self.execute(cfg, &order, &facts, &s, &action, &mut attempted).await?;
            let unzer_moved = matches!(
                action,
                Action::Charge { .. }
                    | Action::Ship { .. }
                    | Action::Reauthorize { .. }
                    | Action::Reverse { .. }
                    | Action::Refund { .. }
            );
            let at = i.clock.now().with_timezone(&self.ctx.tz).format("%Y-%m-%d %H:%M").to_string();
            match step {
                Step::Unknown(reason, pixi) => {
                    metrics::counter!(m::ACTIONS, "action" => action_name(&action), "outcome" => "unknown")
                        .increment(1);
                    return self.retry(attempts, &reason, pixi).await;
                }
                Step::Applied(event, settle) => {
                    let outcome = if matches!(event, Event::MoveFailed { .. } | Event::PixiRefused { .. }) {
                        "failed"
                    } else {
                        "succeeded"
                    };
                    metrics::counter!(m::ACTIONS, "action" => action_name(&action), "outcome" => outcome).increment(1);
                    if let (Event::Moved { kind, moved, .. }, true) = (&event, unzer_moved)
                        && *kind != MoveKind::Ship
                    {
                        metrics::counter!(m::MONEY_MOVED, "kind" => kind.as_str(), "currency" => order.currency.clone())
                            .increment(u64::try_from(moved.amount_minor).unwrap_or(0));
                    }
                    s = apply(s, &event, &at);
                    self.commit(&identity, &subject, &s, &event, settle, None).await?;
                }
                Step::Flag(event, incident_id) => {
                    s = apply(s, &event, &at);
                    self.commit(&identity, &subject, &s, &event, None, Some(incident_id)).await?;
                }
            }
            if unzer_moved {
                // Read the payment again so the next decision sees what unzer now holds.
                facts = match self.payment(cfg, payment_id.as_deref()).await {
                    Ok(f) => f,
                    Err(e) => return self.retry(attempts, &e.to_string(), None).await,
                };
            }
        }
        tracing::warn!(order_nr = self.nr, "order needed more steps than allowed in one sync; continuing later");
        self.retry(attempts, "too many steps", None).await
    }

    async fn payment(&self, cfg: &PaymentCfg, id: Option<&str>) -> Result<PaymentFacts, UnzerError> {
        let Some(id) = id else { return Ok(PaymentFacts::NoPaymentId) };
        match self.w.0.unzer.payment(&cfg.key, id).await {
            Ok(p) => {
                // The ceilings follow what unzer holds: for a transfer type what the buyer owes
                // on the initial charge or paid (its receipts are charges too; counting both would
                // break the authorisation ceiling), otherwise every live charge.
                let (limit, charged) = match p.initial_charge() {
                    Some(i) => {
                        let held = i.amount_minor.max(p.received_minor());
                        (held.max(p.total_minor), held)
                    }
                    None => {
                        let charged: i64 = p
                            .txns
                            .iter()
                            .filter(|t| {
                                t.kind == crate::domain::facts::TxnKind::Charge
                                    && t.status != crate::domain::facts::TxnStatus::Error
                            })
                            .map(|t| t.amount_minor)
                            .sum();
                        (p.authorization().map_or(p.total_minor, |a| a.amount_minor).max(p.total_minor), charged)
                    }
                };
                orders::sync_money(&self.w.0.pool, self.ctx.api.id, self.nr, limit, charged)
                    .await
                    .map_err(|e| UnzerError::Transient(format!("database: {e}")))?;
                Ok(PaymentFacts::Found(p))
            }
            Err(UnzerError::NotFound) => Ok(PaymentFacts::NotFound(format!("unzer does not know payment {id}"))),
            Err(e) => Err(e),
        }
    }

    async fn ignore(&self) -> Result<Synced, Error> {
        let i = &self.w.0;
        orders::forget_untouched(&i.pool, self.ctx.api.id, self.nr).await?;
        orders::schedule(&i.pool, self.ctx.api.id, self.nr, None, 0, None).await?;
        Ok(Synced::Ignored)
    }

    async fn retry(&self, attempts: i32, reason: &str, pixi: Option<PixiError>) -> Result<Synced, Error> {
        let i = &self.w.0;
        if let Some(PixiError::Contract(c)) = &pixi {
            super::methods::contract_problem(self.w, self.ctx, c).await;
        }
        let next = after(i.clock.now(), retry_delay(attempts));
        orders::schedule(&i.pool, self.ctx.api.id, self.nr, Some(next), attempts + 1, Some(reason)).await?;
        tracing::info!(order_nr = self.nr, attempts = attempts + 1, reason, "order will be retried");
        Ok(match pixi {
            Some(e) if e.is_transient() => Synced::PixiDown(e),
            _ => Synced::Retry,
        })
    }

    /// Nothing to do now: when to look again. A released order is followed (in case pixi's
    /// change feed missed something) after `FOLLOW_INTERVAL`, each further quiet look waiting
    /// twice as long up to `FOLLOW_MAX_INTERVAL`; one with an open error waits for a person and is
    /// not read again until something makes it due (a pixi change, an unzer webhook, "Erneut
    /// versuchen").
    async fn idle(&self, identity: &Identity, s: &Progress, wait: Wait, quiet_follows: i32) -> Result<Synced, Error> {
        let i = &self.w.0;
        let now = i.clock.now();
        // One transaction: the progress, and when to look again (which depends on its problem).
        let mut tx = i.pool.begin().await?;
        let problem =
            orders::save(&mut tx, self.ctx.api.id, self.nr, identity, s, state(s, wait), "none", false, now).await?;
        let quiet = if self.changed.load(Ordering::Relaxed) { 0 } else { quiet_follows.max(0) };
        let (next, follows) = match wait {
            Wait::Payment => (Some(after(now, Duration::from_secs(30))), 0),
            Wait::Funds => (Some(after(now, Duration::from_secs(600).min(i.settings.follow_interval))), 0),
            Wait::Follow if problem == "error" => (None, quiet),
            Wait::Follow => (Some(after(now, follow_delay(&i.settings, quiet))), quiet.saturating_add(1)),
            Wait::Done => (None, 0),
        };
        orders::follow(&mut tx, self.ctx.api.id, self.nr, next, follows).await?;
        tx.commit().await?;
        Ok(Synced::Idle)
    }

    async fn commit(
        &self,
        identity: &Identity,
        subject: &Subject,
        s: &Progress,
        event: &Event,
        settle: Option<Settle>,
        incident: Option<String>,
    ) -> Result<(), Error> {
        let i = &self.w.0;
        i.faults.check(AFTER_OUTCOME).map_err(|e| Error::Unavailable(e.to_string()))?;
        let now = i.clock.now();
        let mut tx = i.pool.begin().await?;
        if let Some(st) = &settle {
            movements::settle(&mut tx, &st.key, st.ok, st.txn_id.as_deref(), st.amount, now).await?;
        }
        let mut problem = "none";
        if let (Some(id), Event::Flagged { index }) = (&incident, event)
            && let Some(p) = s.problems.get(*index)
        {
            problem = if p.severity == Severity::Error { "error" } else { "hint" };
            incidents::record(self.w, &mut tx, self.ctx, self.nr, id, p, subject).await?;
        }
        let payment_type = identity.payment_type.clone();
        for e in bus::of(subject, event, &payment_type)? {
            i.outbox.add(&mut tx, e).await?;
        }
        let wait = if s.completed { Wait::Done } else { Wait::Follow };
        orders::save(&mut tx, self.ctx.api.id, self.nr, identity, s, state(s, wait), problem, true, now).await?;
        orders::history(&mut tx, self.ctx.api.id, self.nr, now, &history_action(event), &s.last_action).await?;
        self.changed.store(true, Ordering::Relaxed);
        tx.commit().await?;
        let _ = settle.map(|st| st.kind);
        Ok(())
    }
}

fn identity(o: &PixiOrder, cfg: &PaymentCfg, payment_id: Option<&str>, facts: &PaymentFacts) -> Identity {
    let payment_type = match facts {
        PaymentFacts::Found(p) => p.kind.as_ref().map(|k| k.name().to_owned()).unwrap_or_else(|_| p.type_id.clone()),
        _ => String::new(),
    };
    let applies = matches!(facts, PaymentFacts::Found(p) if p.kind.as_ref().is_ok_and(|k| k.mode_applies()));
    Identity {
        payment_config_id: Some(cfg.row.id),
        payment_method: o.payment_method.clone(),
        order_nr_external: o.external_nr.clone(),
        payment_id: payment_id.unwrap_or_default().to_owned(),
        payment_type,
        mode: if applies { cfg.mode.as_str().to_owned() } else { "n/a".to_owned() },
        currency: o.currency.clone(),
        order_total_minor: o.total_minor,
        pixi_status: o.status.as_str().to_owned(),
    }
}
