//! Orders: header, lines, addresses (with the customer-service bank fields), shipping lock and
//! comments.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Order status (order header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderStatus {
    /// Parked until released (lines `HAL`).
    Hold,
    /// Released; shippable.
    Open,
    /// Every line shipped, returned or cancelled.
    Closed,
}

impl OrderStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Hold => "HOLD",
            OrderStatus::Open => "OPEN",
            OrderStatus::Closed => "CLOSED",
        }
    }
}

/// Order-line status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LineStatus {
    /// On hold (waiting for payment / release).
    Hal,
    /// Accepted, released for shipping.
    Ang,
    /// Scanned into the box; on an invoice that is not shipped yet.
    Ein,
    /// Shipped.
    Aus,
    /// Cancelled.
    Sto,
    /// Not deliverable.
    Nlb,
    /// Returned (on a credit note).
    Ret,
}

impl LineStatus {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Hal => "HAL",
            LineStatus::Ang => "ANG",
            LineStatus::Ein => "EIN",
            LineStatus::Aus => "AUS",
            LineStatus::Sto => "STO",
            LineStatus::Nlb => "NLB",
            LineStatus::Ret => "RET",
        }
    }

    /// Nothing more will happen to the line in the order flow.
    pub fn is_final(self) -> bool {
        matches!(self, LineStatus::Aus | LineStatus::Sto | LineStatus::Nlb | LineStatus::Ret)
    }

    /// Cancelled (does not count towards the order total).
    pub fn is_cancelled(self) -> bool {
        matches!(self, LineStatus::Sto | LineStatus::Nlb)
    }
}

/// A billing or shipping address; the billing address also holds the customer-service bank
/// fields (account holder, IBAN, BIC, bank) that prepayment writes the transfer data into.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// pixi `AddrKey` (set by the sandbox).
    pub key: i64,
    /// Salutation (`Anrede`).
    pub salutation: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Company.
    pub company: String,
    /// Street and house number.
    pub street: String,
    /// Postal code.
    pub zip: String,
    /// City.
    pub city: String,
    /// ISO 3166 alpha-2 country.
    pub country: String,
    /// Phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Kontoinhaber (prepayment: the recipient).
    pub account_holder: Option<String>,
    /// IBAN.
    pub iban: Option<String>,
    /// BIC.
    pub bic: Option<String>,
    /// Bank (prepayment: the payment reference).
    pub bank_name: Option<String>,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// pixi `OrderlineKey`.
    pub key: i64,
    /// Shop item number (`ItemNrInt`).
    pub item_nr: String,
    /// Barcode.
    pub ean: String,
    /// Item name.
    pub name: String,
    /// Quantity.
    pub qty: i64,
    /// Gross unit price in minor units.
    pub price_minor: i64,
    /// Status.
    pub status: LineStatus,
    /// `InvoiceKey` of the invoice the line is on.
    pub invoice_key: Option<i64>,
    /// `InvoiceKey` of the credit note the line is on.
    pub credit_key: Option<i64>,
    /// Last change.
    pub updated: NaiveDateTime,
}

impl Line {
    /// Quantity × unit price.
    pub fn total_minor(&self) -> i64 {
        self.qty.saturating_mul(self.price_minor)
    }
}

/// The order's shipping lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingLock {
    /// Locked for shipping.
    pub locked: bool,
    /// Reason given (or pixi's automatic text).
    pub reason: String,
    /// Who set or lifted it.
    pub user: String,
    /// When.
    pub at: Option<NaiveDateTime>,
}

/// An order or customer comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Comment key.
    pub key: i64,
    /// Text.
    pub text: String,
    /// Author (`CreateEmp`).
    pub user: String,
    /// Created.
    pub at: NaiveDateTime,
}

/// One customer order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// pixi order number.
    pub order_nr: i64,
    /// Shop order number (`OrderNrExternal`); manual and exchange orders use `P` + `order_nr`.
    pub order_nr_external: String,
    /// Shop (`ShopID`).
    pub shop_id: String,
    /// pixi mandant (client); equals `shop_id` unless seeded otherwise.
    pub mandant: String,
    /// pixi payment method code.
    pub payment_code: String,
    /// "KK-ID" in customer service = `ccpPayID`: the unzer payment id.
    pub kk_id: Option<String>,
    /// The payment id the shop put into the imported order XML (under the method's XML tag);
    /// usually the KK-ID, but a shop interface may fill only the XML.
    #[serde(default)]
    pub import_payment_id: Option<String>,
    /// `ccpLastAuthCode`.
    pub auth_code: Option<String>,
    /// `ccpSetFailTries`: failed authorisation attempts.
    pub fail_tries: u32,
    /// Customer key.
    pub cust_key: i64,
    /// Billing address (with the customer-service bank fields).
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Status.
    pub status: OrderStatus,
    /// Lines.
    pub lines: Vec<Line>,
    /// Shipping cost in minor units (charged on the first invoice).
    pub ship_cost_minor: i64,
    /// ISO currency.
    pub currency: String,
    /// Shipping lock.
    pub lock: ShippingLock,
    /// Order comments, oldest first.
    pub comments: Vec<Comment>,
    /// Merged with another order in pixi (PX-24).
    pub merged: bool,
    /// The order it was merged with.
    pub merged_with: Option<i64>,
    /// Order date (from the shop).
    pub order_date: NaiveDateTime,
    /// Imported into pixi.
    pub created: NaiveDateTime,
    /// Last change of header or lines.
    pub updated: NaiveDateTime,
}

impl Order {
    /// Gross total: lines not cancelled plus shipping.
    pub fn total_minor(&self) -> i64 {
        let lines: i64 = self.lines.iter().filter(|l| !l.status.is_cancelled()).map(Line::total_minor).sum();
        lines + self.ship_cost_minor
    }

    /// The line with `key`.
    pub fn line_mut(&mut self, key: i64) -> Option<&mut Line> {
        self.lines.iter_mut().find(|l| l.key == key)
    }
}
