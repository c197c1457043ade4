//! The SOAP calls: each one's stored-procedure signature and what it reads or changes in the
//! installation. One file per group: payment-app calls, orders, invoices, customer service,
//! system calls.

mod catalog;
mod invoices;
mod orders;
mod pay;
mod service;
mod sys;

use chrono::NaiveDateTime;

use super::model::{Address, Install, Order};
use super::params::{Args, P};
use super::wire::{Fault, Row};

/// Who calls and when (installation local time).
pub(crate) struct Ctx {
    pub(crate) now: NaiveDateTime,
}

/// The result sets of a call.
pub type Sets = Vec<Vec<Row>>;

type Run = fn(&mut Install, &Args, &Ctx) -> Result<Sets, Fault>;

/// One SOAP call.
pub(crate) struct Call {
    pub(crate) name: &'static str,
    pub(crate) params: &'static [P],
    pub(crate) run: Run,
}

const CALLS: &[Call] = &[
    pay::GET_ORDERS_TO_AUTHORIZE,
    pay::SET_AUTHORIZATION_STATUS,
    pay::GET_INVOICES_TO_CAPTURE,
    pay::SET_INVOICE_CAPTURE,
    pay::CREATE_MANUAL_BOOKING,
    pay::GET_CREDIT_CARD_INFO,
    orders::GET_ORDER_HEADER,
    orders::GET_ORDERLINE,
    orders::GET_ORDER_TOTALS,
    orders::GET_CHANGED_ORDERS,
    orders::RELEASE_ORDER,
    catalog::IMPORT_FIND_XML,
    catalog::GET_ITEM_INFO,
    catalog::GET_PAYMENTTYPES,
    invoices::GET_INVOICE,
    invoices::GET_INVOICE_LINES,
    service::SET_ORDER_SHIPPING_LOCK,
    service::SET_SHIPPING_LOCK,
    service::CREATE_ORDER_COMMENT,
    service::GET_ORDER_COMMENTS,
    service::ADD_CUSTOMER_COMMENT,
    service::GET_ADDRESS,
    service::CAN_CHANGE_ADDRESS,
    service::CHANGE_ADDRESS,
    sys::GET_CURRENT_REVISION,
    sys::GET_CALL_INFO,
];

/// The call named exactly `name` (names are case-sensitive).
pub(crate) fn find(name: &str) -> Option<&'static Call> {
    CALLS.iter().find(|c| c.name == name)
}

/// Every call name (for docs and tests).
pub fn names() -> Vec<&'static str> {
    CALLS.iter().map(|c| c.name).collect()
}

/// A `RAISERROR` for a required value passed as NULL.
fn null(name: &str) -> Fault {
    Fault::raise(format!("Parameter @{name} must not be NULL."))
}

/// `RowCount` with its default; zero or negative means the default.
fn row_count(args: &Args, default: i64) -> usize {
    let n = args.int("RowCount").filter(|n| *n > 0).unwrap_or(default);
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// `char` parameters arrive padded; compare trimmed and case-insensitively.
fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// `ReturnCode`/`ErrorMessage` status row.
fn status(code: &str, message: impl Into<String>) -> Row {
    Row::new().s("ReturnCode", code).s("ErrorMessage", message)
}

/// The order by `OrderNr`, else by `OrderNrExternal` (and shop).
fn resolve<'a>(inst: &'a Install, nr: Option<i64>, external: Option<&str>, shop: Option<&str>) -> Option<&'a Order> {
    match (nr.filter(|n| *n != 0), external.map(str::trim).filter(|e| !e.is_empty())) {
        (Some(nr), _) => inst.orders.get(&nr),
        (None, Some(ext)) => inst.order_by_external(ext, shop),
        (None, None) => None,
    }
}

/// Billing-address columns as pixi's payment-app calls name them.
fn billing_cols(row: Row, a: &Address) -> Row {
    row.s("Anrede", &a.salutation)
        .s("FirstName", &a.first_name)
        .s("LastName", &a.last_name)
        .s("CareOf", &a.company)
        .s("Address", &a.street)
        .s("ZIP", &a.zip)
        .s("City", &a.city)
        .s("Country", &a.country)
        .s("Phone", &a.phone)
        .s("eMail", &a.email)
}

/// Gross VAT at the high German rate (19 %) contained in `gross_minor`, rounded half up.
fn vat_high(gross_minor: i64) -> i64 {
    (gross_minor * 19 * 2 + 119) / (119 * 2)
}

/// `Y`/`N` flags.
fn yn(v: bool) -> &'static str {
    if v { "Y" } else { "N" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_of_the_spec_is_served_case_sensitively() {
        let required = [
            "pixiPayGetOrdersToAuthorize",
            "pixiPayGetInvoicesToCapture",
            "pixiGetOrderline",
            "pixiGetInvoice",
            "pixiGetInvoiceLines",
            "pixiGetChangedOrders",
            "pixiImportFindXML",
            "pixiCACreateManualBooking",
            "pixiPaySetInvoiceCapture",
            "pixiPaySetAuthorizationStatus",
            "pixiGetOrderTotals",
            "pixiGetOrderHeader",
            "pixiAddCustomerComment",
            "pixiGetAddress",
            "pixiSetShippingLock",
            "pixiCreateOrderComment",
            "pixiSetOrderShippingLock",
            "pixiCanChangeAddress",
            "pixiGetItemInfo",
            "pixiGetCreditCardInfo",
            "pixiReleaseOrder",
            "pixiGetOrderComments",
        ];
        for name in required {
            assert!(find(name).is_some(), "{name}");
        }
        assert!(find("pixigetorderheader").is_none());
    }

    #[test]
    fn vat_is_rounded_half_up() {
        for (gross, vat) in [(11900, 1900), (100, 16), (0, 0), (4618, 737)] {
            assert_eq!(vat_high(gross), vat, "{gross}");
        }
    }
}
