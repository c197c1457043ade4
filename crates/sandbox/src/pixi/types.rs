//! JSON bodies of the pixi admin API (requests and read-back views), shared with the typed
//! client in `client/pixi.rs`.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::model::{
    Address, Booking, BookingEvent, Change, Comment, DocKind, LineStatus, OrderStatus, PaymentMethod, ShippingLock,
};

/// Create a pixi API user (and its installation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreateUser {
    /// API user (also the `/soap/<user>/` path segment).
    pub user: String,
    /// API password.
    pub password: String,
    /// IANA time zone of the installation (default `Europe/Berlin`).
    pub timezone: Option<String>,
    /// Refuse calls in the nightly quiet window with HTTP 503 (default: accept and record).
    pub enforce_quiet_window: bool,
    /// Leave out the default payment methods and booking events.
    pub no_defaults: bool,
}

/// An API user as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// API user.
    pub user: String,
    /// Time zone.
    pub timezone: String,
    /// Quiet window enforced.
    pub enforce_quiet_window: bool,
    /// Payment methods.
    pub payment_methods: Vec<PaymentMethod>,
    /// Booking events.
    pub booking_events: Vec<BookingEvent>,
    /// Number of orders.
    pub orders: usize,
}

/// Installation options that can change later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserOptions {
    /// New password.
    pub password: Option<String>,
    /// New time zone.
    pub timezone: Option<String>,
    /// Enforce the quiet window.
    pub enforce_quiet_window: Option<bool>,
}

/// One line of a seeded order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedLine {
    /// Shop item number.
    pub item_nr: String,
    /// Item name.
    pub name: String,
    /// Quantity (default 1).
    #[serde(default = "one")]
    pub qty: i64,
    /// Gross unit price in minor units.
    pub price_minor: i64,
    /// Barcode (generated when missing).
    pub ean: Option<String>,
}

fn one() -> i64 {
    1
}

/// An order as the shop imports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedOrder {
    /// pixi order number (next free when missing).
    pub order_nr: Option<i64>,
    /// Shop order number (default `500000 + order_nr`).
    pub order_nr_external: Option<String>,
    /// Manual / exchange order: shop order number `P` + order number, no unzer id (PX-20).
    pub manual: bool,
    /// Shop (default `DEM`).
    pub shop_id: Option<String>,
    /// Mandant (default: the shop).
    pub mandant: Option<String>,
    /// pixi payment method code (must exist).
    pub payment_code: String,
    /// The unzer payment id ("KK-ID").
    pub kk_id: Option<String>,
    /// The shop put the payment id only into the imported order XML, not into KK-ID.
    pub payment_id_in_import_only: bool,
    /// Customer key (default: found by `customer_nr_external` / e-mail, or new).
    pub cust_key: Option<i64>,
    /// `CustomerNrExternal` (default: the billing e-mail).
    pub customer_nr_external: Option<String>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address (default: billing).
    pub shipping: Option<Address>,
    /// Lines.
    pub lines: Vec<SeedLine>,
    /// Shipping cost, minor units.
    pub ship_cost_minor: i64,
    /// Currency (default EUR).
    pub currency: Option<String>,
    /// `HOLD` (default) or `OPEN` (lines ANG).
    pub status: Option<OrderStatus>,
    /// Failed authorisation attempts so far.
    pub fail_tries: u32,
    /// Imported with a shipping lock.
    pub locked: bool,
    /// Reason of that lock.
    pub lock_reason: Option<String>,
    /// Order date (default: now).
    pub order_date: Option<NaiveDateTime>,
}

/// Pack and ship lines: creates an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ship {
    /// Line keys (default: every ANG line).
    pub lines: Option<Vec<i64>>,
    /// Ship out now (lines AUS); `false` packs only (lines EIN, invoice not shipped).
    pub shipped: bool,
    /// Ship although the order or customer has a shipping lock.
    pub ignore_lock: bool,
}

impl Default for Ship {
    fn default() -> Self {
        Ship { lines: None, shipped: true, ignore_lock: false }
    }
}

/// Cancel lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Cancel {
    /// Line keys (default: every HAL or ANG line).
    pub lines: Option<Vec<i64>>,
    /// `STO` (default) or `NLB`.
    pub status: LineStatus,
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel { lines: None, status: LineStatus::Sto }
    }
}

/// A return: credit note for shipped lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreditNoteRequest {
    /// Returned line keys (AUS); empty for a manual credit note with `amount_minor`.
    pub lines: Vec<i64>,
    /// Amount (default: value of the lines).
    pub amount_minor: Option<i64>,
    /// Force the auto-paid misconfiguration on (or off) for this credit note (PX-19).
    pub auto_paid: Option<bool>,
}

/// Mark an order merged (PX-24).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Merge {
    /// The other order (flagged too).
    pub with: Option<i64>,
}

/// A pixi user sets or lifts the shipping lock in customer service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LockRequest {
    /// Lock (true) or unlock.
    pub locked: bool,
    /// Reason.
    pub reason: Option<String>,
    /// User (default `ADMIN`).
    pub user: Option<String>,
}

/// An order line as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    /// `OrderlineKey`.
    pub key: i64,
    /// Item number.
    pub item_nr: String,
    /// Name.
    pub name: String,
    /// Quantity.
    pub qty: i64,
    /// Unit price.
    pub price_minor: i64,
    /// Status.
    pub status: LineStatus,
    /// Invoice number.
    pub invoice_nr: Option<String>,
    /// Credit note number.
    pub credit_nr: Option<String>,
}

/// An invoice or credit note as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocView {
    /// `InvoiceKey`.
    pub key: i64,
    /// Number.
    pub nr: String,
    /// Kind.
    pub kind: DocKind,
    /// Order.
    pub order_nr: i64,
    /// Line keys.
    pub lines: Vec<i64>,
    /// Amount (positive).
    pub total_minor: i64,
    /// Shipping cost in it.
    pub ship_cost_minor: i64,
    /// Shipped.
    pub shipped: bool,
    /// `PayedSum`.
    pub paid_minor: i64,
    /// pixi marked it paid itself (misconfiguration).
    pub paid_by_pixi: bool,
    /// Marked captured by the payment app.
    pub captured: bool,
    /// `PayID` of the capture.
    pub pay_id: Option<String>,
    /// Failed captures.
    pub fail_tries: u32,
    /// Credit-card log messages.
    pub ccp_log: Vec<String>,
}

/// Everything tests assert about one order after pixi-sync ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// pixi order number.
    pub order_nr: i64,
    /// Shop order number.
    pub order_nr_external: String,
    /// Shop.
    pub shop_id: String,
    /// Mandant.
    pub mandant: String,
    /// Payment method code.
    pub payment_code: String,
    /// "KK-ID" (unzer payment id).
    pub kk_id: Option<String>,
    /// `ccpLastAuthCode`.
    pub auth_code: Option<String>,
    /// Failed authorisations.
    pub fail_tries: u32,
    /// Customer.
    pub cust_key: i64,
    /// Status.
    pub status: OrderStatus,
    /// Order total (lines not cancelled + shipping).
    pub total_minor: i64,
    /// Shipping cost.
    pub ship_cost_minor: i64,
    /// Currency.
    pub currency: String,
    /// Lines.
    pub lines: Vec<LineView>,
    /// Invoices and credit notes.
    pub documents: Vec<DocView>,
    /// Customer-account bookings matched to this order's documents (or booked on capture).
    pub bookings: Vec<Booking>,
    /// The customer's balance (0 = balanced).
    pub customer_balance_minor: i64,
    /// Order comments.
    pub comments: Vec<Comment>,
    /// Shipping lock.
    pub lock: ShippingLock,
    /// Customer-level lock.
    pub customer_locked: bool,
    /// Billing address with the customer-service bank fields.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Merged (PX-24).
    pub merged: bool,
    /// Merged with.
    pub merged_with: Option<i64>,
    /// Changes recorded for this order.
    pub changes: Vec<Change>,
}

/// A customer and its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    /// `CustKey`.
    pub cust_key: i64,
    /// Shop.
    pub shop_id: String,
    /// `CustomerNrExternal`.
    pub nr_external: String,
    /// Customer-level shipping lock.
    pub locked: bool,
    /// Customer history comments.
    pub comments: Vec<Comment>,
    /// Orders.
    pub orders: Vec<i64>,
    /// Invoices and credit notes.
    pub documents: Vec<DocView>,
    /// Bookings.
    pub bookings: Vec<Booking>,
    /// Balance (0 = balanced).
    pub balance_minor: i64,
}

/// One order in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// pixi order number.
    pub order_nr: i64,
    /// Shop order number.
    pub order_nr_external: String,
    /// Payment method.
    pub payment_code: String,
    /// "KK-ID".
    pub kk_id: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Locked.
    pub locked: bool,
    /// Total.
    pub total_minor: i64,
}

/// What an installation has installed, and what it answers instead of results: the revision,
/// calls missing on the database, columns missing from a call's answer, SQL errors to answer
/// with (CT-04/CT-06/CT-07 tests). Each field is applied when given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Switches {
    /// The API revision (`23.3.0.36397`); parameters documented as newer do not exist.
    pub revision: Option<String>,
    /// Calls to remove from the database.
    pub uninstall: Vec<String>,
    /// Calls to install again.
    pub reinstall: Vec<String>,
    /// Columns to leave out of a call's answers.
    pub drop_columns: Vec<ColumnRef>,
    /// Put every dropped column back.
    pub restore_columns: bool,
    /// SQL errors the next calls answer with.
    pub sql_errors: Vec<super::model::SqlErrorSpec>,
    /// Documented refusals (`ReturnCode` ERROR) the next calls answer with.
    pub refusals: Vec<super::model::RefusalSpec>,
}

/// An invoice written by hand (no order lines).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManualInvoice {
    /// Amount.
    pub amount_minor: i64,
}

/// A result column of a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRef {
    /// The call, e.g. `pixiGetOrderHeader`.
    pub call: String,
    /// The column, e.g. `Mandant`.
    pub column: String,
}

/// The switches in effect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchesView {
    /// The API revision.
    pub revision: String,
    /// Calls not installed.
    pub uninstalled: Vec<String>,
    /// Columns left out.
    pub dropped_columns: Vec<ColumnRef>,
    /// SQL errors still to answer with.
    pub sql_errors: Vec<super::model::SqlErrorSpec>,
    /// Refusals still to answer with.
    pub refusals: Vec<super::model::RefusalSpec>,
}
