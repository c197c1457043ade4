//! Invoices, credit notes and the customer account: pixi packing and shipping (invoice
//! creation), returns (credit notes), payment marks on invoices and customer-account
//! bookings (PX-13, PX-19, PX-25, PX-26).

use chrono::NaiveDateTime;

use super::erp::{ErpError, order_missing};
use super::model::{Booking, BookingSource, DocKind, Document, Install, Line, LineStatus, OrderStatus};

/// A manual booking as `pixiCACreateManualBooking` receives it (all optional: the procedure
/// validates and answers `ReturnCode=ERROR` itself).
#[derive(Debug, Clone, Default)]
pub struct BookingRequest {
    /// `CustKey`.
    pub cust_key: Option<i64>,
    /// `EventID`.
    pub event_id: Option<String>,
    /// `Amount`, minor units.
    pub amount_minor: Option<i64>,
    /// `EventDate`.
    pub event_date: Option<NaiveDateTime>,
    /// `Comment`.
    pub comment: Option<String>,
    /// `MatchToInvoiceNr`.
    pub match_invoice_nr: Option<String>,
    /// `MatchKey`.
    pub match_key: Option<i64>,
    /// `CurrencyId`.
    pub currency_id: Option<i64>,
}

/// A capture mark as `pixiPaySetInvoiceCapture` receives it.
#[derive(Debug, Clone, Default)]
pub struct CaptureMark {
    /// `InvoiceNr`.
    pub invoice_nr: String,
    /// `PayID`.
    pub pay_id: String,
    /// `CaptureSum`, minor units.
    pub capture_minor: i64,
    /// `Success`.
    pub success: bool,
    /// `EventID`.
    pub event_id: Option<String>,
    /// `Message` (credit-card log).
    pub message: String,
    /// `SetRemainingOrdersToHAL`.
    pub remaining_to_hal: bool,
}

impl Install {
    /// Packs (and by default ships) lines: creates an invoice, lines → EIN or AUS.
    pub fn ship(
        &mut self,
        order_nr: i64,
        keys: Option<&[i64]>,
        shipped: bool,
        ignore_lock: bool,
        now: NaiveDateTime,
    ) -> Result<i64, ErpError> {
        let order = self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
        if order.status == OrderStatus::Hold {
            return Err(ErpError::Conflict(format!("order {order_nr} is on HOLD; release it first")));
        }
        let customer_locked = self.customers.get(&order.cust_key).is_some_and(|c| c.locked);
        if !ignore_lock && (order.lock.locked || customer_locked) {
            return Err(ErpError::Conflict(format!("order {order_nr} has a shipping lock")));
        }
        let picked = self.pick_lines(order_nr, keys, &[LineStatus::Ang], "ship")?;
        let first_invoice = !self.docs.values().any(|d| d.order_nr == order_nr && d.kind == DocKind::Invoice);
        let order = self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
        let lines: i64 = order.lines.iter().filter(|l| picked.contains(&l.key)).map(Line::total_minor).sum();
        let ship_cost = if first_invoice { order.ship_cost_minor } else { 0 };
        let (cust_key, shop_id, payment_code) = (order.cust_key, order.shop_id.clone(), order.payment_code.clone());
        let key = self.new_doc(
            DocKind::Invoice,
            order_nr,
            cust_key,
            &shop_id,
            &payment_code,
            picked.clone(),
            lines + ship_cost,
            now,
        );
        if let Some(d) = self.docs.get_mut(&key) {
            d.ship_cost_minor = ship_cost;
            d.shipped = shipped.then_some(now);
        }
        let nr = self.docs.get(&key).map(|d| d.nr.clone());
        let status = if shipped { LineStatus::Aus } else { LineStatus::Ein };
        self.set_lines(order_nr, &picked, status, Some((DocKind::Invoice, key)), now);
        self.record(now, order_nr, "IORDER", nr.clone());
        if shipped {
            self.record(now, order_nr, "SORDER", nr);
        }
        self.refresh_status(order_nr, now);
        Ok(key)
    }

    #[expect(clippy::too_many_arguments, reason = "one document's fields")]
    fn new_doc(
        &mut self,
        kind: DocKind,
        order_nr: i64,
        cust_key: i64,
        shop_id: &str,
        payment_code: &str,
        line_keys: Vec<i64>,
        total_minor: i64,
        now: NaiveDateTime,
    ) -> i64 {
        self.seq.doc_key += 1;
        let key = self.seq.doc_key;
        let pixi_pays = self.payment_methods.get(payment_code).is_some_and(|m| m.auto_paid || m.direct_charge);
        let doc = Document {
            key,
            nr: format!("{}{key:07}", shop_id.to_ascii_uppercase()),
            kind,
            order_nr,
            cust_key,
            line_keys,
            total_minor,
            ship_cost_minor: 0,
            created: now,
            shipped: (kind == DocKind::CreditNote).then_some(now),
            paid_minor: if pixi_pays { total_minor } else { 0 },
            paid_date: pixi_pays.then_some(now),
            paid_by_pixi: pixi_pays,
            captured: false,
            pay_id: None,
            fail_tries: 0,
            ccp_log: Vec::new(),
        };
        self.docs.insert(key, doc);
        key
    }

    /// Ships out an invoice created unshipped: its EIN lines → AUS.
    pub fn ship_out(&mut self, doc_key: i64, now: NaiveDateTime) -> Result<(), ErpError> {
        let doc = self.docs.get_mut(&doc_key).ok_or_else(|| ErpError::NotFound(format!("invoice {doc_key}")))?;
        if doc.kind != DocKind::Invoice || doc.shipped.is_some() {
            return Err(ErpError::Conflict(format!("{} is already shipped", doc.nr)));
        }
        doc.shipped = Some(now);
        let (order_nr, keys, nr) = (doc.order_nr, doc.line_keys.clone(), doc.nr.clone());
        self.set_lines(order_nr, &keys, LineStatus::Aus, None, now);
        self.record(now, order_nr, "SORDER", Some(nr));
        self.refresh_status(order_nr, now);
        Ok(())
    }

    /// Cancels lines (STO or NLB); all open lines when `keys` is `None`.
    pub fn cancel(
        &mut self,
        order_nr: i64,
        keys: Option<&[i64]>,
        status: LineStatus,
        now: NaiveDateTime,
    ) -> Result<usize, ErpError> {
        if !status.is_cancelled() {
            return Err(ErpError::Invalid("status: must be STO or NLB".into()));
        }
        let picked = self.pick_lines(order_nr, keys, &[LineStatus::Hal, LineStatus::Ang], "cancel")?;
        self.set_lines(order_nr, &picked, status, None, now);
        self.refresh_status(order_nr, now);
        Ok(picked.len())
    }

    /// A return: lines → RET and a credit note for their value (or `amount_minor`).
    pub fn credit_note(
        &mut self,
        order_nr: i64,
        keys: &[i64],
        amount_minor: Option<i64>,
        auto_paid: Option<bool>,
        now: NaiveDateTime,
    ) -> Result<i64, ErpError> {
        let picked = if keys.is_empty() {
            if amount_minor.is_none() {
                return Err(ErpError::Invalid("amount_minor: a credit note without lines needs an amount".into()));
            }
            self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
            Vec::new()
        } else {
            self.pick_lines(order_nr, Some(keys), &[LineStatus::Aus], "return")?
        };
        let order = self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
        let value: i64 = order.lines.iter().filter(|l| picked.contains(&l.key)).map(Line::total_minor).sum();
        let amount = amount_minor.unwrap_or(value);
        if amount <= 0 {
            return Err(ErpError::Invalid("amount_minor: must be positive".into()));
        }
        let (cust_key, shop_id, payment_code) = (order.cust_key, order.shop_id.clone(), order.payment_code.clone());
        let key =
            self.new_doc(DocKind::CreditNote, order_nr, cust_key, &shop_id, &payment_code, picked.clone(), amount, now);
        let mut nr = None;
        if let Some(d) = self.docs.get_mut(&key) {
            if let Some(paid) = auto_paid {
                d.paid_by_pixi = paid;
                d.paid_minor = if paid { amount } else { 0 };
                d.paid_date = paid.then_some(now);
            }
            nr = Some(d.nr.clone());
        }
        self.set_lines(order_nr, &picked, LineStatus::Ret, Some((DocKind::CreditNote, key)), now);
        self.record(now, order_nr, "IORDER", nr);
        Ok(key)
    }

    /// An invoice written by hand in customer service (no order lines, e.g. an extra charge),
    /// shipped at once.
    pub fn manual_invoice(&mut self, order_nr: i64, amount_minor: i64, now: NaiveDateTime) -> Result<i64, ErpError> {
        if amount_minor <= 0 {
            return Err(ErpError::Invalid("amount_minor: must be positive".into()));
        }
        let order = self.orders.get(&order_nr).ok_or_else(|| order_missing(order_nr))?;
        let (cust_key, shop_id, payment_code) = (order.cust_key, order.shop_id.clone(), order.payment_code.clone());
        let key =
            self.new_doc(DocKind::Invoice, order_nr, cust_key, &shop_id, &payment_code, Vec::new(), amount_minor, now);
        let nr = self.docs.get_mut(&key).map(|d| {
            d.shipped = Some(now);
            d.nr.clone()
        });
        self.record(now, order_nr, "IORDER", nr.clone());
        self.record(now, order_nr, "SORDER", nr);
        Ok(key)
    }

    /// Misconfiguration (PX-26): pixi marks a document paid by itself.
    pub fn mark_paid(&mut self, doc_key: i64, now: NaiveDateTime) -> Result<(), ErpError> {
        let doc = self.docs.get_mut(&doc_key).ok_or_else(|| ErpError::NotFound(format!("invoice {doc_key}")))?;
        doc.paid_by_pixi = true;
        doc.paid_minor = doc.total_minor;
        doc.paid_date = Some(now);
        Ok(())
    }

    /// Marks an invoice captured (Success=1: paid sum, booking with the event) or resets its
    /// payment (Success=0: paid sum 0, fail counter +1).
    pub fn set_capture(&mut self, mark: &CaptureMark, now: NaiveDateTime) -> Result<(), ErpError> {
        let doc = self
            .doc_by_nr(&mark.invoice_nr)
            .ok_or_else(|| ErpError::NotFound(format!("Invoice {} not found", mark.invoice_nr)))?;
        let (key, order_nr, cust_key, nr) = (doc.key, doc.order_nr, doc.cust_key, doc.nr.clone());
        let event = if mark.success {
            let id = mark
                .event_id
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .ok_or_else(|| ErpError::Invalid("@EventID is mandatory when @Success = 1".into()))?;
            let ev =
                self.booking_events.get(id).ok_or_else(|| ErpError::Invalid(format!("EventID {id} does not exist")))?;
            Some((ev.event_id.clone(), i64::from(ev.sign)))
        } else {
            None
        };
        let doc = self.docs.get_mut(&key).ok_or_else(|| ErpError::NotFound(nr.clone()))?;
        doc.pay_id = Some(mark.pay_id.clone());
        doc.ccp_log.push(mark.message.clone());
        if mark.success {
            doc.captured = true;
            doc.paid_minor = mark.capture_minor;
            doc.paid_date = Some(now);
        } else {
            doc.captured = false;
            doc.paid_by_pixi = false;
            doc.paid_minor = 0;
            doc.paid_date = None;
            doc.fail_tries += 1;
        }
        if let Some((event_id, sign)) = event {
            self.seq.booking_key += 1;
            self.bookings.push(Booking {
                key: self.seq.booking_key,
                cust_key,
                event_id,
                amount_minor: mark.capture_minor,
                effect_minor: sign * mark.capture_minor,
                event_date: now,
                comment: Some(mark.message.clone()),
                match_invoice_nr: Some(nr),
                match_key: None,
                currency_id: None,
                order_nr: Some(order_nr),
                source: BookingSource::Capture,
                created: now,
            });
        }
        if mark.remaining_to_hal {
            self.back_to_hal(order_nr, now);
        }
        Ok(())
    }

    /// Remaining ANG lines go back to HAL; with nothing else shippable the order is HOLD again.
    fn back_to_hal(&mut self, order_nr: i64, now: NaiveDateTime) {
        let Some(order) = self.orders.get(&order_nr) else { return };
        let keys: Vec<i64> = order.lines.iter().filter(|l| l.status == LineStatus::Ang).map(|l| l.key).collect();
        if keys.is_empty() {
            return;
        }
        self.set_lines(order_nr, &keys, LineStatus::Hal, None, now);
        if let Some(order) = self.orders.get_mut(&order_nr)
            && order.status == OrderStatus::Open
            && !order.lines.iter().any(|l| l.status == LineStatus::Ang)
        {
            order.status = OrderStatus::Hold;
            self.record(now, order_nr, "UORDER", None);
        }
    }

    /// Books a manual customer-account event; the error text is pixi's `ErrorMessage`.
    pub fn book(&mut self, req: &BookingRequest, now: NaiveDateTime) -> Result<i64, String> {
        let cust_key = req.cust_key.ok_or("CustKey is required")?;
        if !self.customers.contains_key(&cust_key) {
            return Err(format!("Customer {cust_key} does not exist"));
        }
        let event_id = req.event_id.as_deref().map(str::trim).unwrap_or_default();
        if event_id.is_empty() {
            return Err("EventID is required".into());
        }
        if event_id.chars().count() > 3 {
            return Err(format!("EventID '{event_id}' is too long (max. 3 characters)"));
        }
        let sign = i64::from(
            self.booking_events.get(event_id).ok_or_else(|| format!("EventID {event_id} does not exist"))?.sign,
        );
        let amount = req.amount_minor.ok_or("Amount is required")?;
        if amount == 0 {
            return Err("Amount must not be 0".into());
        }
        let (order_nr, matched) = match req.match_invoice_nr.as_deref().filter(|n| !n.is_empty()) {
            Some(nr) => {
                let doc = self.doc_by_nr(nr).ok_or_else(|| format!("Invoice {nr} does not exist"))?;
                if doc.cust_key != cust_key {
                    return Err(format!("Invoice {nr} does not belong to customer {cust_key}"));
                }
                (Some(doc.order_nr), Some(doc.key))
            }
            None => (None, None),
        };
        // Matching a booking to a document settles it ("Ausgleich"): its paid sum grows by
        // the booked amount, as pixi's open-item matching does.
        if let Some(doc) = matched.and_then(|k| self.docs.get_mut(&k)) {
            doc.paid_minor += amount.abs();
            if doc.paid_minor >= doc.total_minor && doc.paid_date.is_none() {
                doc.paid_date = Some(now);
            }
        }
        self.seq.booking_key += 1;
        let key = self.seq.booking_key;
        self.bookings.push(Booking {
            key,
            cust_key,
            event_id: event_id.to_owned(),
            amount_minor: amount,
            effect_minor: sign * amount,
            event_date: req.event_date.unwrap_or(now),
            comment: req.comment.clone(),
            match_invoice_nr: req.match_invoice_nr.clone().filter(|n| !n.is_empty()),
            match_key: req.match_key,
            currency_id: req.currency_id,
            order_nr,
            source: BookingSource::Manual,
            created: now,
        });
        Ok(key)
    }
}
