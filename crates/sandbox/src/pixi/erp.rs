//! The ERP's own behaviour: what pixi does to its records when a shop imports an order, when a
//! pixi user ships, cancels, returns or closes, and when an API call releases, locks, marks
//! paid or books. Every state change lands in the change feed. Pure state code: callers pass
//! the local time.

use chrono::NaiveDateTime;

use super::model::{
    Address, Change, Comment, Customer, DocKind, Install, Item, Line, LineStatus, Order, OrderStatus, ShippingLock,
};
use super::types::SeedOrder;

/// Why the ERP refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErpError {
    /// Unknown order, line or document.
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state.
    #[error("{0}")]
    Conflict(String),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
}

pub(super) fn order_missing(nr: i64) -> ErpError {
    ErpError::NotFound(format!("order {nr}"))
}

impl Install {
    pub(crate) fn record(&mut self, at: NaiveDateTime, order_nr: i64, change_type: &str, param1: Option<String>) {
        self.seq.change += 1;
        let seq = self.seq.change;
        self.changes.push(Change { seq, at, order_nr, change_type: change_type.to_owned(), param1 });
    }

    fn next_addr(&mut self, mut a: Address) -> Address {
        self.seq.addr_key += 1;
        a.key = self.seq.addr_key;
        a
    }

    /// The shop imports an order (with status HOLD unless seeded OPEN).
    pub fn seed_order(&mut self, req: &SeedOrder, now: NaiveDateTime) -> Result<i64, ErpError> {
        if !self.payment_methods.contains_key(&req.payment_code) {
            return Err(ErpError::Invalid(format!("payment_code: unknown payment method {:?}", req.payment_code)));
        }
        if req.lines.is_empty() {
            return Err(ErpError::Invalid("lines: an order needs at least one line".into()));
        }
        if req.lines.iter().any(|l| l.qty <= 0 || l.price_minor < 0) {
            return Err(ErpError::Invalid("lines: qty must be positive and price_minor not negative".into()));
        }
        // A method whose IniOrderStatus is not HAL imports its orders released (PX-26).
        let on_hold = self.payment_methods.get(&req.payment_code).is_none_or(|m| m.ini_status == "HAL");
        let status = req.status.unwrap_or(if on_hold { OrderStatus::Hold } else { OrderStatus::Open });
        if status == OrderStatus::Closed {
            return Err(ErpError::Invalid("status: seed HOLD or OPEN; close through the admin API".into()));
        }
        let order_nr = match req.order_nr {
            Some(n) if self.orders.contains_key(&n) => {
                return Err(ErpError::Conflict(format!("order_nr: order {n} already exists")));
            }
            Some(n) => n,
            None => self.seq.order_nr + 1,
        };
        self.seq.order_nr = self.seq.order_nr.max(order_nr);
        let shop_id = req.shop_id.clone().unwrap_or_else(|| "DEM".into());
        let nr_external = if req.manual {
            format!("P{order_nr}")
        } else {
            req.order_nr_external.clone().unwrap_or_else(|| format!("{}", 500_000 + order_nr))
        };
        let import_payment_id = if req.manual { None } else { req.kk_id.clone() };
        let kk_id = if req.payment_id_in_import_only { None } else { import_payment_id.clone() };
        let cust_key = self.customer_for(req, &shop_id);
        let billing = self.next_addr(req.billing.clone());
        let shipping = self.next_addr(req.shipping.clone().unwrap_or_else(|| req.billing.clone()));
        let line_status = if status == OrderStatus::Hold { LineStatus::Hal } else { LineStatus::Ang };
        let mut lines = Vec::new();
        for l in &req.lines {
            let ean = self.item_for(&l.item_nr, &l.name, l.price_minor, l.ean.as_deref());
            self.seq.line_key += 1;
            lines.push(Line {
                key: self.seq.line_key,
                item_nr: l.item_nr.clone(),
                ean,
                name: l.name.clone(),
                qty: l.qty,
                price_minor: l.price_minor,
                status: line_status,
                invoice_key: None,
                credit_key: None,
                updated: now,
            });
        }
        let lock = if req.locked {
            ShippingLock {
                locked: true,
                reason: req.lock_reason.clone().unwrap_or_default(),
                user: "IMPORT".into(),
                at: Some(now),
            }
        } else {
            ShippingLock::default()
        };
        let keys: Vec<i64> = lines.iter().map(|l| l.key).collect();
        let order = Order {
            order_nr,
            order_nr_external: nr_external,
            mandant: req.mandant.clone().unwrap_or_else(|| shop_id.clone()),
            shop_id,
            payment_code: req.payment_code.clone(),
            kk_id,
            import_payment_id,
            auth_code: None,
            fail_tries: req.fail_tries,
            cust_key,
            billing,
            shipping,
            status,
            lines,
            ship_cost_minor: req.ship_cost_minor,
            currency: req.currency.clone().unwrap_or_else(|| "EUR".into()),
            lock,
            comments: Vec::new(),
            merged: false,
            merged_with: None,
            order_date: req.order_date.unwrap_or(now),
            created: now,
            updated: now,
        };
        self.orders.insert(order_nr, order);
        self.record(now, order_nr, "CORDER", None);
        for k in keys {
            self.record(now, order_nr, "CORDERL", Some(k.to_string()));
        }
        Ok(order_nr)
    }

    fn customer_for(&mut self, req: &SeedOrder, shop_id: &str) -> i64 {
        let nr_external = req.customer_nr_external.clone().unwrap_or_else(|| req.billing.email.clone());
        let existing = match req.cust_key {
            Some(k) => self.customers.get(&k).map(|c| c.cust_key),
            None if !nr_external.is_empty() => self
                .customers
                .values()
                .find(|c| c.nr_external == nr_external && c.shop_id == shop_id)
                .map(|c| c.cust_key),
            None => None,
        };
        if let Some(k) = existing {
            return k;
        }
        let key = req.cust_key.unwrap_or(self.seq.cust_key + 1);
        self.seq.cust_key = self.seq.cust_key.max(key);
        let customer =
            Customer { cust_key: key, shop_id: shop_id.to_owned(), nr_external, locked: false, comments: Vec::new() };
        self.customers.insert(key, customer);
        key
    }

    fn item_for(&mut self, nr: &str, name: &str, price_minor: i64, ean: Option<&str>) -> String {
        if let Some(item) = self.items.get(nr) {
            return item.ean.clone();
        }
        self.seq.item_key += 1;
        let key = self.seq.item_key;
        let ean = ean.map_or_else(|| format!("40{key:011}"), str::to_owned);
        let item = Item { key, nr: nr.to_owned(), ean: ean.clone(), name: name.to_owned(), price_minor };
        self.items.insert(nr.to_owned(), item);
        ean
    }

    fn order_mut(&mut self, nr: i64) -> Result<&mut Order, ErpError> {
        self.orders.get_mut(&nr).ok_or_else(|| order_missing(nr))
    }

    /// Releases a HOLD order: HAL lines → ANG, status OPEN. Returns the lines released.
    pub fn release(&mut self, order_nr: i64, now: NaiveDateTime) -> Result<usize, ErpError> {
        let order = self.order_mut(order_nr)?;
        if order.status != OrderStatus::Hold {
            return Ok(0);
        }
        let mut released = Vec::new();
        for l in order.lines.iter_mut().filter(|l| l.status == LineStatus::Hal) {
            l.status = LineStatus::Ang;
            l.updated = now;
            released.push(l.key);
        }
        order.status = OrderStatus::Open;
        order.updated = now;
        self.record(now, order_nr, "UORDER", None);
        for k in &released {
            self.record(now, order_nr, "UORDERL", Some(k.to_string()));
        }
        self.refresh_status(order_nr, now);
        Ok(released.len())
    }

    /// Sets the line status of `keys` and records the changes.
    pub(super) fn set_lines(
        &mut self,
        order_nr: i64,
        keys: &[i64],
        status: LineStatus,
        doc: Option<(DocKind, i64)>,
        now: NaiveDateTime,
    ) {
        if let Some(order) = self.orders.get_mut(&order_nr) {
            for k in keys {
                if let Some(l) = order.line_mut(*k) {
                    l.status = status;
                    l.updated = now;
                    match doc {
                        Some((DocKind::Invoice, d)) => l.invoice_key = Some(d),
                        Some((DocKind::CreditNote, d)) => l.credit_key = Some(d),
                        None => {}
                    }
                }
            }
            order.updated = now;
        }
        for k in keys {
            self.record(now, order_nr, "UORDERL", Some(k.to_string()));
        }
    }

    /// Closes the order when every line is final.
    pub(super) fn refresh_status(&mut self, order_nr: i64, now: NaiveDateTime) {
        let Some(order) = self.orders.get_mut(&order_nr) else { return };
        if order.status != OrderStatus::Closed && order.lines.iter().all(|l| l.status.is_final()) {
            order.status = OrderStatus::Closed;
            order.updated = now;
            self.record(now, order_nr, "UORDER", None);
        }
    }

    /// Resolves `keys` (all lines in `allowed` when `None`) and checks their status.
    pub(super) fn pick_lines(
        &self,
        order_nr: i64,
        keys: Option<&[i64]>,
        allowed: &[LineStatus],
        what: &str,
    ) -> Result<Vec<i64>, ErpError> {
        let order = self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
        let picked: Vec<i64> = match keys {
            None => order.lines.iter().filter(|l| allowed.contains(&l.status)).map(|l| l.key).collect(),
            Some(keys) => {
                for k in keys {
                    let line = order
                        .lines
                        .iter()
                        .find(|l| l.key == *k)
                        .ok_or_else(|| ErpError::NotFound(format!("line {k} of order {order_nr}")))?;
                    if !allowed.contains(&line.status) {
                        return Err(ErpError::Conflict(format!(
                            "line {k} is {}; cannot {what} it",
                            line.status.as_str()
                        )));
                    }
                }
                keys.to_vec()
            }
        };
        if picked.is_empty() {
            return Err(ErpError::Conflict(format!("order {order_nr} has no line to {what}")));
        }
        Ok(picked)
    }

    /// A pixi user closes the order: lines still HAL or ANG are cancelled (STO), status CLOSED.
    pub fn close(&mut self, order_nr: i64, now: NaiveDateTime) -> Result<(), ErpError> {
        let order = self.order_mut(order_nr)?;
        let open: Vec<i64> = order
            .lines
            .iter()
            .filter(|l| matches!(l.status, LineStatus::Hal | LineStatus::Ang))
            .map(|l| l.key)
            .collect();
        let was_closed = order.status == OrderStatus::Closed;
        order.status = OrderStatus::Closed;
        order.updated = now;
        self.set_lines(order_nr, &open, LineStatus::Sto, None, now);
        if !was_closed {
            self.record(now, order_nr, "UORDER", None);
        }
        Ok(())
    }

    /// A pixi user merges the order with another one (PX-24).
    pub fn merge(&mut self, order_nr: i64, with: Option<i64>, now: NaiveDateTime) -> Result<(), ErpError> {
        if let Some(w) = with {
            let other = self.order_mut(w)?;
            other.merged = true;
            other.merged_with = Some(order_nr);
            other.updated = now;
            self.record(now, w, "UORDER", None);
        }
        let order = self.order_mut(order_nr)?;
        order.merged = true;
        order.merged_with = with;
        order.updated = now;
        self.record(now, order_nr, "UORDER", None);
        Ok(())
    }

    /// Sets or lifts the order's shipping lock. Returns `false` when it already was so.
    pub fn set_lock(
        &mut self,
        order_nr: i64,
        locked: bool,
        reason: Option<&str>,
        user: &str,
        now: NaiveDateTime,
    ) -> Result<bool, ErpError> {
        let order = self.order_mut(order_nr)?;
        if order.lock.locked == locked {
            return Ok(false);
        }
        let reason = match reason.map(str::trim) {
            Some(r) if !r.is_empty() => r.to_owned(),
            _ if locked => format!("Order was locked by {user}"),
            _ => format!("Order was unlocked by {user}"),
        };
        order.lock = ShippingLock { locked, reason, user: user.to_owned(), at: Some(now) };
        order.updated = now;
        self.record(now, order_nr, "UORDER", None);
        Ok(true)
    }

    /// Adds an order comment.
    pub fn comment(&mut self, order_nr: i64, text: &str, user: &str, now: NaiveDateTime) -> Result<i64, ErpError> {
        self.seq.comment_key += 1;
        let key = self.seq.comment_key;
        let order = self.order_mut(order_nr)?;
        order.comments.push(Comment { key, text: text.to_owned(), user: user.to_owned(), at: now });
        Ok(key)
    }

    /// Addresses may change until something is packed or shipped, and never on a closed order.
    pub fn can_change_address(&self, order_nr: i64) -> bool {
        self.orders.get(&order_nr).is_some_and(|o| {
            o.status != OrderStatus::Closed
                && !o.lines.iter().any(|l| matches!(l.status, LineStatus::Ein | LineStatus::Aus | LineStatus::Ret))
        })
    }
}
