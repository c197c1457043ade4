//! SwissBilling maintenance through DirectLink (IC-10 … IC-17), one order at a time under the
//! journal's scope lock:
//!
//! 1. decide against the transaction and the account options (refusals send nothing);
//! 2. reserve the amount: the request row and the committed amounts commit together, the row
//!    lock and the money-ceiling constraints making two concurrent requests unable to both pass;
//! 3. perform through `kit::journal` (key `sb:<order>:<request_id>`, probe `querydirect`);
//! 4. record the outcome: the level (and any level found that this service did not make), the
//!    refusal (amount released, attention event for captures and refunds, IC-16), or "unknown"
//!    (amount stays reserved; the resolver probes before anything is sent again).
//!
//! An order never has two requests with unknown outcome: a new request first settles the old
//! one and is refused (`IN_FLIGHT`) while that stays unknown.

use kit::journal::{Outcome, ScopeLock};
use kit::money::Money;
use sqlx::PgConnection;

use super::swissbilling::{SwissBilling, TxView};
use crate::bus;
use crate::domain::swissbilling::{self as sb, Kind, Level, OpCode, Status, Transaction};
use crate::error::Error;
use crate::postfinance::operation::{self, Applied, MaintenanceCall, MaintenanceRequest, SeenLevel};
use crate::store::sb_maintenance::{self, Attempt};
use crate::store::sb_transactions;

/// Metric: maintenance requests by `operation` and `outcome`.
pub const MAINTENANCE_TOTAL: &str = "payops_invoice_checks_maintenance_total";
/// Metric: levels recorded with a STATUS code not in the table.
pub const UNKNOWN_STATUS_TOTAL: &str = "payops_invoice_checks_unknown_status_total";

/// How a maintenance request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintainKind {
    /// Accepted now.
    Accepted,
    /// Found already done (lost answer or 50001127).
    AlreadyApplied,
    /// Outcome unknown; the amount stays reserved.
    Unknown,
}

/// The result of [`SwissBilling::maintain`].
#[derive(Debug, Clone)]
pub struct MaintainResult {
    /// How it ended.
    pub kind: MaintainKind,
    /// Its level, when known.
    pub level: Option<Level>,
    /// The transaction afterwards.
    pub view: TxView,
}

impl SwissBilling {
    /// Sends `op` (with `amount`, or all that is left) on `order_id`; idempotent on `request_id`.
    pub async fn maintain(
        &self,
        order_id: &kit::OrderId,
        request_id: &str,
        op: OpCode,
        amount: Option<Money>,
    ) -> Result<MaintainResult, Error> {
        let lock = self.journal.lock(order_id).await?;
        let result = self.maintain_locked(&lock, order_id, request_id, op, amount).await;
        lock.release().await;
        let outcome = match &result {
            Ok(r) => match r.kind {
                MaintainKind::Accepted => "accepted",
                MaintainKind::AlreadyApplied => "already_applied",
                MaintainKind::Unknown => "unknown",
            },
            Err(Error::Refused(r)) if r.reason == "POSTFINANCE_REFUSED" => "refused_by_postfinance",
            Err(Error::Refused(_)) => "refused_before_sending",
            Err(_) => "error",
        };
        metrics::counter!(MAINTENANCE_TOTAL, "operation" => op.code(), "outcome" => outcome).increment(1);
        result
    }

    async fn maintain_locked(
        &self,
        lock: &ScopeLock,
        order_id: &kit::OrderId,
        request_id: &str,
        op: OpCode,
        amount: Option<Money>,
    ) -> Result<MaintainResult, Error> {
        let mut conn = self.pool.acquire().await?;
        if let Some(a) = sb_maintenance::get(&mut conn, order_id, request_id).await? {
            drop(conn);
            if a.operation != op.code() || amount.is_some_and(|m| m.minor() != a.amount) {
                return Err(Error::refused(
                    "REQUEST_ID_REUSED",
                    format!("request {request_id} was made for {} of {}", a.operation, a.amount),
                ));
            }
            return self.replay(lock, a).await;
        }
        let earlier_attempts = sb_maintenance::of_order(&mut conn, order_id).await?;
        // No connection is held across a partner call (settling calls PostFinance).
        drop(conn);
        // Settle an earlier request whose outcome is unknown before acting again.
        for earlier in earlier_attempts {
            if matches!(earlier.phase.as_str(), "reserved" | "unknown") {
                match self.settle(lock, &earlier).await {
                    Ok(r) if r.kind == MaintainKind::Unknown => {
                        return Err(Error::refused(
                            "IN_FLIGHT",
                            format!("the outcome of request {} is not known yet; try again later", earlier.request_id),
                        ));
                    }
                    // Settled either way (a refusal of the earlier request is recorded with it).
                    Ok(_) | Err(Error::Refused(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let mut conn = self.pool.acquire().await?;
        let known = sb_transactions::load(&mut conn, order_id, false).await?.is_some();
        drop(conn);
        // The customer may have been authorised while both feedbacks were lost: ask PostFinance
        // by ORDERID before calling the order unknown.
        if !known && self.discover(order_id.as_str()).await?.is_none() {
            return Err(Error::NotFound(format!("transaction {order_id}")));
        }
        let mut db = self.pool.begin().await?;
        let tx = sb_transactions::load(&mut db, order_id, true)
            .await?
            .ok_or_else(|| Error::NotFound(format!("transaction {order_id}")))?;
        let tenant = self
            .tenants
            .get(&tx.tenant)
            .ok_or_else(|| Error::refused("TENANT_UNKNOWN", format!("tenant {} is not configured", tx.tenant)))?;
        if tenant.env != tx.env {
            return Err(Error::refused(
                "ENVIRONMENT_MISMATCH",
                format!(
                    "the transaction lives in {} but tenant {} is configured for {}; nothing was sent",
                    tx.env.as_str(),
                    tenant.name,
                    tenant.env.as_str()
                ),
            ));
        }
        if let Some(m) = amount
            && m.currency() != tx.currency
        {
            return Err(Error::refused("CURRENCY_MISMATCH", format!("the transaction is in {}", tx.currency)));
        }
        let planned = sb::decide(&tx, tenant.options, op, amount.map(|m| m.minor()))?;
        let attempt = Attempt {
            order_id: order_id.to_string(),
            request_id: request_id.to_owned(),
            operation: op.code().to_owned(),
            amount: planned.amount,
            phase: "reserved".into(),
            baseline: tx.last_payidsub(),
            payidsub: None,
            ncerror: String::new(),
            ncerror_plus: String::new(),
            requested_at: self.clock.now(),
        };
        let reserved = sb::maintenance::reserve(&tx, request_id, planned);
        let key = request(&tx, &attempt).key();
        sb_maintenance::reserve(&mut db, &attempt, &key, attempt.requested_at).await?;
        sb_transactions::save(&mut db, &reserved, attempt.requested_at).await.map_err(ceiling)?;
        db.commit().await?;
        self.settle(lock, &attempt).await
    }

    /// The recorded outcome of a repeated request (settling it first if still open).
    async fn replay(&self, lock: &ScopeLock, a: Attempt) -> Result<MaintainResult, Error> {
        let kind = match a.phase.as_str() {
            "accepted" => MaintainKind::Accepted,
            "already_applied" => MaintainKind::AlreadyApplied,
            "refused" => return Err(postfinance_refused(&a.operation, &a.ncerror, &a.ncerror_plus)),
            _ => return self.settle(lock, &a).await,
        };
        let view = self.view(&a.order_id).await?;
        let level = a.payidsub.and_then(|p| view.tx.levels.iter().find(|l| l.payidsub == p).cloned());
        Ok(MaintainResult { kind, level, view })
    }

    /// Performs (or probes) the attempt through the journal and records the outcome.
    pub(crate) async fn settle(&self, lock: &ScopeLock, a: &Attempt) -> Result<MaintainResult, Error> {
        let mut conn = self.pool.acquire().await?;
        let tx = sb_transactions::load(&mut conn, &a.order_id, false)
            .await?
            .ok_or_else(|| Error::NotFound(a.order_id.clone()))?;
        drop(conn);
        let tenant = self
            .tenants
            .get(&tx.tenant)
            .ok_or_else(|| Error::refused("TENANT_UNKNOWN", format!("tenant {} is not configured", tx.tenant)))?;
        if tenant.env != tx.env {
            return Err(Error::refused("ENVIRONMENT_MISMATCH", "the tenant's environment changed; nothing is sent"));
        }
        let call = MaintenanceCall { client: self.client.clone(), tenant, request: request(&tx, a) };
        match self.journal.perform_locked(lock, &call).await? {
            Outcome::Succeeded { output, replayed } => self.record_applied(a, &output, replayed).await,
            Outcome::Failed(reason) => {
                let (code, plus) = operation::refusal_parts(&reason);
                self.record_refused(a, &code, &plus).await?;
                if code == crate::postfinance::wire::NOT_IN_CORRECT_STATUS
                    && let Err(e) = self.refresh_levels(&a.order_id, true).await
                {
                    tracing::warn!(order_id = %a.order_id, error = %e, "refresh after 50001127 failed");
                }
                Err(postfinance_refused(&a.operation, &code, &plus))
            }
            Outcome::Unknown(reason) => {
                let mut db = self.pool.begin().await?;
                sb_maintenance::finish(
                    &mut db,
                    &a.order_id,
                    &a.request_id,
                    "unknown",
                    None,
                    ("", &reason),
                    self.clock.now(),
                )
                .await?;
                db.commit().await?;
                tracing::warn!(order_id = %a.order_id, request_id = %a.request_id, reason, "maintenance outcome unknown; will probe");
                Ok(MaintainResult { kind: MaintainKind::Unknown, level: None, view: self.view(&a.order_id).await? })
            }
        }
    }

    async fn record_applied(&self, a: &Attempt, applied: &Applied, replayed: bool) -> Result<MaintainResult, Error> {
        let now = self.clock.now();
        let op = OpCode::parse(&a.operation).ok_or_else(|| Error::NotFound(format!("operation {}", a.operation)))?;
        let mut db = self.pool.begin().await?;
        let mut tx = sb_transactions::load(&mut db, &a.order_id, true)
            .await?
            .ok_or_else(|| Error::NotFound(a.order_id.clone()))?;
        tx.in_flight.retain(|f| f.request_id != a.request_id);
        let cause = if applied.reconciled || replayed { "reconciliation" } else { "maintenance" };
        for other in &applied.others {
            let status = Status::of(other.status);
            let level = Level {
                payidsub: other.payidsub,
                kind: status.maintenance_kind(),
                operation: String::new(),
                amount: other.amount,
                status,
            };
            self.put_level(&mut db, &mut tx, level, "reconciliation").await?;
        }
        let ours = level_of(op, applied.ours);
        self.put_level(&mut db, &mut tx, ours.clone(), cause).await?;
        let already = applied.reconciled || replayed;
        let phase = if already { "already_applied" } else { "accepted" };
        sb_maintenance::finish(&mut db, &a.order_id, &a.request_id, phase, Some(ours.payidsub), ("", ""), now).await?;
        sb_transactions::save(&mut db, &tx, now).await.map_err(ceiling)?;
        db.commit().await?;
        let kind = if already { MaintainKind::AlreadyApplied } else { MaintainKind::Accepted };
        Ok(MaintainResult { kind, level: Some(ours), view: self.view(&a.order_id).await? })
    }

    async fn record_refused(&self, a: &Attempt, code: &str, plus: &str) -> Result<(), Error> {
        let now = self.clock.now();
        let mut db = self.pool.begin().await?;
        let mut tx = sb_transactions::load(&mut db, &a.order_id, true)
            .await?
            .ok_or_else(|| Error::NotFound(a.order_id.clone()))?;
        tx.in_flight.retain(|f| f.request_id != a.request_id);
        sb_maintenance::finish(&mut db, &a.order_id, &a.request_id, "refused", None, (code, plus), now).await?;
        sb_transactions::save(&mut db, &tx, now).await.map_err(ceiling)?;
        self.outbox.add(&mut db, bus::maintenance_refused(&tx, &a.operation, a.amount, code, plus)?).await?;
        let kind = OpCode::parse(&a.operation).map_or(Kind::Other, OpCode::kind);
        let why = format!("PostFinance answered NCERROR {code} {plus}");
        if let Some(e) = bus::refused_money_attention(&tx, kind, &a.request_id, &a.operation, a.amount, &why)? {
            self.outbox.add(&mut db, e).await?;
        }
        db.commit().await?;
        Ok(())
    }

    /// Records `level` in `tx` and the database, with its event (and attention for a capture or
    /// refund the acquirer refused, IC-16) when it is new or its status changed.
    pub(crate) async fn put_level(
        &self,
        db: &mut PgConnection,
        tx: &mut Transaction,
        level: Level,
        cause: &str,
    ) -> Result<bool, Error> {
        let known = tx.levels.iter().any(|l| l.payidsub == level.payidsub);
        let changed = tx.record(level.clone()).is_some() || !known;
        if !changed {
            return Ok(false);
        }
        let stored = tx.levels.iter().find(|l| l.payidsub == level.payidsub).cloned().unwrap_or(level);
        if !stored.status.known {
            metrics::counter!(UNKNOWN_STATUS_TOTAL).increment(1);
            tracing::warn!(order_id = %tx.order_id, payidsub = stored.payidsub, status = stored.status.code,
                "STATUS code not in the table: kept as received and flagged");
        }
        sb_transactions::upsert_level(db, tx.order_id.as_str(), &stored, self.clock.now()).await?;
        self.outbox.add(db, bus::level_changed(tx, &stored, cause)?).await?;
        if stored.status.phase == sb::Phase::Refused {
            let why = format!("the acquirer refused it (STATUS {} {})", stored.status.code, stored.status.name);
            let op =
                if stored.operation.is_empty() { stored.kind.as_str().to_owned() } else { stored.operation.clone() };
            if let Some(e) =
                bus::refused_money_attention(tx, stored.kind, &stored.payidsub.to_string(), &op, stored.amount, &why)?
            {
                self.outbox.add(db, e).await?;
            }
        }
        Ok(true)
    }
}

fn request(tx: &Transaction, a: &Attempt) -> MaintenanceRequest {
    MaintenanceRequest {
        tenant: tx.tenant.clone(),
        order_id: a.order_id.clone(),
        request_id: a.request_id.clone(),
        payid: tx.payid,
        operation: a.operation.clone(),
        amount: a.amount,
        currency: tx.currency.to_string(),
        baseline: a.baseline,
    }
}

fn level_of(op: OpCode, seen: SeenLevel) -> Level {
    Level {
        payidsub: seen.payidsub,
        kind: op.kind(),
        operation: op.code().to_owned(),
        amount: seen.amount,
        status: Status::of(seen.status),
    }
}

fn postfinance_refused(operation: &str, code: &str, plus: &str) -> Error {
    Error::refused(
        "POSTFINANCE_REFUSED",
        format!("PostFinance refused {operation}: NCERROR {code} {plus}").trim().to_owned(),
    )
}

/// A broken money ceiling in the database is a refusal, not a crash.
fn ceiling(e: sqlx::Error) -> Error {
    if kit::db::is_constraint(&e, sb_transactions::CAPTURE_CEILING) {
        Error::refused("AMOUNT_EXCEEDS_AUTHORISED", "the database refused: captures would exceed the authorised amount")
    } else if kit::db::is_constraint(&e, sb_transactions::REFUND_CEILING) {
        Error::refused("AMOUNT_EXCEEDS_CAPTURED", "the database refused: refunds would exceed the captured amount")
    } else {
        Error::Db(e)
    }
}
