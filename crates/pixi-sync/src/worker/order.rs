//! Syncing one order: under the order's journal scope lock (one worker per order at a time,
//! PX-41), read pixi and unzer, then decide → perform through the journal → apply → commit
//! (progress, movement, history and outbox events in one transaction), until the domain has
//! nothing left to do. A crash anywhere leaves either a journal entry (probed before any
//! retry, PX-40) or an uncommitted step that the next sync decides again under the same key.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kit::OrderId;
use kit::journal::{Outcome, ScopeLock};

use super::api::{ApiCtx, PaymentCfg};
use super::ops::{OpOutput, OpRequest, OpSpec, PartnerOp};
use super::{AFTER_OUTCOME, Worker, incidents};
use crate::bus::{self, Subject};
use crate::domain::decide::{Action, Ctx, Decision, Wait, decide};
use crate::domain::facts::{PaymentFacts, PixiOrder};
use crate::domain::progress::{
    Event, LockPurpose, MoveKind, Moved, PixiWrite, ProblemNote, Progress, Purpose, Severity, apply,
};
use crate::error::Error;
use crate::metrics as m;
use crate::pixi::PixiError;
use crate::store::orders::{self, Identity, Reserve};
use crate::unzer::UnzerError;
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

/// The number of consecutive failed tries after which the retries have lasted `after`.
pub fn escalation_attempts(after: Duration) -> i32 {
    let mut total = Duration::ZERO;
    for k in 0..1000 {
        total += retry_delay(k);
        if total >= after {
            return k + 1;
        }
    }
    1000
}

/// Backoff after `attempts` failed tries: 10 s doubling, at most 10 minutes.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 6)).unwrap_or(0);
    (Duration::from_secs(10) * 2u32.pow(exp)).min(Duration::from_secs(600))
}

/// Syncs order `nr` of `ctx`.
pub async fn sync(w: &Worker, ctx: &ApiCtx, nr: i64) -> Result<Synced, Error> {
    let i = &w.0;
    let scope = format!("{}:{nr}", ctx.api.id);
    let Some(lock) = i.journal.try_lock(&scope).await? else {
        let now = i.clock.now();
        sqlx::query(
            "UPDATE orders SET next_check_at = $3 WHERE pixi_api_id = $1 AND order_nr = $2 AND next_check_at <= $4",
        )
        .bind(ctx.api.id)
        .bind(nr)
        .bind(after(now, Duration::from_secs(1)))
        .bind(now)
        .execute(&i.pool)
        .await?;
        metrics::counter!(m::ORDERS_SYNCED, "outcome" => "busy").increment(1);
        return Ok(Synced::Busy);
    };
    let result = Run { w, ctx, nr, scope: &scope, lock: &lock }.run().await;
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
        let order = match self.ctx.pixi.order(self.nr).await {
            Ok(Some(o)) => o,
            Ok(None) => return self.ignore().await,
            Err(e) => return self.retry(attempts, &e.to_string(), Some(e)).await,
        };
        if order.is_manual() {
            return self.ignore().await; // PX-20
        }
        let Some(cfg) = self.ctx.config_for(&order.mandant, &order.payment_method) else {
            return self.ignore().await; // PX-27: left alone, without errors
        };
        let payment_id = match &order.kk_id {
            Some(id) => Some(id.clone()),
            None => match self.ctx.pixi.import_payment_id(self.nr, &cfg.row.xml_tag).await {
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
                Decision::Idle(wait) => return self.idle(&identity, &s, wait).await,
                Decision::Act(a) => a,
            };
            let step = self.execute(cfg, &order, &facts, &s, &action, &mut attempted).await?;
            let unzer_moved = matches!(
                action,
                Action::Charge { .. } | Action::Ship { .. } | Action::Reverse { .. } | Action::Refund { .. }
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
                let charged: i64 = p
                    .txns
                    .iter()
                    .filter(|t| {
                        t.kind == crate::domain::facts::TxnKind::Charge
                            && t.status != crate::domain::facts::TxnStatus::Error
                    })
                    .map(|t| t.amount_minor)
                    .sum();
                let limit = p.authorization().map_or(p.total_minor, |a| a.amount_minor).max(p.total_minor);
                orders::sync_money(&self.w.0.pool, self.ctx.api.id, self.nr, limit, charged)
                    .await
                    .map_err(|e| UnzerError::Unavailable(e.to_string()))?;
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
        let next = after(i.clock.now(), retry_delay(attempts));
        orders::schedule(&i.pool, self.ctx.api.id, self.nr, Some(next), attempts + 1, Some(reason)).await?;
        tracing::info!(order_nr = self.nr, attempts = attempts + 1, reason, "order will be retried");
        Ok(match pixi {
            Some(e) if e.is_transient() => Synced::PixiDown(e),
            _ => Synced::Retry,
        })
    }

    async fn idle(&self, identity: &Identity, s: &Progress, wait: Wait) -> Result<Synced, Error> {
        let i = &self.w.0;
        let now = i.clock.now();
        let next = match wait {
            Wait::Payment => Some(after(now, Duration::from_secs(30))),
            Wait::Funds => Some(after(now, Duration::from_secs(600).min(i.settings.follow_interval))),
            Wait::Follow => Some(after(now, i.settings.follow_interval)),
            Wait::Done => None,
        };
        let mut tx = i.pool.begin().await?;
        orders::save(&mut tx, self.ctx.api.id, self.nr, identity, s, state(s, wait), "none", now).await?;
        tx.commit().await?;
        orders::schedule(&i.pool, self.ctx.api.id, self.nr, next, 0, None).await?;
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
            orders::settle(&mut tx, &st.key, st.ok, st.txn_id.as_deref(), st.amount, now).await?;
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
        orders::save(&mut tx, self.ctx.api.id, self.nr, identity, s, state(s, wait), problem, now).await?;
        orders::history(&mut tx, self.ctx.api.id, self.nr, now, &history_action(event), &s.last_action).await?;
        tx.commit().await?;
        let _ = settle.map(|st| st.kind);
        Ok(())
    }

    async fn perform(
        &self,
        cfg: &PaymentCfg,
        key: &str,
        spec: OpSpec,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Outcome<OpOutput>, Error> {
        let i = &self.w.0;
        let op = PartnerOp {
            key: key.to_owned(),
            scope: self.scope.to_owned(),
            request: OpRequest { pixi_api_id: self.ctx.api.id, payment_config_id: cfg.row.id, spec },
            pixi: &self.ctx.pixi,
            unzer: &i.unzer,
            private_key: &cfg.key,
        };
        attempted.insert(key.to_owned());
        Ok(i.journal.perform_locked(self.lock, &op).await?)
    }

    #[allow(clippy::too_many_lines, reason = "one match over the actions")]
    async fn execute(
        &self,
        cfg: &PaymentCfg,
        o: &PixiOrder,
        facts: &PaymentFacts,
        s: &Progress,
        action: &Action,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Step, Error> {
        let payment_id = match facts {
            PaymentFacts::Found(p) => p.id.clone(),
            _ => o.kk_id.clone().unwrap_or_default(),
        };
        let pixi_step = |outcome: Outcome<OpOutput>, ok: Event, what: PixiWrite, doc: Option<String>| match outcome {
            Outcome::Succeeded { .. } => Step::Applied(ok, None),
            Outcome::Failed(reason) => Step::Applied(Event::PixiRefused { what, doc, reason }, None),
            Outcome::Unknown(reason) => Step::Unknown(reason, Some(PixiError::Unavailable("outcome unknown".into()))),
        };
        Ok(match action {
            Action::Record(e) => Step::Applied(e.clone(), None),
            Action::Flag { index, problem } => {
                let id = crate::domain::incident::incident_id(
                    &self.ctx.api.id.to_string(),
                    self.nr,
                    &problem.code,
                    problem.doc.as_deref(),
                );
                Step::Flag(Event::Flagged { index: *index }, id)
            }
            Action::Comment { key, keys, text } => {
                let journal_key =
                    format!("comment:{}:{}+{}", self.scope, key.trim_start_matches("comment:"), keys.len());
                let spec = OpSpec::Comment { order_nr: self.nr, text: text.clone() };
                let out = self.perform(cfg, &journal_key, spec, attempted).await?;
                match out {
                    Outcome::Unknown(reason) => Step::Unknown(reason, Some(PixiError::Unavailable("comment".into()))),
                    // A refused comment is dropped: it must not block the order.
                    _ => Step::Applied(Event::Commented { keys: keys.clone() }, None),
                }
            }
            Action::Release { key, accepted, auth_code, message } => {
                let spec = OpSpec::Release {
                    order_nr: self.nr,
                    accepted: *accepted,
                    shop_id: o.shop_id.clone(),
                    external_nr: o.external_nr.clone(),
                    auth_id: payment_id.clone(),
                    auth_code: auth_code.clone(),
                    message: message.clone(),
                };
                let locked = s.locked_by_us && !s.prepay_lifted;
                pixi_step(
                    self.perform(cfg, key, spec, attempted).await?,
                    Event::Released { locked },
                    PixiWrite::Release,
                    None,
                )
            }
            Action::SetLock { key, locked, purpose, reason } => {
                let spec = OpSpec::Lock { order_nr: self.nr, locked: *locked, reason: reason.clone() };
                let what = match purpose {
                    LockPurpose::Refused => PixiWrite::LockRefused,
                    LockPurpose::Prepayment => PixiWrite::LockPrepayment,
                    LockPurpose::Lift => PixiWrite::LockLift,
                };
                let ok = Event::LockChanged { locked: *locked, purpose: *purpose, reason: reason.clone() };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, what, None)
            }
            Action::WriteBank { key, bank } => {
                let spec = OpSpec::Bank { order_nr: self.nr, bank: bank.clone() };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, Event::BankWritten, PixiWrite::Bank, None)
            }
            Action::MarkCaptured { key, invoice, amount_minor, pay_id, event } => {
                let spec = OpSpec::CaptureMark {
                    order_nr: self.nr,
                    invoice: invoice.clone(),
                    amount_minor: *amount_minor,
                    pay_id: pay_id.clone(),
                    pay_code: o.payment_method.clone(),
                    event: event.clone(),
                    message: format!(
                        "payops: {} captured at unzer ({payment_id})",
                        crate::domain::progress::format_minor(*amount_minor)
                    ),
                };
                let ok = Event::InvoiceBalanced { invoice: invoice.clone(), amount_minor: *amount_minor };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, PixiWrite::Balance, Some(invoice.clone()))
            }
            Action::BookReturn { key, credit, amount_minor, event } => {
                let spec = OpSpec::Booking {
                    order_nr: self.nr,
                    cust_key: o.cust_key,
                    credit: credit.clone(),
                    amount_minor: *amount_minor,
                    event: event.clone(),
                    comment: format!("payops: credit note {credit} refunded at unzer ({payment_id})"),
                    at: self.w.0.clock.now().with_timezone(&self.ctx.tz).naive_local(),
                };
                let ok = Event::CreditBooked { credit: credit.clone(), amount_minor: *amount_minor };
                pixi_step(self.perform(cfg, key, spec, attempted).await?, ok, PixiWrite::Book, Some(credit.clone()))
            }
            Action::Charge { key, purpose, amount_minor, invoice_id } => {
                let spec = OpSpec::Charge {
                    payment_id: payment_id.clone(),
                    amount_minor: *amount_minor,
                    invoice_id: invoice_id.clone(),
                };
                self.money(cfg, o, key, purpose, MoveKind::Charge, *amount_minor, spec, attempted).await?
            }
            Action::Ship { key, invoice } => {
                let spec = OpSpec::Ship { payment_id: payment_id.clone(), invoice_id: invoice.clone() };
                self.money(cfg, o, key, &Purpose::Invoice(invoice.clone()), MoveKind::Ship, 0, spec, attempted).await?
            }
            Action::Reverse { key, purpose, amount_minor } => {
                let spec = OpSpec::Reverse { payment_id: payment_id.clone(), amount_minor: *amount_minor };
                self.money(cfg, o, key, purpose, MoveKind::Reverse, *amount_minor, spec, attempted).await?
            }
            Action::Refund { key, purpose, charge_id, amount_minor, reason } => {
                let spec = OpSpec::Refund {
                    payment_id: payment_id.clone(),
                    charge_id: charge_id.clone(),
                    amount_minor: *amount_minor,
                    reason: (*reason).to_owned(),
                };
                self.money(cfg, o, key, purpose, MoveKind::Refund, *amount_minor, spec, attempted).await?
            }
        })
    }

    /// A money movement: reserve under the ceilings, perform through the journal, settle.
    #[allow(clippy::too_many_arguments, reason = "one movement")]
    async fn money(
        &self,
        cfg: &PaymentCfg,
        o: &PixiOrder,
        key: &str,
        purpose: &Purpose,
        kind: MoveKind,
        amount: i64,
        spec: OpSpec,
        attempted: &mut BTreeSet<String>,
    ) -> Result<Step, Error> {
        let i = &self.w.0;
        let reserve = orders::reserve(
            &i.pool,
            key,
            self.ctx.api.id,
            self.nr,
            kind,
            &purpose.document(),
            amount,
            &o.currency,
            i.clock.now(),
        )
        .await?;
        if let Reserve::Ceiling(c) = reserve {
            let reason = format!("refused by pixi-sync: the amount would break the money ceiling ({c})");
            return Ok(Step::Applied(
                Event::MoveFailed { purpose: purpose.clone(), kind, key: key.to_owned(), reason, expired: false },
                None,
            ));
        }
        let out = self.perform(cfg, key, spec, attempted).await?;
        Ok(match out {
            Outcome::Succeeded { output, .. } => {
                let moved = Moved {
                    key: key.to_owned(),
                    txn_id: output.txn_id.clone(),
                    amount_minor: if kind == MoveKind::Ship { 0 } else { output.amount_minor },
                };
                let settle = Settle {
                    key: key.to_owned(),
                    ok: true,
                    txn_id: Some(output.txn_id),
                    amount: Some(moved.amount_minor),
                    kind,
                };
                Step::Applied(Event::Moved { purpose: purpose.clone(), kind, moved }, Some(settle))
            }
            Outcome::Failed(reason) => {
                let expired = reason.to_ascii_lowercase().contains("expired");
                let settle = Settle { key: key.to_owned(), ok: false, txn_id: None, amount: None, kind };
                Step::Applied(
                    Event::MoveFailed { purpose: purpose.clone(), kind, key: key.to_owned(), reason, expired },
                    Some(settle),
                )
            }
            Outcome::Unknown(reason) => Step::Unknown(reason, None),
        })
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

/// The dashboard state of an order.
pub fn state(s: &Progress, wait: Wait) -> &'static str {
    if s.has_problem("MERGED", None) {
        "not_processed"
    } else if s.released.is_none() {
        "waiting"
    } else if s.completed && wait == Wait::Done {
        "completed"
    } else if s.released.as_ref().is_some_and(|r| r.locked) && !s.prepay_lifted {
        "locked"
    } else {
        "released"
    }
}

fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Release { .. } => "release",
        Action::SetLock { .. } => "lock",
        Action::WriteBank { .. } => "bank",
        Action::MarkCaptured { .. } => "capture_mark",
        Action::BookReturn { .. } => "booking",
        Action::Comment { .. } => "comment",
        Action::Charge { .. } => "charge",
        Action::Ship { .. } => "shipment",
        Action::Reverse { .. } => "reversal",
        Action::Refund { .. } => "refund",
        Action::Flag { .. } => "flag",
        Action::Record(_) => "record",
    }
}

fn history_action(e: &Event) -> String {
    match e {
        Event::Released { locked: true } => "released with lock".into(),
        Event::Released { .. } => "released".into(),
        Event::ReleasedExternally => "released in pixi".into(),
        Event::Refusal { code, .. } => format!("refused: {code}"),
        Event::LockChanged { locked, .. } => {
            if *locked {
                "lock set".into()
            } else {
                "lock lifted".into()
            }
        }
        Event::BankWritten => "transfer data written".into(),
        Event::Moved { kind, purpose, .. } => format!("{} {}", kind.as_str(), purpose.document()),
        Event::MoveFailed { kind, purpose, .. } => format!("{} {} failed", kind.as_str(), purpose.document()),
        Event::SumChecked { invoice } => format!("sum checked {invoice}"),
        Event::SumExceeded { invoice, .. } => format!("sum exceeded {invoice}"),
        Event::InvoiceBalanced { invoice, .. } => format!("balanced {invoice}"),
        Event::CreditBooked { credit, .. } => format!("booked {credit}"),
        Event::PixiRefused { what, .. } => format!("pixi refused {}", what.describe()),
        Event::Commented { .. } => "comment written".into(),
        Event::Problem(p) => format!("problem {}", p.code),
        Event::Flagged { .. } => "incident flagged".into(),
        Event::ManualBalance { .. } => "manual balance needed".into(),
        Event::Completed => "completed".into(),
    }
}
