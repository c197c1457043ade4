//! Admin routes of the smallinvoice simulator (`/admin/smallinvoice/…`): seed API clients
//! (credentials and scopes), contacts (property managements) and invoices, and record a
//! payment on an invoice (the customer pays: `total_paid`, status and `paid_date` follow).

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Europe::Zurich;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::contacts;
use super::invoices;
use super::model::{Address, ApiClient, Contact, Data, Invoice, Position, SCOPES, STATUSES, isr_reference};
use crate::admin::AdminError;
use crate::shared::Shared;

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiAddress {
    /// Street.
    pub street: String,
    /// House number.
    #[serde(default)]
    pub street_no: String,
    /// Second line.
    #[serde(default)]
    pub street2: String,
    /// Postcode.
    pub postcode: String,
    /// City.
    pub city: String,
    /// ISO country (default `CH`).
    #[serde(default)]
    pub country: Option<String>,
}

/// A contact; a property management is a company (`type` `C`, the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiContact {
    /// Id (default: next).
    #[serde(default)]
    pub id: Option<u64>,
    /// Customer number (default: 1000 + count).
    #[serde(default)]
    pub number: Option<String>,
    /// Name.
    pub name: String,
    /// `C` or `P`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Name addition.
    #[serde(default)]
    pub name_addition: String,
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// Phone.
    #[serde(default)]
    pub phone: String,
    /// Language (default `de`).
    #[serde(default)]
    pub language: Option<String>,
    /// Currency (default `CHF`).
    #[serde(default)]
    pub currency: Option<String>,
    /// Creation time (default: sandbox now, Zurich wall clock).
    #[serde(default)]
    pub created: Option<NaiveDateTime>,
    /// Main address.
    pub address: SiAddress,
}

/// An invoice position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiPosition {
    /// Text.
    pub name: String,
    /// Unit price in Rappen.
    pub price_rappen: i64,
    /// Quantity in hundredths (default 100 = 1.0).
    #[serde(default)]
    pub quantity_centi: Option<i64>,
    /// VAT in tenths of a percent (default 81 = 8.1 %), included in the price.
    #[serde(default)]
    pub vat_tenths: Option<i64>,
}

/// An invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiInvoice {
    /// Id (default: next).
    #[serde(default)]
    pub id: Option<u64>,
    /// Number (default: next free number from 10000).
    #[serde(default)]
    pub number: Option<String>,
    /// Contact.
    pub contact_id: u64,
    /// Invoice date.
    pub date: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// Total in Rappen.
    pub total_rappen: i64,
    /// Paid so far (default 0).
    #[serde(default)]
    pub total_paid_rappen: i64,
    /// Status (default from the paid amount: `P`, `PP` or `S`).
    #[serde(default)]
    pub status: Option<String>,
    /// Paid date (default: the invoice date when the status is `P`).
    #[serde(default)]
    pub paid_date: Option<NaiveDate>,
    /// Currency (default `CHF`).
    #[serde(default)]
    pub currency: Option<String>,
    /// Language (default: the contact's).
    #[serde(default)]
    pub language: Option<String>,
    /// Positions (default: one position for the total); their totals must add up.
    #[serde(default)]
    pub positions: Vec<SiPosition>,
}

/// A payment received on an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiPayment {
    /// Amount in Rappen.
    pub amount_rappen: i64,
    /// Payment date (default: sandbox today).
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Routes under `/admin/smallinvoice`.
pub fn routes(shared: Shared) -> Router {
    Router::new()
        .route("/clients", post(add_client))
        .route("/contacts", post(add_contact))
        .route("/invoices", post(add_invoice))
        .route("/invoices/{id}/payments", post(pay))
        .route("/rate-limit", post(set_rate_limit))
        .route("/omit-fields", post(set_omitted))
        .with_state(shared)
}

/// Sets the account's hourly budget: `limit` calls, `remaining` of them left now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiRateLimit {
    /// Calls per hour.
    pub limit: u64,
    /// Calls left in the current hour (default: all).
    #[serde(default)]
    pub remaining: Option<u64>,
}

/// Answer fields contacts and invoices leave out from now on (empty: none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiOmitFields {
    /// Field names.
    pub fields: Vec<String>,
}

async fn set_rate_limit(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let r: SiRateLimit = parse(&body)?;
    let remaining = r.remaining.unwrap_or(r.limit);
    if remaining > r.limit {
        return Err(AdminError::bad("remaining", "at most limit"));
    }
    let now = s.now();
    let mut d = Shared::lock(&s.0.smallinvoice);
    d.rate = super::model::RateBudget { limit: r.limit, used: r.limit - remaining, period_start: Some(now) };
    Ok(StatusCode::NO_CONTENT)
}

async fn set_omitted(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    let o: SiOmitFields = parse(&body)?;
    Shared::lock(&s.0.smallinvoice).omitted = o.fields.into_iter().collect();
    Ok(StatusCode::NO_CONTENT)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::bad("body", e))
}

/// Adds a client (shared with the demo loader).
pub(crate) fn insert_client(d: &mut Data, c: SiClient) -> Result<(), AdminError> {
    if let Some(bad) = c.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
        return Err(AdminError::bad("scopes", format!("unknown scope {bad}")));
    }
    d.clients.insert(c.client_id, ApiClient { secret: c.client_secret, scopes: c.scopes.into_iter().collect() });
    Ok(())
}

async fn add_client(AxState(s): AxState<Shared>, body: Bytes) -> Result<StatusCode, AdminError> {
    insert_client(&mut Shared::lock(&s.0.smallinvoice), parse(&body)?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a contact (shared with the demo loader); returns its id.
pub(crate) fn insert_contact(d: &mut Data, c: SiContact, now: NaiveDateTime) -> Result<u64, AdminError> {
    let id = c.id.unwrap_or_else(|| d.next_contact_id());
    if d.contacts.contains_key(&id) {
        return Err(AdminError::bad("id", format!("contact {id} exists")));
    }
    let kind = c.kind.unwrap_or_else(|| "C".into());
    if kind != "C" && kind != "P" {
        return Err(AdminError::bad("type", "must be C or P"));
    }
    let number = c.number.unwrap_or_else(|| (1000 + d.contacts.len() + 1).to_string());
    let address = Address {
        id: d.next_address_id(),
        street: c.address.street,
        street_no: c.address.street_no,
        street2: c.address.street2,
        postcode: c.address.postcode,
        city: c.address.city,
        country: c.address.country.unwrap_or_else(|| "CH".into()),
    };
    let contact = Contact {
        id,
        number,
        kind,
        name: c.name,
        name_addition: c.name_addition,
        email: c.email,
        phone: c.phone,
        currency: c.currency.unwrap_or_else(|| "CHF".into()),
        language: c.language.unwrap_or_else(|| "de".into()),
        created: c.created.unwrap_or(now),
        address,
    };
    d.contacts.insert(id, contact);
    Ok(id)
}

fn local_now(s: &Shared) -> NaiveDateTime {
    s.now().with_timezone(&Zurich).naive_local()
}

async fn add_contact(AxState(s): AxState<Shared>, body: Bytes) -> Result<(StatusCode, Json<Value>), AdminError> {
    let c: SiContact = parse(&body)?;
    let mut d = Shared::lock(&s.0.smallinvoice);
    let id = insert_contact(&mut d, c, local_now(&s))?;
    let item = d.contacts.get(&id).map(|c| contacts::item(c, &["main_address".to_owned()])).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(item)))
}

fn default_status(total: i64, paid: i64) -> &'static str {
    if paid >= total {
        "P"
    } else if paid > 0 {
        "PP"
    } else {
        "S"
    }
}

/// Adds an invoice (shared with the demo loader); returns its id.
pub(crate) fn insert_invoice(d: &mut Data, i: SiInvoice, now: NaiveDateTime) -> Result<u64, AdminError> {
    let Some(contact) = d.contacts.get(&i.contact_id) else {
        return Err(AdminError::bad("contact_id", format!("unknown contact {}", i.contact_id)));
    };
    if i.total_rappen <= 0 || i.total_paid_rappen < 0 || i.total_paid_rappen > i.total_rappen {
        return Err(AdminError::bad("total_paid_rappen", "need 0 <= total_paid_rappen <= total_rappen, total > 0"));
    }
    if i.due < i.date {
        return Err(AdminError::bad("due", "before date"));
    }
    let status = i.status.unwrap_or_else(|| default_status(i.total_rappen, i.total_paid_rappen).into());
    if !STATUSES.contains(&status.as_str()) {
        return Err(AdminError::bad("status", format!("one of {STATUSES:?}")));
    }
    let mut positions: Vec<Position> = i
        .positions
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let qty = p.quantity_centi.unwrap_or(100);
            Position {
                number: (100 + n).to_string(),
                name: p.name,
                price_rappen: p.price_rappen,
                quantity_centi: qty,
                vat_tenths: p.vat_tenths.unwrap_or(81),
                total_rappen: i64::try_from(i128::from(p.price_rappen) * i128::from(qty) / 100).unwrap_or(i64::MAX),
            }
        })
        .collect();
    if positions.is_empty() {
        positions.push(Position {
            number: "100".into(),
            name: "Dienstleistungen".into(),
            price_rappen: i.total_rappen,
            quantity_centi: 100,
            vat_tenths: 81,
            total_rappen: i.total_rappen,
        });
    }
    if positions.iter().map(|p| p.total_rappen).sum::<i64>() != i.total_rappen {
        return Err(AdminError::bad("positions", "position totals do not add up to total_rappen"));
    }
    let id = i.id.unwrap_or_else(|| d.next_invoice_id());
    let number = i.number.unwrap_or_else(|| d.next_invoice_number());
    if d.invoices.contains_key(&id) || d.invoices.values().any(|x| x.number == number) {
        return Err(AdminError::bad("number", format!("invoice {id} / number {number} exists")));
    }
    let paid_date = i.paid_date.or((status == "P").then_some(i.date));
    let invoice = Invoice {
        id,
        isr_reference_number: isr_reference(&number),
        number,
        contact_id: i.contact_id,
        date: i.date,
        due: i.due,
        currency: i.currency.unwrap_or_else(|| "CHF".into()),
        total_rappen: i.total_rappen,
        paid_rappen: i.total_paid_rappen,
        status,
        paid_date,
        language: i.language.unwrap_or_else(|| contact.language.clone()),
        vat_included: true,
        created: now,
        positions,
    };
    d.invoices.insert(id, invoice);
    Ok(id)
}

fn invoice_item(d: &Data, id: u64) -> Value {
    let with = ["positions".to_owned()];
    d.invoices.get(&id).map(|i| invoices::item(d, i, &with)).unwrap_or_default()
}

async fn add_invoice(AxState(s): AxState<Shared>, body: Bytes) -> Result<(StatusCode, Json<Value>), AdminError> {
    let i: SiInvoice = parse(&body)?;
    let mut d = Shared::lock(&s.0.smallinvoice);
    let id = insert_invoice(&mut d, i, local_now(&s))?;
    Ok((StatusCode::CREATED, Json(invoice_item(&d, id))))
}

async fn pay(AxState(s): AxState<Shared>, Path(id): Path<u64>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let p: SiPayment = parse(&body)?;
    let today = local_now(&s).date();
    let mut d = Shared::lock(&s.0.smallinvoice);
    let Some(inv) = d.invoices.get_mut(&id) else { return Err(AdminError::not_found(format!("invoice {id}"))) };
    if p.amount_rappen <= 0 || inv.paid_rappen + p.amount_rappen > inv.total_rappen {
        return Err(AdminError::bad("amount_rappen", "must be positive and at most the open amount"));
    }
    if matches!(inv.status.as_str(), "DR" | "C" | "D" | "P") {
        return Err(AdminError(StatusCode::CONFLICT, format!("status: invoice is {}", inv.status)));
    }
    inv.paid_rappen += p.amount_rappen;
    if inv.paid_rappen == inv.total_rappen {
        inv.status = "P".into();
        inv.paid_date = Some(p.date.unwrap_or(today));
    } else {
        inv.status = "PP".into();
    }
    Ok(Json(invoice_item(&d, id)))
}
