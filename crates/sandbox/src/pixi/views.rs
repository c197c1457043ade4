//! Read-back views of an installation's records for the admin API.

use super::model::{Document, Install, Order};
use super::types::{CustomerView, DocView, LineView, OrderSummary, OrderView};

/// A document as the admin API shows it.
pub(crate) fn doc_view(d: &Document) -> DocView {
    DocView {
        key: d.key,
        nr: d.nr.clone(),
        kind: d.kind,
        order_nr: d.order_nr,
        lines: d.line_keys.clone(),
        total_minor: d.total_minor,
        ship_cost_minor: d.ship_cost_minor,
        shipped: d.shipped.is_some(),
        paid_minor: d.paid_minor,
        paid_by_pixi: d.paid_by_pixi,
        captured: d.captured,
        pay_id: d.pay_id.clone(),
        fail_tries: d.fail_tries,
        ccp_log: d.ccp_log.clone(),
    }
}

fn doc_nr(inst: &Install, key: Option<i64>) -> Option<String> {
    key.and_then(|k| inst.docs.get(&k)).map(|d| d.nr.clone())
}

/// The full read-back of one order.
pub(crate) fn order_view(inst: &Install, o: &Order) -> OrderView {
    let lines = o
        .lines
        .iter()
        .map(|l| LineView {
            key: l.key,
            item_nr: l.item_nr.clone(),
            name: l.name.clone(),
            qty: l.qty,
            price_minor: l.price_minor,
            status: l.status,
            invoice_nr: doc_nr(inst, l.invoice_key),
            credit_nr: doc_nr(inst, l.credit_key),
        })
        .collect();
    OrderView {
        order_nr: o.order_nr,
        order_nr_external: o.order_nr_external.clone(),
        shop_id: o.shop_id.clone(),
        mandant: o.mandant.clone(),
        payment_code: o.payment_code.clone(),
        kk_id: o.kk_id.clone(),
        auth_code: o.auth_code.clone(),
        fail_tries: o.fail_tries,
        cust_key: o.cust_key,
        status: o.status,
        total_minor: o.total_minor(),
        ship_cost_minor: o.ship_cost_minor,
        currency: o.currency.clone(),
        lines,
        documents: inst.docs.values().filter(|d| d.order_nr == o.order_nr).map(doc_view).collect(),
        bookings: inst.bookings.iter().filter(|b| b.order_nr == Some(o.order_nr)).cloned().collect(),
        customer_balance_minor: inst.balance_minor(o.cust_key),
        comments: o.comments.clone(),
        lock: o.lock.clone(),
        customer_locked: inst.customers.get(&o.cust_key).is_some_and(|c| c.locked),
        billing: o.billing.clone(),
        shipping: o.shipping.clone(),
        merged: o.merged,
        merged_with: o.merged_with,
        changes: inst.changes.iter().filter(|c| c.order_nr == o.order_nr).cloned().collect(),
    }
}

/// One order in a list.
pub(crate) fn summary(o: &Order) -> OrderSummary {
    OrderSummary {
        order_nr: o.order_nr,
        order_nr_external: o.order_nr_external.clone(),
        payment_code: o.payment_code.clone(),
        kk_id: o.kk_id.clone(),
        status: o.status,
        locked: o.lock.locked,
        total_minor: o.total_minor(),
    }
}

/// A customer and its account.
pub(crate) fn customer_view(inst: &Install, cust_key: i64) -> Option<CustomerView> {
    let c = inst.customers.get(&cust_key)?;
    Some(CustomerView {
        cust_key,
        shop_id: c.shop_id.clone(),
        nr_external: c.nr_external.clone(),
        locked: c.locked,
        comments: c.comments.clone(),
        orders: inst.orders.values().filter(|o| o.cust_key == cust_key).map(|o| o.order_nr).collect(),
        documents: inst.docs.values().filter(|d| d.cust_key == cust_key).map(doc_view).collect(),
        bookings: inst.bookings.iter().filter(|b| b.cust_key == cust_key).cloned().collect(),
        balance_minor: inst.balance_minor(cust_key),
    })
}
