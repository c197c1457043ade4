//! An invoice-on-account order as the shop sends it ([`OrderInput`], raw text, parsed from the
//! proto at the boundary so the pre-check can report every problem) and as it is once it passed
//! the pre-check ([`CheckedOrder`]).

use kit::money::Money;

pub use crate::domain::RawMoney;

/// A billing or shipping address as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressInput {
    /// `ECOM_*_COMPANY`.
    pub company: String,
    /// `ECOM_*_POSTAL_NAME_PREFIX`.
    pub name_prefix: String,
    /// `ECOM_*_POSTAL_NAME_FIRST`.
    pub first_name: String,
    /// `ECOM_*_POSTAL_NAME_LAST`.
    pub last_name: String,
    /// `ECOM_*_POSTAL_STREET_NUMBER`.
    pub street_number: String,
    /// `ECOM_*_POSTAL_STREET_LINE1`.
    pub street_line1: String,
    /// `ECOM_*_POSTAL_STREET_LINE2`.
    pub street_line2: String,
    /// `ECOM_*_POSTAL_POSTALCODE`.
    pub postal_code: String,
    /// `ECOM_*_POSTAL_CITY`.
    pub city: String,
    /// `ECOM_*_POSTAL_COUNTRYCODE`.
    pub country_code: String,
    /// `ECOM_*_TELECOM_MOBILE_NUMBER`.
    pub mobile_number: String,
    /// `ECOM_*_TELECOM_PHONE_NUMBER`.
    pub phone_number: String,
}

/// One order line as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemInput {
    /// `ITEMIDX`.
    pub item_id: String,
    /// `ITEMNAMEX`.
    pub name: String,
    /// `ITEMPRICEX` (unit price).
    pub unit_price: Option<RawMoney>,
    /// `ITEMVATCODEX`.
    pub vat_code: String,
    /// `ITEMQUANTX`.
    pub quantity: i32,
    /// `ITEMCATEGORYX`.
    pub category: String,
    /// `TAXINCLUDEDX` must be 1.
    pub tax_included: bool,
}

/// An order as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderInput {
    /// The tenant.
    pub tenant: String,
    /// `ORDERID`.
    pub order_id: String,
    /// `AMOUNT` / `CURRENCY`.
    pub amount: Option<RawMoney>,
    /// `EMAIL`.
    pub email: String,
    /// `LANGUAGE`.
    pub language: String,
    /// `REF_CUSTOMERID`.
    pub customer_id: String,
    /// Billing address.
    pub billing: Option<AddressInput>,
    /// Shipping address (`None` = same as billing).
    pub shipping: Option<AddressInput>,
    /// Order lines.
    pub items: Vec<ItemInput>,
    /// `GENERIC_BL_DATA`.
    pub generic_bl_data: String,
}

/// An order line that passed the pre-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedItem {
    /// `ITEMIDX`.
    pub item_id: String,
    /// `ITEMNAMEX`.
    pub name: String,
    /// Unit price in CHF, more than zero.
    pub unit_price: Money,
    /// `ITEMVATCODEX`.
    pub vat_code: String,
    /// 1 to 9999.
    pub quantity: u32,
    /// One of the fixed categories.
    pub category: String,
}

/// An order that passed the pre-check: CHF, Swiss customer, identical addresses, valid items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOrder {
    /// The tenant.
    pub tenant: String,
    /// `ORDERID`.
    pub order_id: kit::OrderId,
    /// Total in CHF.
    pub amount: Money,
    /// `EMAIL`.
    pub email: String,
    /// `LANGUAGE` (may be empty).
    pub language: String,
    /// `REF_CUSTOMERID` (may be empty).
    pub customer_id: String,
    /// The address, sent as both billing and shipping address.
    pub address: AddressInput,
    /// Order lines.
    pub items: Vec<CheckedItem>,
    /// `GENERIC_BL_DATA` (may be empty).
    pub generic_bl_data: String,
}
