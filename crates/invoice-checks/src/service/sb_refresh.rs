//! Following up SwissBilling transactions: pending and uncertain levels are read again with
//! `querydirect` until they are final (9/8/6) or refused (93/83/63), levels made outside this
//! service are discovered, and maintenance requests whose outcome is unknown are resolved by a
//! probe. The workers run these passes; `RefreshTransaction` runs one for one order.

use chrono::Duration as ChronoDuration;
use kit::journal::ScopeLock;

use super::sb_maintenance::MaintainKind;
use super::swissbilling::{SwissBilling, TxView};
use crate::domain::swissbilling::{Level, Phase, Status};
use crate::error::Error;
use crate::postfinance::Lookup;
use crate::postfinance::operation::new_levels;
use crate::postfinance::wire::Verdict;
use crate::store::{sb_maintenance, sb_transactions};

impl SwissBilling {
    /// Refreshes one order now; returns it and how many levels changed.
    pub async fn refresh(&self, order_id: &kit::OrderId) -> Result<(TxView, usize), Error> {
        let lock = self.journal.lock(order_id).await?;
        let result = self.refresh_locked(&lock, order_id).await;
        lock.release().await;
        Ok((self.view(order_id).await?, result?))
    }

    /// The refresh of one order, under its lock: settle unknown requests, read open levels,
    /// discover new ones.
    pub(crate) async fn refresh_locked(&self, lock: &ScopeLock, order_id: &str) -> Result<usize, Error> {
        let mut conn = self.pool.acquire().await?;
        let attempts = sb_maintenance::of_order(&mut conn, order_id).await?;
        drop(conn);
        let mut open_attempt = false;
        for a in attempts.iter().filter(|a| matches!(a.phase.as_str(), "reserved" | "unknown")) {
            match self.settle(lock, a).await {
                Ok(r) if r.kind == MaintainKind::Unknown => open_attempt = true,
                Ok(_) | Err(Error::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.refresh_levels(order_id, !open_attempt).await
    }

    /// Reads the open levels of `order_id` again and, with `discover`, the levels above the
    /// highest known one. The caller holds the order's lock and has no request in flight when
    /// it asks to discover.
    pub(crate) async fn refresh_levels(&self, order_id: &str, discover: bool) -> Result<usize, Error> {
        let mut conn = self.pool.acquire().await?;
        let Some(tx) = sb_transactions::load(&mut conn, order_id, false).await? else {
            return Err(Error::NotFound(format!("transaction {order_id}")));
        };
        drop(conn);
        let tenant = self
            .tenants
            .get(&tx.tenant)
            .ok_or_else(|| Error::refused("TENANT_UNKNOWN", format!("tenant {} is not configured", tx.tenant)))?;
        if tenant.env != tx.env {
            return Err(Error::refused("ENVIRONMENT_MISMATCH", "the tenant's environment changed; nothing is sent"));
        }
        let mut seen: Vec<Level> = Vec::new();
        for l in tx.levels.iter().filter(|l| matches!(l.status.phase, Phase::Pending | Phase::Uncertain)) {
            let lookup = Lookup::PayId { payid: tx.payid, payidsub: Some(l.payidsub) };
            match self.client.query(&tenant, &lookup).await {
                Ok(r) if r.verdict() == Verdict::Ok => {
                    if let Some(code) = r.status {
                        seen.push(Level { status: Status::of(code), ..l.clone() });
                    }
                }
                Ok(r) => tracing::warn!(order_id, payidsub = l.payidsub, ncerror = %r.ncerror, "query refused"),
                Err(e) => tracing::warn!(order_id, payidsub = l.payidsub, error = %e, "query failed; will retry"),
            }
        }
        // Levels made elsewhere (the back office) — only when no request of ours is open, so a
        // level is never taken for someone else's while our own request may have made it.
        if discover && tx.in_flight.is_empty() {
            match new_levels(&self.client, &tenant, tx.payid, tx.last_payidsub()).await {
                Ok(found) => seen.extend(found.into_iter().map(|f| {
                    let status = Status::of(f.status);
                    Level {
                        payidsub: f.payidsub,
                        kind: status.maintenance_kind(),
                        operation: String::new(),
                        amount: f.amount,
                        status,
                    }
                })),
                Err(e) => tracing::warn!(order_id, error = %e, "discovering new levels failed; will retry"),
            }
        }
        if seen.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        let mut db = self.pool.begin().await?;
        let mut tx = sb_transactions::load(&mut db, order_id, true)
            .await?
            .ok_or_else(|| Error::NotFound(order_id.to_owned()))?;
        let mut changed = 0;
        for level in seen {
            if self.put_level(&mut db, &mut tx, level, "refresh").await? {
                changed += 1;
            }
        }
        sb_transactions::save(&mut db, &tx, now).await?;
        db.commit().await?;
        Ok(changed)
    }

    /// One worker pass over transactions with open levels; returns the levels changed.
    pub async fn refresh_once(&self) -> Result<usize, Error> {
        let mut total = 0;
        for order_id in sb_transactions::with_open_levels(&self.pool, 100).await? {
            let Some(lock) = self.journal.try_lock(&order_id).await? else { continue };
            let r = self.refresh_locked(&lock, &order_id).await;
            lock.release().await;
            match r {
                Ok(n) => total += n,
                Err(e) => tracing::warn!(order_id, error = %e, "refresh failed"),
            }
        }
        Ok(total)
    }

    /// One resolver pass: maintenance requests still open after `resolve_after` are probed
    /// (and only sent again if PostFinance answered every read and has no trace of them); one
    /// still unknown after `escalate_after` goes to a person. Returns how many settled.
    pub async fn resolve_once(&self) -> Result<usize, Error> {
        let before =
            self.clock.now() - ChronoDuration::from_std(self.timing.resolve_after).unwrap_or(ChronoDuration::zero());
        let mut settled = 0;
        for a in sb_maintenance::in_flight(&self.pool, before, 100).await? {
            let Some(lock) = self.journal.try_lock(&a.order_id).await? else { continue };
            let r = self.settle(&lock, &a).await;
            lock.release().await;
            match r {
                Ok(r) if r.kind != MaintainKind::Unknown => settled += 1,
                Ok(_) => self.escalate_if_due(&a).await?,
                Err(Error::Refused(_)) => settled += 1,
                Err(e) => tracing::warn!(order_id = %a.order_id, error = %e, "resolving maintenance failed"),
            }
        }
        Ok(settled)
    }
}
