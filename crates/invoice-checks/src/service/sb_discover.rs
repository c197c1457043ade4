//! Orders PostFinance knows and we do not: the customer was authorised at SwissBilling, but
//! neither the browser return nor the post-sale request reached us (the merchant's SwissBilling requirements: "Der Händler
//! erhält dann gleichzeitig einen Transaktionsstatus über PostFinance"; e-Commerce Advanced
//! §9.2.3.4: the post-sale request is the fall-back for an interrupted redirect). Such an order
//! is asked for by ORDERID (DirectLink guide §5.1: "PAYID or ORDERID") — when the shop asks to
//! maintain it, and by the discovery pass for prepared orders that stay without a transaction,
//! with doubling intervals (the guide prohibits "systematic queries to obtain transaction
//! feedback for each transaction"; only orders whose feedback is missing are asked for).
//!
//! And maintenance requests whose outcome stays unknown are handed to a person once (an
//! attention event), after `SWISSBILLING_ESCALATE_AFTER`.

use chrono::Duration as ChronoDuration;
use kit::money::Money;

use super::swissbilling::{SwissBilling, TxView};
use crate::bus;
use crate::error::Error;
use crate::postfinance::hosted::ReturnData;
use crate::postfinance::wire::Verdict;
use crate::postfinance::{CallFailure, Lookup};
use crate::store::sb_maintenance::Attempt;
use crate::store::{sb_maintenance, sb_orders, sb_transactions};

/// Longest interval between two look-ups of one order.
const MAX_INTERVAL_SECS: i64 = 6 * 3600;

impl SwissBilling {
    /// Asks PostFinance by ORDERID about a prepared order that has no transaction here and
    /// records it when PostFinance has one. `Ok(None)`: PostFinance knows no such order (the
    /// customer has not paid, or gave up). The caller holds the order's lock.
    pub(crate) async fn discover(&self, order_id: &str) -> Result<Option<TxView>, Error> {
        let mut conn = self.pool.acquire().await?;
        let prepared =
            sb_orders::get(&mut conn, order_id).await?.ok_or_else(|| Error::NotFound(format!("order {order_id}")))?;
        if sb_transactions::load(&mut conn, order_id, false).await?.is_some() {
            drop(conn);
            return self.view(order_id).await.map(Some);
        }
        drop(conn);
        let tenant = self
            .tenants
            .get(&prepared.tenant)
            .ok_or_else(|| Error::refused("TENANT_UNKNOWN", format!("tenant {} is not configured", prepared.tenant)))?;
        if tenant.env.as_str() != prepared.env {
            return Err(Error::refused("ENVIRONMENT_MISMATCH", "the tenant's environment changed; nothing is sent"));
        }
        let reply = self.client.query(&tenant, &Lookup::OrderId(order_id.to_owned())).await.map_err(unavailable)?;
        match reply.verdict() {
            Verdict::Ok => {}
            Verdict::NotFound => return Ok(None),
            other => {
                return Err(Error::Unavailable(format!(
                    "query by ORDERID answered {} (NCERROR {} {})",
                    other.class(),
                    reply.ncerror,
                    reply.ncerror_plus
                )));
            }
        }
        let found = reply.found_order(order_id).map_err(|e| unavailable(e.into()))?;
        let (payid, status) = (found.payid, found.status);
        let data = ReturnData {
            order_id: found.order_id,
            payid,
            status,
            amount: found.amount,
            pm: found.pm,
            brand: found.brand,
            ncerror: reply.ncerror.clone(),
        };
        let (view, _) = self.record_authorisation(&tenant, &data, "order_query", order_id).await?;
        tracing::info!(order_id, payid, status, "order found at PostFinance by ORDERID (its return was lost)");
        Ok(Some(view))
    }

    /// One discovery pass: prepared orders without a transaction, older than
    /// `discover_after` and younger than `discover_for`, whose next look-up is due. Returns how
    /// many were found.
    pub async fn discover_once(&self) -> Result<usize, Error> {
        let now = self.clock.now();
        let age = |d: std::time::Duration| ChronoDuration::from_std(d).unwrap_or(ChronoDuration::zero());
        let due = sb_orders::without_transaction(
            &self.pool,
            now - age(self.timing.discover_for),
            now - age(self.timing.discover_after),
            now,
            100,
        )
        .await?;
        let mut found = 0;
        for (order_id, lookups) in due {
            let Some(lock) = self.journal.try_lock(&order_id).await? else { continue };
            let r = self.discover(&order_id).await;
            lock.release().await;
            let interval = (age(self.timing.discover_after).num_seconds().max(1))
                .saturating_mul(1_i64 << lookups.clamp(0, 20))
                .min(MAX_INTERVAL_SECS);
            match r {
                Ok(Some(_)) => found += 1,
                Ok(None) => {
                    sb_orders::looked_up(&self.pool, &order_id, now + ChronoDuration::seconds(interval)).await?
                }
                Err(e) => {
                    tracing::warn!(order_id, error = %e, "looking up an order by ORDERID failed; will retry");
                    sb_orders::looked_up(&self.pool, &order_id, now + ChronoDuration::seconds(interval)).await?;
                }
            }
        }
        Ok(found)
    }

    /// Hands a request whose outcome stayed unknown longer than `escalate_after` to a person:
    /// one attention event per request. The resolver keeps asking PostFinance; it never sends
    /// the request again unless PostFinance answered every read and shows no trace of it.
    pub(crate) async fn escalate_if_due(&self, a: &Attempt) -> Result<(), Error> {
        let now = self.clock.now();
        let after = ChronoDuration::from_std(self.timing.escalate_after).unwrap_or(ChronoDuration::zero());
        if now - a.requested_at < after {
            return Ok(());
        }
        let mut db = self.pool.begin().await?;
        let Some(tx) = sb_transactions::load(&mut db, &a.order_id, false).await? else { return Ok(()) };
        if !sb_maintenance::escalate(&mut db, &a.order_id, &a.request_id, now).await? {
            return Ok(());
        }
        let amount = Money::new(a.amount, tx.currency);
        let title = format!("SwissBilling {} on order {}: outcome unknown", a.operation, tx.order_id);
        let description = format!(
            "{} of {} {} on PAYID {} ({} environment), requested {}, has no known outcome: PostFinance could not \
             be asked or its answers do not show whether it took effect. It is sent again only once PostFinance \
             answers every read and shows no trace of it. Check the transaction in the PostFinance back office and record the outcome (RefreshTransaction).",
            a.operation,
            amount.currency(),
            amount.amount_str(),
            tx.payid,
            tx.env.as_str(),
            a.requested_at.format("%Y-%m-%d %H:%M UTC"),
        );
        let incident = format!("swissbilling-maintenance-unknown-{}", a.request_id);
        self.outbox.add(&mut db, bus::attention(&tx, &incident, title, description)?).await?;
        db.commit().await?;
        tracing::warn!(order_id = %a.order_id, request_id = %a.request_id, "maintenance outcome unknown: handed to a person");
        Ok(())
    }
}

fn unavailable(e: CallFailure) -> Error {
    Error::Unavailable(e.to_string())
}
