//! pixi Payments calls: orders to authorise, invoices to capture, their status marks, manual
//! customer-account bookings and the stored card data.

use super::super::docs::{BookingRequest, CaptureMark};
use super::super::erp::ErpError;
use super::super::model::{DocKind, Install, OrderStatus};
use super::super::params::{Args, Revision, Ty, opt, opt_since, req};
use super::super::wire::{Fault, Row};
use super::{Call, Ctx, Sets, billing_cols, null, row_count, same, status};

/// `RowCount` and `FromInvoiceId` of the payment lists exist from 22.06 (22.6.0.28129).
const PAGING: Revision = [22, 6, 0, 28129];

pub(super) const GET_ORDERS_TO_AUTHORIZE: Call = Call {
    name: "pixiPayGetOrdersToAuthorize",
    params: &[opt("PaymentCode", Ty::Str), opt("ShowAll", Ty::Bit), opt_since("RowCount", Ty::Int, PAGING)],
    run: orders_to_authorize,
};

/// HOLD orders of the payment method, hiding those with more than 3 failed attempts.
fn orders_to_authorize(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let show_all = a.bit("ShowAll").unwrap_or(false);
    let code = a.text("PaymentCode");
    let rows = inst
        .orders
        .values()
        .filter(|o| o.status == OrderStatus::Hold)
        .filter(|o| code.is_none_or(|c| same(c, &o.payment_code)))
        .filter(|o| show_all || o.fail_tries <= 3)
        .take(row_count(a, 30))
        .map(|o| {
            let row = Row::new()
                .i("OrderNr", o.order_nr)
                .s("OrderNrExternal", &o.order_nr_external)
                .s("ShopID", &o.shop_id)
                .i("CustKey", o.cust_key)
                .s("PaymentCode", &o.payment_code);
            billing_cols(row, &o.billing)
                .m("ShipCost", o.ship_cost_minor)
                .s("Currency", &o.currency)
                .opt("ccpPayID", o.kk_id.clone())
                .s("CardOwner", format!("{} {}", o.billing.first_name, o.billing.last_name).trim())
                .i("ccpSetFailTries", i64::from(o.fail_tries))
                .d("OrderDate", o.order_date)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const SET_AUTHORIZATION_STATUS: Call = Call {
    name: "pixiPaySetAuthorizationStatus",
    params: &[
        opt("OrderNr", Ty::Int),
        opt("Success", Ty::Bit),
        opt("AuthID", Ty::Str),
        opt("AuthCode", Ty::Str),
        opt("Message", Ty::Str),
    ],
    run: set_authorization_status,
};

/// Success: `ccpPayID`/`ccpLastAuthCode` written, fail counter reset, order released.
/// Failure: fail counter +1. An unknown order changes nothing (no result fields documented).
fn set_authorization_status(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let Some(nr) = a.int("OrderNr") else { return Ok(Vec::new()) };
    let success = a.bit("Success").unwrap_or(false);
    let Some(order) = inst.orders.get_mut(&nr) else { return Ok(Vec::new()) };
    if let Some(code) = a.str("AuthCode") {
        order.auth_code = Some(code.to_owned());
    }
    order.updated = ctx.now;
    if success {
        if let Some(id) = a.text("AuthID") {
            order.kk_id = Some(id.to_owned());
        }
        order.fail_tries = 0;
        inst.record(ctx.now, nr, "UORDER", None);
        inst.release(nr, ctx.now).map_err(|e| Fault::raise(e.to_string()))?;
    } else {
        order.fail_tries += 1;
        inst.record(ctx.now, nr, "UORDER", None);
    }
    Ok(Vec::new())
}

pub(super) const GET_INVOICES_TO_CAPTURE: Call = Call {
    name: "pixiPayGetInvoicesToCapture",
    params: &[
        opt("PaymentCode", Ty::Str),
        opt("ShowAll", Ty::Bit),
        opt_since("RowCount", Ty::Int, PAGING),
        opt_since("FromInvoiceId", Ty::Int, PAGING),
    ],
    run: invoices_to_capture,
};

/// Shipped, not yet captured invoices of the payment method, by `InvoiceId` after
/// `FromInvoiceId`.
fn invoices_to_capture(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let show_all = a.bit("ShowAll").unwrap_or(false);
    let code = a.text("PaymentCode");
    let from = a.int("FromInvoiceId").unwrap_or(0);
    let rows = inst
        .docs
        .values()
        .filter(|d| d.kind == DocKind::Invoice && d.shipped.is_some() && !d.captured && d.key > from)
        .filter(|d| show_all || d.fail_tries <= 3)
        .filter_map(|d| inst.orders.get(&d.order_nr).map(|o| (d, o)))
        .filter(|(_, o)| code.is_none_or(|c| same(c, &o.payment_code)))
        .take(row_count(a, 30))
        .map(|(d, o)| {
            let row = Row::new()
                .i("InvoiceId", d.key)
                .s("InvoiceNr", &d.nr)
                .i("OrderNr", o.order_nr)
                .s("OrderNrExternal", &o.order_nr_external)
                .s("ShopID", &o.shop_id)
                .i("CustKey", d.cust_key)
                .s("PaymentCode", &o.payment_code)
                .m("Total", d.total_minor)
                .m("PayedSum", d.paid_minor)
                .b("Paid", d.paid_minor >= d.total_minor)
                .d("InvoiceDate", d.created)
                .od("ShipDate", d.shipped)
                .s("Currency", &o.currency)
                .opt("ccpPayID", o.kk_id.clone())
                .i("ccpSetFailTries", i64::from(d.fail_tries));
            billing_cols(row, &o.billing)
        })
        .collect();
    Ok(vec![rows])
}

pub(super) const SET_INVOICE_CAPTURE: Call = Call {
    name: "pixiPaySetInvoiceCapture",
    params: &[
        req("PayID", Ty::Str),
        opt("EventID", Ty::Str),
        req("Message", Ty::Str),
        req("PayCode", Ty::Str),
        req("Success", Ty::Bit),
        req("InvoiceNr", Ty::Str),
        req("CaptureSum", Ty::Money),
        req("SetRemainingOrdersToHAL", Ty::Bit),
    ],
    run: set_invoice_capture,
};

/// Success=1: `PayedSum` = `CaptureSum`, booking with `EventID`. Success=0: `PayedSum` = 0.
/// Errors are `RAISERROR`s (SOAP faults); success has no result fields.
fn set_invoice_capture(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let mark = CaptureMark {
        invoice_nr: a.text("InvoiceNr").ok_or_else(|| null("InvoiceNr"))?.to_owned(),
        pay_id: a.str("PayID").unwrap_or_default().to_owned(),
        capture_minor: a.money("CaptureSum").unwrap_or(0),
        success: a.bit("Success").ok_or_else(|| null("Success"))?,
        event_id: a.str("EventID").map(str::to_owned),
        message: a.str("Message").unwrap_or_default().to_owned(),
        remaining_to_hal: a.bit("SetRemainingOrdersToHAL").unwrap_or(false),
    };
    inst.set_capture(&mark, ctx.now).map_err(|e| match e {
        ErpError::NotFound(m) | ErpError::Conflict(m) | ErpError::Invalid(m) => Fault::raise(m),
    })?;
    Ok(Vec::new())
}

pub(super) const CREATE_MANUAL_BOOKING: Call = Call {
    name: "pixiCACreateManualBooking",
    params: &[
        opt("CustKey", Ty::Int),
        opt("EventID", Ty::Str),
        opt("Amount", Ty::Money),
        opt("EventDate", Ty::DateTime),
        opt("Comment", Ty::Str),
        opt("MatchToInvoiceNr", Ty::Str),
        opt("MatchKey", Ty::Int),
        opt("CurrencyId", Ty::Int),
    ],
    run: create_manual_booking,
};

/// Books an event in the customer account; business errors are `ReturnCode=ERROR`.
fn create_manual_booking(inst: &mut Install, a: &Args, ctx: &Ctx) -> Result<Sets, Fault> {
    let req = BookingRequest {
        cust_key: a.int("CustKey"),
        event_id: a.str("EventID").map(str::to_owned),
        amount_minor: a.money("Amount"),
        event_date: a.datetime("EventDate"),
        comment: a.str("Comment").map(str::to_owned),
        match_invoice_nr: a.str("MatchToInvoiceNr").map(str::to_owned),
        match_key: a.int("MatchKey"),
        currency_id: a.int("CurrencyId"),
    };
    let row = match inst.book(&req, ctx.now) {
        Ok(_) => status("OK", ""),
        Err(message) => status("ERROR", message),
    };
    Ok(vec![vec![row]])
}

pub(super) const GET_CREDIT_CARD_INFO: Call =
    Call { name: "pixiGetCreditCardInfo", params: &[req("OrderNr", Ty::Int)], run: credit_card_info };

/// The order's payment-provider data; card numbers are scrambled (NULL).
fn credit_card_info(inst: &mut Install, a: &Args, _: &Ctx) -> Result<Sets, Fault> {
    let nr = a.int("OrderNr").ok_or_else(|| null("OrderNr"))?;
    let rows = inst
        .orders
        .get(&nr)
        .map(|o| {
            Row::new()
                .i("OrderNr", o.order_nr)
                .s("PaymentCode", &o.payment_code)
                .opt("ccpPayID", o.kk_id.clone())
                .opt("ccpLastAuthCode", o.auth_code.clone())
                .i("ccpSetFailTries", i64::from(o.fail_tries))
                .s("CardOwner", format!("{} {}", o.billing.first_name, o.billing.last_name).trim())
                .opt("CardNumber", None::<String>)
        })
        .into_iter()
        .collect();
    Ok(vec![rows])
}
