//! The other records of an installation: invoices and credit notes, customer-account
//! bookings, customers, items, payment methods, booking events, the change feed and the
//! quiet-window log.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::Comment;

/// Invoice (`R`) or credit note (`G`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// Invoice.
    Invoice,
    /// Credit note (return).
    CreditNote,
}

/// An invoice or credit note. Both share pixi's invoice table, key and number sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// `InvoiceKey` / `InvoiceId`.
    pub key: i64,
    /// Invoice number, e.g. `DEM0000021`.
    pub nr: String,
    /// Invoice or credit note.
    pub kind: DocKind,
    /// Order.
    pub order_nr: i64,
    /// Customer.
    pub cust_key: i64,
    /// Order line keys on the document.
    pub line_keys: Vec<i64>,
    /// Amount in minor units, always positive (credit notes go out negative on the wire).
    pub total_minor: i64,
    /// Shipping cost included in `total_minor`.
    pub ship_cost_minor: i64,
    /// Created.
    pub created: NaiveDateTime,
    /// Shipped out (invoices); credit notes count as shipped when created.
    pub shipped: Option<NaiveDateTime>,
    /// `PayedSum`.
    pub paid_minor: i64,
    /// Date paid.
    pub paid_date: Option<NaiveDateTime>,
    /// pixi itself marked it paid (auto-paid / direct-charge method, or by hand): PX-19/PX-26.
    pub paid_by_pixi: bool,
    /// Marked captured through `pixiPaySetInvoiceCapture` with `Success=1`.
    pub captured: bool,
    /// `PayID` given with the capture.
    pub pay_id: Option<String>,
    /// `ccpSetFailTries` of the invoice (failed captures).
    pub fail_tries: u32,
    /// Messages written to the credit-card log by `pixiPaySetInvoiceCapture`.
    pub ccp_log: Vec<String>,
}

/// Where a customer-account booking came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingSource {
    /// `pixiCACreateManualBooking`.
    Manual,
    /// `pixiPaySetInvoiceCapture` with `Success=1`.
    Capture,
}

/// A customer-account booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Booking key.
    pub key: i64,
    /// Customer.
    pub cust_key: i64,
    /// 3-character booking event.
    pub event_id: String,
    /// Amount as passed, minor units.
    pub amount_minor: i64,
    /// Effect on the customer balance: the event's sign × `amount_minor` (PX-25).
    pub effect_minor: i64,
    /// Event date.
    pub event_date: NaiveDateTime,
    /// Comment.
    pub comment: Option<String>,
    /// `MatchToInvoiceNr`.
    pub match_invoice_nr: Option<String>,
    /// `MatchKey`.
    pub match_key: Option<i64>,
    /// `CurrencyId`.
    pub currency_id: Option<i64>,
    /// The order of the matched document, if any.
    pub order_nr: Option<i64>,
    /// Origin.
    pub source: BookingSource,
    /// Created.
    pub created: NaiveDateTime,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// `CustKey`.
    pub cust_key: i64,
    /// Shop.
    pub shop_id: String,
    /// `CustomerNrExternal`.
    pub nr_external: String,
    /// Customer-level shipping lock (`pixiSetShippingLock`).
    pub locked: bool,
    /// Customer history comments (`pixiAddCustomerComment`).
    pub comments: Vec<Comment>,
}

/// An item of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// `ItemKey`.
    pub key: i64,
    /// `ItemNrInt`.
    pub nr: String,
    /// `EANUPC`.
    pub ean: String,
    /// Name.
    pub name: String,
    /// Gross price, minor units.
    pub price_minor: i64,
}

/// A pixi payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    /// Code, e.g. `UNZERCC`.
    pub code: String,
    /// Name.
    #[serde(default)]
    pub text: String,
    /// XML tag used in the import XML.
    #[serde(default)]
    pub xml_tag: String,
    /// Misconfiguration (PX-26): behaves like a credit-card method (pixi charges directly;
    /// invoices come out paid).
    #[serde(default)]
    pub direct_charge: bool,
    /// Misconfiguration (PX-19/PX-26): invoices and credit notes are matched / marked paid
    /// automatically on creation.
    #[serde(default)]
    pub auto_paid: bool,
    /// `IniOrderStatus`: the status orders of the method are imported with (`HAL` = HOLD; a
    /// misconfigured method imports them `ANG`, i.e. OPEN and shippable at once).
    #[serde(default = "hal")]
    pub ini_status: String,
}

/// A manual booking event of the customer account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingEvent {
    /// 3-character id.
    pub event_id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// +1 for incoming payments, -1 for refunds (PX-25).
    pub sign: i8,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Order of recording.
    pub seq: u64,
    /// When (local time).
    pub at: NaiveDateTime,
    /// Order.
    pub order_nr: i64,
    /// `CORDER`, `CORDERL`, `UORDER`, `UORDERL`, `IORDER` or `SORDER`.
    pub change_type: String,
    /// `OrderlineKey` or `InvoiceNr`.
    pub param1: Option<String>,
}

/// A request received inside the nightly quiet window (00:00–04:00 local, PX-22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietCall {
    /// Local time.
    pub at: NaiveDateTime,
    /// The SOAP call.
    pub call: String,
    /// Refused because the installation enforces the window.
    pub refused: bool,
}

fn hal() -> String {
    "HAL".into()
}
