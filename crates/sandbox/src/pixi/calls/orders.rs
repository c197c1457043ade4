//! Order calls: header, lines, totals, the change feed and release.

use super::super::model::{Install, Order};
use super::super::params::{Args, Ty, opt, opt_since, req};
use super::super::wire::{Fault, Row};
use super::{Call, Ctx, Sets, null, resolve, row_count, same, vat_high, yn};

pub(super) const GET_ORDER_HEADER: Call = Call {
    name: "pixiGetOrderHeader",
    params: &[
        opt("ShopID", Ty::Str),
        opt("CustKey", Ty::Int),
        opt("OrderNr", Ty::Int),
        opt("FromTime", Ty::DateTime),
        opt("RowCount", Ty::Int),
        opt("UntilTime", Ty::DateTime),
        opt("PaymentType", Ty::Str),
        opt_since("FromUpdateTime", Ty::DateTime, [8, 4, 43, 34931]),
        opt("OrderNrExternal", Ty::Str),
        opt("ShippingCountry", Ty::Str),
    ],
    run: order_header,
};

fn order_header(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let nr = a.int("OrderNr").filter(|n| *n != 0);
    let rows = candidates(inst, nr)
        .filter(|o| a.text("OrderNrExternal").is_none_or(|e| o.order_nr_external == e))
        .filter(|o| a.text("ShopID").is_none_or(|s| same(s, &o.shop_id)))
        .filter(|o| a.int("CustKey").is_none_or(|k| o.cust_key == k))
        .filter(|o| a.text("PaymentType").is_none_or(|p| same(p, &o.payment_code)))
        .filter(|o| a.text("ShippingCountry").is_none_or(|c| same(c, &o.shipping.country)))
        .filter(|o| a.datetime("FromTime").is_none_or(|t| o.order_date >= t))
        .filter(|o| a.datetime("UntilTime").is_none_or(|t| o.order_date <= t))
        .filter(|o| a.datetime("FromUpdateTime").is_none_or(|t| o.updated >= t))
        .take(row_count(a, 1000))
        .map(|o| header_row(inst, o))
        .collect();
    Ok(vec![rows])
}

/// The orders to filter: the one order when its number is given (a map lookup instead of a
/// scan, which matters for installations with many orders), else all.
fn candidates(inst: &Install, nr: Option<i64>) -> Box<dyn Iterator<Item = &Order> + '_> {
    match nr {
        Some(n) => Box::new(inst.orders.get(&n).into_iter()),
        None => Box::new(inst.orders.values()),
    }
}

/// The order header with addresses, payment data, lock and the customer-service bank fields.
fn header_row(inst: &Install, o: &Order) -> Row {
    let paid: i64 = inst.docs.values().filter(|d| d.order_nr == o.order_nr).map(|d| d.paid_minor).sum();
    let customer = inst.customers.get(&o.cust_key);
    let (b, s) = (&o.billing, &o.shipping);
    Row::new()
        .i("OrderNr", o.order_nr)
        .s("OrderNrExternal", &o.order_nr_external)
        .s("ShopID", &o.shop_id)
        .s("Mandant", &o.mandant)
        .i("CustKey", o.cust_key)
        .i("AddrRef", o.billing.key)
        .opt("CustomerNrExternal", customer.map(|c| c.nr_external.clone()))
        .d("OrderDate", o.order_date)
        .d("CreateDate", o.created)
        .d("UpdateDate", o.updated)
        .s("OrderStatus", o.status.as_str())
        .s("PaymentType", &o.payment_code)
        .opt("ccpPayID", o.kk_id.clone())
        .opt("ccpLastAuthCode", o.auth_code.clone())
        .i("ccpSetFailTries", i64::from(o.fail_tries))
        .s("Currency", &o.currency)
        .m("ShipCost", o.ship_cost_minor)
        .m("OrderTotal", o.total_minor())
        .m("PayedSum", paid)
        .b("Paid", paid > 0 && paid >= o.total_minor())
        .s("OrderLocked", yn(o.lock.locked))
        .opt("LockReason", o.lock.locked.then(|| o.lock.reason.clone()))
        .s("CustomerLocked", yn(customer.is_some_and(|c| c.locked)))
        .b("IsMerged", o.merged)
        .opt("MergedWithOrderNr", o.merged_with.map(|n| n.to_string()))
        .s("Anrede", &b.salutation)
        .s("FirstName", &b.first_name)
        .s("LastName", &b.last_name)
        .s("Company", &b.company)
        .s("Street", &b.street)
        .s("ZIP", &b.zip)
        .s("City", &b.city)
        .s("Country", &b.country)
        .s("Phone", &b.phone)
        .s("eMail", &b.email)
        .opt("AccountOwner", b.account_holder.clone())
        .opt("IBAN", b.iban.clone())
        .opt("BIC", b.bic.clone())
        .opt("BankName", b.bank_name.clone())
        .s("SAnrede", &s.salutation)
        .s("SFirstName", &s.first_name)
        .s("SLastName", &s.last_name)
        .s("SCompany", &s.company)
        .s("SStreet", &s.street)
        .s("SZIP", &s.zip)
        .s("SCity", &s.city)
        .s("SCountry", &s.country)
}

pub(super) const GET_ORDERLINE: Call = Call {
    name: "pixiGetOrderline",
    params: &[
        opt("ShopID", Ty::Str),
        opt("Status", Ty::Str),
        opt("OrderNR", Ty::Int),
        opt("RowCount", Ty::Int),
        opt("InvoiceNr", Ty::Str),
        opt("OrderDateTo", Ty::DateTime),
        opt("PaymentType", Ty::Str),
        opt("OrderlineKey", Ty::Int),
        opt("UpdateDateTo", Ty::DateTime),
        opt("OrderDateFrom", Ty::DateTime),
        opt("ShowOrderlines", Ty::Bit),
        opt("UpdateDateFrom", Ty::DateTime),
    ],
    run: orderline,
};

fn orderline(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let doc_key = a.text("InvoiceNr").map(|nr| inst.doc_by_nr(nr).map(|d| d.key));
    let nr_of = |k: Option<i64>| k.and_then(|k| inst.docs.get(&k)).map(|d| d.nr.clone());
    let rows = candidates(inst, a.int("OrderNR").filter(|n| *n != 0))
        .filter(|o| a.text("ShopID").is_none_or(|s| same(s, &o.shop_id)))
        .filter(|o| a.text("PaymentType").is_none_or(|p| same(p, &o.payment_code)))
        .filter(|o| a.datetime("OrderDateFrom").is_none_or(|t| o.order_date >= t))
        .filter(|o| a.datetime("OrderDateTo").is_none_or(|t| o.order_date <= t))
        .flat_map(|o| o.lines.iter().map(move |l| (o, l)))
        .filter(|(_, l)| a.int("OrderlineKey").is_none_or(|k| l.key == k))
        .filter(|(_, l)| a.text("Status").is_none_or(|s| same(s, l.status.as_str())))
        .filter(|(_, l)| doc_key.is_none_or(|d| d.is_some() && (l.invoice_key == d || l.credit_key == d)))
        .filter(|(_, l)| a.datetime("UpdateDateFrom").is_none_or(|t| l.updated >= t))
        .filter(|(_, l)| a.datetime("UpdateDateTo").is_none_or(|t| l.updated <= t))
        .take(row_count(a, 1000))
        .map(|(o, l)| {
            Row::new()
                .i("OrderlineKey", l.key)
                .i("OrderNr", o.order_nr)
                .s("OrderNrExternal", &o.order_nr_external)
                .s("ShopID", &o.shop_id)
                .opt("ItemKey", inst.items.get(&l.item_nr).map(|i| i.key.to_string()))
                .s("ItemNrInt", &l.item_nr)
                .s("EanUpc", &l.ean)
                .s("ArtName", &l.name)
                .i("Qty", l.qty)
                .m("Price", l.price_minor)
                .m("Subtotal", l.total_minor())
                .s("Status", l.status.as_str())
                .opt("InvoiceNr", nr_of(l.invoice_key))
                .opt("CreditNoteNr", nr_of(l.credit_key))
                .s("PaymentType", &o.payment_code)
                .d("OrderDate", o.order_date)
                .d("UpdateDate", l.updated)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const GET_ORDER_TOTALS: Call = Call {
    name: "pixiGetOrderTotals",
    params: &[opt("CustKey", Ty::Int), opt("OrderNr", Ty::Int), opt("OrderNrExternal", Ty::Str)],
    run: order_totals,
};

/// One row per line that is not cancelled, each carrying the order's totals (no `Total` or
/// `Currency` column: pixi-api-docs.de lists none).
fn order_totals(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let Some(o) = resolve(inst, a.int("OrderNr"), a.str("OrderNrExternal"), None)
        .filter(|o| a.int("CustKey").is_none_or(|k| o.cust_key == k))
    else {
        return Ok(vec![Vec::new()]);
    };
    let vat = vat_high(o.total_minor());
    let rows = o
        .lines
        .iter()
        .filter(|l| !l.status.is_cancelled())
        .map(|l| {
            Row::new()
                .i("OrderNr", o.order_nr)
                .s("ArtName", &l.name)
                .s("EanUpc", &l.ean)
                .i("Qty", l.qty)
                .m("Price", l.price_minor)
                .m("Subtotal", l.total_minor())
                .opt("ItemNote", None::<String>)
                .m("ShipCost", o.ship_cost_minor)
                .m("Discount", 0)
                .m("VATHigh", vat)
                .m("VATLow", 0)
                .m("VATTotal", vat)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const GET_CHANGED_ORDERS: Call = Call {
    name: "pixiGetChangedOrders",
    params: &[req("DateTimeFrom", Ty::DateTime), opt("skipGetXMLValue", Ty::Bit), opt("ReturnOnlyDFOrders", Ty::Bit)],
    run: changed_orders,
};

/// Set 1: every order changed at or after `DateTimeFrom` (one row each, `DateTimeTo` = now,
/// to pass as the next `DateTimeFrom`). Set 2: the changes themselves, oldest first.
fn changed_orders(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let from = a.datetime("DateTimeFrom").ok_or_else(|| null("DateTimeFrom"))?;
    if a.bit("ReturnOnlyDFOrders").unwrap_or(false) {
        return Ok(vec![Vec::new(), Vec::new()]);
    }
    let changes: Vec<_> = inst.changes.iter().filter(|c| c.at >= from && c.at <= ctx.now).collect();
    // The latest change per order, in one pass (the feed may hold many thousand changes).
    let mut latest: std::collections::BTreeMap<i64, chrono::NaiveDateTime> = std::collections::BTreeMap::new();
    for c in &changes {
        let at = latest.entry(c.order_nr).or_insert(c.at);
        *at = (*at).max(c.at);
    }
    let orders = latest
        .iter()
        .filter_map(|(nr, last)| inst.orders.get(nr).map(|o| (o, Some(*last))))
        .map(|(o, last)| {
            Row::new()
                .s("ShopID", &o.shop_id)
                .i("CustKey", o.cust_key)
                .i("OrderNr", o.order_nr)
                .s("OrderNrExternal", &o.order_nr_external)
                .m("ShipCost", o.ship_cost_minor)
                .d("OrderDate", o.order_date)
                .d("CreateDate", o.created)
                .d("DateTimeTo", ctx.now)
                .s("OrderLocked", yn(o.lock.locked))
                .s("PaymentType", &o.payment_code)
                .od("LastChange", last)
        })
        .collect();
    let feed = changes
        .iter()
        .map(|c| {
            Row::new()
                .i("OrderNr", c.order_nr)
                .d("Timestamp", c.at)
                .s("ChangeType", &c.change_type)
                .opt("Param1", c.param1.clone())
        })
        .collect();
    Ok(vec![orders, feed])
}

pub(super) const RELEASE_ORDER: Call = Call {
    name: "pixiReleaseOrder",
    params: &[req("ShopId", Ty::Str), req("OrderNrExternal", Ty::Str)],
    run: release_order,
};

/// HOLD → OPEN, HAL lines → ANG; `AffectedRows` = lines released.
fn release_order(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let nr = a.text("OrderNrExternal").and_then(|e| inst.order_by_external(e, a.text("ShopId"))).map(|o| o.order_nr);
    let row = match nr.map(|nr| inst.release(nr, ctx.now)) {
        Some(Ok(n)) => Row::new().s("ReturnCode", "OK").i("AffectedRows", i64::try_from(n).unwrap_or(i64::MAX)),
        _ => Row::new().s("ReturnCode", "ERROR").i("AffectedRows", 0),
    };
    Ok(vec![vec![row]])
}
