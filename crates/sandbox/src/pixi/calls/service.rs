//! Customer-service calls: shipping locks (order and customer), order and customer comments,
//! addresses and the bank fields of the billing address.

use super::super::model::{Address, Comment, Install, OrderStatus};
use super::super::params::{Args, Ty, opt, opt_since, req};
use super::super::wire::{Fault, Row};
use super::{Call, Ctx, Sets, null, resolve, row_count, same, status};

pub(super) const SET_ORDER_SHIPPING_LOCK: Call = Call {
    name: "pixiSetOrderShippingLock",
    params: &[
        req("OrderNr", Ty::Int),
        opt("Locked", Ty::Bit),
        opt_since("Reason", Ty::Str, [23, 3, 0, 36397]),
        opt_since("UserName", Ty::Str, [23, 3, 0, 36397]),
    ],
    run: set_order_shipping_lock,
};

/// OK when changed, INFO when it already was so, ERROR for unknown or closed orders.
fn set_order_shipping_lock(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let nr = a.int("OrderNr").ok_or_else(|| null("OrderNr"))?;
    let locked = a.bit("Locked").unwrap_or(true);
    let user = a.text("UserName").unwrap_or("API");
    let row = match inst.orders.get(&nr).map(|o| o.status) {
        None => status("ERROR", format!("Order {nr} not found")),
        Some(OrderStatus::Closed) => status("ERROR", format!("Order {nr} is already closed")),
        Some(_) => match inst.set_lock(nr, locked, a.str("Reason"), user, ctx.now) {
            Ok(true) => status("OK", ""),
            Ok(false) if locked => status("INFO", format!("Order {nr} is already locked")),
            Ok(false) => status("INFO", format!("Order {nr} is not locked")),
            Err(e) => status("ERROR", e.to_string()),
        },
    };
    Ok(vec![vec![row]])
}

pub(super) const SET_SHIPPING_LOCK: Call = Call {
    name: "pixiSetShippingLock",
    params: &[
        opt("Locked", Ty::Bit),
        opt("ShopID", Ty::Str),
        opt("CustKey", Ty::Int),
        opt("UserName", Ty::Str),
        opt("CustomerNrExternal", Ty::Str),
    ],
    run: set_shipping_lock,
};

/// Customer-level lock; `Result` 0 = updated, 1 = failed (customer not found).
fn set_shipping_lock(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let key = match (a.int("CustKey"), a.text("CustomerNrExternal")) {
        (Some(k), _) => inst.customers.get(&k).map(|c| c.cust_key),
        (None, Some(ext)) => inst
            .customers
            .values()
            .find(|c| c.nr_external == ext && a.text("ShopID").is_none_or(|s| same(s, &c.shop_id)))
            .map(|c| c.cust_key),
        (None, None) => None,
    };
    let customer = key.and_then(|k| inst.customers.get_mut(&k));
    let result = match customer {
        Some(c) => {
            c.locked = a.bit("Locked").unwrap_or(true);
            0
        }
        None => 1,
    };
    Ok(vec![vec![Row::new().i("Result", result)]])
}

pub(super) const CREATE_ORDER_COMMENT: Call = Call {
    name: "pixiCreateOrderComment",
    params: &[
        opt("OrderNr", Ty::Int),
        opt("OrderNrExternal", Ty::Str),
        opt("ShopID", Ty::Str),
        req("Comment", Ty::Str),
        opt("UserName", Ty::Str),
    ],
    run: create_order_comment,
};

/// Appends an order comment (PX-21).
fn create_order_comment(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let nr = resolve(inst, a.int("OrderNr"), a.str("OrderNrExternal"), a.text("ShopID")).map(|o| o.order_nr);
    let row = match (nr, a.text("Comment")) {
        (None, _) => status("ERROR", "Order not found"),
        (Some(_), None) => status("ERROR", "Comment must not be empty"),
        (Some(nr), Some(text)) => match inst.comment(nr, text, a.text("UserName").unwrap_or("API"), ctx.now) {
            Ok(key) => status("OK", "").i("CommentKey", key),
            Err(e) => status("ERROR", e.to_string()),
        },
    };
    Ok(vec![vec![row]])
}

pub(super) const GET_ORDER_COMMENTS: Call = Call {
    name: "pixiGetOrderComments",
    params: &[
        opt_since("Since", Ty::DateTime, [26, 6, 0, 11854]),
        opt("OrderNr", Ty::Int),
        opt_since("RowCount", Ty::Int, [26, 6, 0, 11854]),
        opt("OrderNrShop", Ty::Str),
    ],
    run: order_comments,
};

/// Comments created after `Since`, of the order by number or shop number; at most 1000.
fn order_comments(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let since = a.datetime("Since");
    let (nr, shop_nr) = (a.int("OrderNr"), a.text("OrderNrShop"));
    let mut all: Vec<(&Comment, i64, &str)> = inst
        .orders
        .values()
        .filter(|o| {
            (nr.is_none() && shop_nr.is_none())
                || nr == Some(o.order_nr)
                || shop_nr.is_some_and(|s| s == o.order_nr_external)
        })
        .flat_map(|o| o.comments.iter().map(move |c| (c, o.order_nr, o.order_nr_external.as_str())))
        .filter(|(c, _, _)| since.is_none_or(|s| c.at > s))
        .collect();
    all.sort_by_key(|(c, _, _)| (c.at, c.key));
    let rows = all
        .into_iter()
        .take(row_count(a, 1000).min(1000))
        .map(|(c, nr, ext)| {
            Row::new()
                .i("CommentKey", c.key)
                .i("OrderNr", nr)
                .s("OrderNrShop", ext)
                .s("Comment", &c.text)
                .d("CreateDate", c.at)
                .s("CreateEmp", &c.user)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const ADD_CUSTOMER_COMMENT: Call = Call {
    name: "pixiAddCustomerComment",
    params: &[req("CustKey", Ty::Int), req("Comment", Ty::Str), opt("UserName", Ty::Str)],
    run: add_customer_comment,
};

/// Appends to the customer history.
fn add_customer_comment(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let key = a.int("CustKey").ok_or_else(|| null("CustKey"))?;
    inst.seq.comment_key += 1;
    let comment_key = inst.seq.comment_key;
    let row = match (inst.customers.get_mut(&key), a.text("Comment")) {
        (None, _) => status("ERROR", format!("Customer {key} not found")),
        (Some(_), None) => status("ERROR", "Comment must not be empty"),
        (Some(c), Some(text)) => {
            let user = a.text("UserName").unwrap_or("API").to_owned();
            c.comments.push(Comment { key: comment_key, text: text.to_owned(), user, at: ctx.now });
            status("OK", "")
        }
    };
    Ok(vec![vec![row]])
}

pub(super) const GET_ADDRESS: Call =
    Call { name: "pixiGetAddress", params: &[req("AddrKey", Ty::Int)], run: get_address };

/// One address by `AddrKey` (billing or shipping of any order), with the customer-service
/// bank fields (NULL until written, so left out).
fn get_address(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let key = a.int("AddrKey").ok_or_else(|| null("AddrKey"))?;
    let rows = inst
        .orders
        .values()
        .flat_map(|o| [&o.billing, &o.shipping])
        .find(|addr| addr.key == key)
        .map(|addr| {
            Row::new()
                .opt("BIC", addr.bic.clone())
                .s("ZIP", &addr.zip)
                .s("City", &addr.city)
                .opt("IBAN", addr.iban.clone())
                .s("Name", format!("{} {}", addr.first_name, addr.last_name).trim())
                .s("Email", &addr.email)
                .s("Phone", &addr.phone)
                .s("Street", &addr.street)
                .i("AddrKey", addr.key)
                .s("Address", &addr.street)
                .s("Country", &addr.country)
                .s("Company", &addr.company)
                .opt("AccountOwner", addr.account_holder.clone())
                .opt("BankName", addr.bank_name.clone())
        })
        .into_iter()
        .collect();
    Ok(vec![rows])
}

pub(super) const CAN_CHANGE_ADDRESS: Call = Call {
    name: "pixiCanChangeAddress",
    params: &[opt("OrderNr", Ty::Int), opt("OrderNrExternal", Ty::Str)],
    run: can_change_address,
};

/// `return` 1 while nothing is packed, shipped or returned and the order is not closed.
fn can_change_address(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let nr = resolve(inst, a.int("OrderNr"), a.str("OrderNrExternal"), None).map(|o| o.order_nr);
    let can = nr.is_some_and(|nr| inst.can_change_address(nr));
    Ok(vec![vec![Row::new().b("return", can)]])
}

pub(super) const CHANGE_ADDRESS: Call = Call {
    name: "pixiChangeAddress",
    params: &[
        opt("OrderNr", Ty::Int),
        opt("OrderNrExternal", Ty::Str),
        opt("AddrType", Ty::Str),
        opt("Anrede", Ty::Str),
        opt("FirstName", Ty::Str),
        opt("LastName", Ty::Str),
        opt("Company", Ty::Str),
        opt("Street", Ty::Str),
        opt("ZIP", Ty::Str),
        opt("City", Ty::Str),
        opt("Country", Ty::Str),
        opt("Phone", Ty::Str),
        opt("Email", Ty::Str),
        opt("Fax", Ty::Str),
        opt("Fax2", Ty::Str),
        opt("Note", Ty::Str),
        opt("AccountOwner", Ty::Str),
        opt("IBAN", Ty::Str),
        opt("BIC", Ty::Str),
        opt("BLZ", Ty::Str),
        opt("BankName", Ty::Str),
    ],
    run: change_address,
};

/// Changes the given fields of the billing (`B`, default), shipping (`S`) or both (`BS`)
/// addresses; bank fields always go to the billing address (customer service: Kontoinhaber,
/// IBAN, BIC, Bank).
fn change_address(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let Some(nr) = resolve(inst, a.int("OrderNr"), a.str("OrderNrExternal"), None).map(|o| o.order_nr) else {
        return Ok(vec![vec![status("ERROR", "Order not found")]]);
    };
    if !inst.can_change_address(nr) {
        return Ok(vec![vec![status("ERROR", format!("The address of order {nr} can not be changed anymore"))]]);
    }
    let kind = a.text("AddrType").unwrap_or("B").to_ascii_uppercase();
    if !matches!(kind.as_str(), "B" | "S" | "BS" | "SB") {
        return Ok(vec![vec![status("ERROR", format!("Invalid AddrType '{kind}' (B, S or BS)"))]]);
    }
    let Some(order) = inst.orders.get_mut(&nr) else { return Ok(vec![vec![status("ERROR", "Order not found")]]) };
    if kind.contains('B') {
        apply(&mut order.billing, a);
    }
    if kind.contains('S') {
        apply(&mut order.shipping, a);
    }
    let bank = |name: &str| a.str(name).map(str::to_owned);
    for (field, value) in [
        (&mut order.billing.account_holder, bank("AccountOwner")),
        (&mut order.billing.iban, bank("IBAN")),
        (&mut order.billing.bic, bank("BIC")),
        (&mut order.billing.bank_name, bank("BankName")),
    ] {
        if value.is_some() {
            *field = value;
        }
    }
    order.updated = ctx.now;
    inst.record(ctx.now, nr, "UORDER", None);
    Ok(vec![vec![status("OK", "")]])
}

fn apply(addr: &mut Address, a: &Args) {
    for (field, name) in [
        (&mut addr.salutation, "Anrede"),
        (&mut addr.first_name, "FirstName"),
        (&mut addr.last_name, "LastName"),
        (&mut addr.company, "Company"),
        (&mut addr.street, "Street"),
        (&mut addr.zip, "ZIP"),
        (&mut addr.city, "City"),
        (&mut addr.country, "Country"),
        (&mut addr.phone, "Phone"),
        (&mut addr.email, "Email"),
    ] {
        if let Some(v) = a.str(name) {
            *field = v.to_owned();
        }
    }
}
