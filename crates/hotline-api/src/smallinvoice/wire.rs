//! smallinvoice API v2 wire structs (external-apis.md §4): the token answer, list and item
//! envelopes, contacts with their main address, invoices with `total`/`total_paid` as JSON
//! floats (converted exactly into Rappen) and the error bodies.

use kit::money::{Currency, Money};
use serde::Deserialize;

use crate::domain::invoice::{money_from_float_text, status_label};

/// `POST /auth/access-tokens` answer.
#[derive(Debug, Deserialize)]
pub struct TokenWire {
    /// Bearer token.
    pub access_token: String,
    /// Seconds until it expires (43 200).
    pub expires_in: i64,
    /// Rotating refresh token.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// A list envelope.
#[derive(Debug, Deserialize)]
pub struct ListWire<T> {
    /// Paging.
    pub pagination: Option<PaginationWire>,
    /// Items.
    pub items: Vec<T>,
}

/// Paging links.
#[derive(Debug, Deserialize)]
pub struct PaginationWire {
    /// Total items.
    #[serde(default)]
    pub total: u64,
    /// The next page, while more follow.
    #[serde(default)]
    pub next: Option<String>,
}

/// A single-item envelope.
#[derive(Debug, Deserialize)]
pub struct ItemWire<T> {
    /// The item.
    pub item: T,
}

/// A contact.
#[derive(Debug, Deserialize)]
pub struct ContactWire {
    /// Id.
    pub id: i64,
    /// Customer number.
    #[serde(default)]
    pub number: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Main address (with `with=main_address`).
    #[serde(default)]
    pub main_address: Option<AddressWire>,
}

/// An address.
#[derive(Debug, Deserialize)]
pub struct AddressWire {
    #[serde(default)]
    street: Option<String>,
    #[serde(default)]
    street_no: Option<String>,
    #[serde(default)]
    postcode: Option<String>,
    #[serde(default)]
    city: Option<String>,
}

impl AddressWire {
    /// `Street 12, 8005 City`.
    pub fn one_line(&self) -> String {
        let street =
            [self.street.as_deref(), self.street_no.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let city = [self.postcode.as_deref(), self.city.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        [street.trim(), city.trim()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
    }
}

/// An invoice.
#[derive(Debug, Deserialize)]
pub struct InvoiceWire {
    /// Id.
    pub id: i64,
    /// Number.
    pub number: String,
    /// Contact it belongs to.
    pub contact_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub due: Option<String>,
    /// ISO currency.
    pub currency: String,
    /// Total as a JSON float.
    pub total: serde_json::Number,
    /// Paid so far as a JSON float.
    #[serde(default)]
    pub total_paid: Option<serde_json::Number>,
    /// Status code.
    pub status: String,
}

/// An invoice as the hotline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id.
    pub id: i64,
    /// Number.
    pub number: String,
    /// Invoice date.
    pub date: String,
    /// Due date.
    pub due: String,
    /// Total.
    pub total: Money,
    /// Paid.
    pub paid: Money,
    /// Status code.
    pub status: String,
    /// Status in German.
    pub status_label: String,
}

impl InvoiceWire {
    /// Converts the floats exactly; an amount that is not a whole number of Rappen is an error.
    pub fn into_invoice(self) -> Result<Invoice, String> {
        let currency = Currency::parse(&self.currency).map_err(|e| format!("invoice {}: {e}", self.id))?;
        let money = |n: &serde_json::Number, field: &str| {
            money_from_float_text(&n.to_string(), currency)
                .ok_or_else(|| format!("invoice {}: {field} {n} is not an exact amount", self.id))
        };
        let total = money(&self.total, "total")?;
        let paid = match &self.total_paid {
            Some(p) => money(p, "total_paid")?,
            None => Money::zero(currency),
        };
        Ok(Invoice {
            id: self.id,
            number: self.number,
            date: self.date,
            due: self.due.unwrap_or_default(),
            total,
            paid,
            status_label: status_label(&self.status),
            status: self.status,
        })
    }
}

/// An error body `{"code","message","meta"?}`.
#[derive(Debug, Deserialize)]
pub struct ErrorWire {
    /// Message.
    #[serde(default)]
    pub message: String,
}
