//! smallinvoice API v2 answers read fail-closed (`kit::contract`, CT-05), as the cases under
//! `crates/sandbox/contracts/smallinvoice/` show them: the token answer, the list envelope
//! (`pagination` and `items`), contacts with their main address, invoices whose `total` and
//! `total_paid` are JSON floats in francs (converted exactly into Rappen), and the error body
//! `{code, message, meta?}` whose `code` is smallinvoice's application code (2102 invalid sort
//! key, 3000 not found, 6000 rate limit, 8000 offline, 4001–4003 plan limits), not the HTTP
//! status.

use kit::contract::{ContractError, Json, Problem};
use kit::money::{Currency, Money};

use crate::domain::invoice::{money_from_float_text, status_label};

/// A contact as the hotline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Id.
    pub id: i64,
    /// Customer number (empty when smallinvoice has none).
    pub number: String,
    /// Name.
    pub name: String,
    /// E-mail (empty when none).
    pub email: String,
    /// Phone (empty when none).
    pub phone: String,
    /// Main address on one line (empty when none).
    pub address: String,
}

/// An invoice as the hotline shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id.
    pub id: i64,
    /// Number.
    pub number: String,
    /// Invoice date, `YYYY-MM-DD`.
    pub date: String,
    /// Due date (empty when none).
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

/// An invoice with the contact smallinvoice says it belongs to.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    /// The contact id of the answer (checked again by the caller).
    pub contact_id: i64,
    /// The invoice.
    pub invoice: Invoice,
}

/// The token answer: the access token and its lifetime in seconds. A `refresh_token`, if one
/// ever came, is ignored: for the client-credentials grant a new token is requested the same
/// way (the official auth workflow).
pub fn token(j: &Json<'_>) -> Result<(String, i64), ContractError> {
    let access = j.text("access_token")?.to_owned();
    let expires_in = j.i64("expires_in")?;
    if expires_in <= 0 {
        return Err(j.error("expires_in", Problem::Invalid("a positive number of seconds".into())));
    }
    Ok((access, expires_in))
}

fn opt_text(j: &Json<'_>, p: &str) -> Result<String, ContractError> {
    Ok(j.opt_str(p)?.unwrap_or_default().trim().to_owned())
}

/// `Street 12, 8005 City` of an address object.
fn one_line(a: &Json<'_>) -> Result<String, ContractError> {
    let street = [opt_text(a, "street")?, opt_text(a, "street_no")?].join(" ");
    let city = [opt_text(a, "postcode")?, opt_text(a, "city")?].join(" ");
    Ok([street.trim(), city.trim()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "))
}

/// One contact (`id` and `name` needed; number, e-mail, phone and the main address may be
/// absent or null, as the third-party fixture shows for companies).
pub fn contact(j: &Json<'_>) -> Result<Contact, ContractError> {
    let address = match j.get("main_address") {
        None => String::new(),
        Some(_) => one_line(&j.obj("main_address")?)?,
    };
    Ok(Contact {
        id: j.i64("id")?,
        name: j.text("name")?.trim().to_owned(),
        number: opt_text(j, "number")?,
        email: opt_text(j, "email")?,
        phone: opt_text(j, "phone")?,
        address,
    })
}

/// The contacts of a list answer.
pub fn contacts(j: &Json<'_>) -> Result<Vec<Contact>, ContractError> {
    j.array("items")?.iter().map(contact).collect()
}

/// The invoices of a list page and whether `pagination.next` says more follow.
pub fn invoice_page(j: &Json<'_>) -> Result<(Vec<InvoiceRow>, bool), ContractError> {
    let pagination = j.obj("pagination")?;
    let more = pagination.opt_str("next")?.is_some_and(|n| !n.trim().is_empty());
    let rows = j.array("items")?.iter().map(invoice).collect::<Result<_, _>>()?;
    Ok((rows, more))
}

fn amount(j: &Json<'_>, p: &str, currency: Currency) -> Result<Money, ContractError> {
    let text = match j.get(p) {
        None => return Err(j.error(p, Problem::Missing)),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(_) => return Err(j.error(p, Problem::WrongType("a number"))),
    };
    money_from_float_text(&text, currency)
        .ok_or_else(|| j.error(p, Problem::Invalid(format!("an exact amount in {}", currency.as_str()))))
}

fn invoice(j: &Json<'_>) -> Result<InvoiceRow, ContractError> {
    let currency_text = j.text("currency")?;
    let currency = Currency::parse(currency_text)
        .map_err(|_| j.error("currency", Problem::Invalid("an ISO currency code".into())))?;
    let status = j.text("status")?.to_owned();
    Ok(InvoiceRow {
        contact_id: j.i64("contact_id")?,
        invoice: Invoice {
            id: j.i64("id")?,
            number: j.text("number")?.to_owned(),
            date: j.text("date")?.to_owned(),
            due: opt_text(j, "due")?,
            total: amount(j, "total", currency)?,
            paid: amount(j, "total_paid", currency)?,
            status_label: status_label(&status),
            status,
        },
    })
}

/// An error body: smallinvoice's application code and message, when the body has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// Application code (not the HTTP status).
    pub code: Option<i64>,
    /// Message.
    pub message: String,
}

/// Reads an error body leniently: it only says why a call failed, it decides nothing.
pub fn error_body(text: &str) -> ErrorBody {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    ErrorBody { code: v["code"].as_i64(), message: v["message"].as_str().unwrap_or_default().to_owned() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hl_21_float_totals_are_exact_and_an_inexact_one_is_a_contract_error() {
        let ok = json!({"id": 1, "number": "10002", "contact_id": 5, "date": "2021-08-01", "currency": "CHF",
            "total": 1079.27, "total_paid": 0.0, "status": "R1"});
        let row = invoice(&Json::new("smallinvoice", "list_invoices", &ok)).unwrap();
        assert_eq!(row.invoice.total, Money::new(107_927, Currency::CHF));
        assert_eq!(row.invoice.paid, Money::zero(Currency::CHF));
        assert_eq!(row.invoice.due, "");
        let mut bad = ok.clone();
        bad["total"] = json!(1.005);
        assert_eq!(invoice(&Json::new("smallinvoice", "list_invoices", &bad)).unwrap_err().field, "total");
        bad["total"] = json!("1079.27");
        assert_eq!(invoice(&Json::new("smallinvoice", "list_invoices", &bad)).unwrap_err().field, "total");
    }

    #[test]
    fn contacts_without_number_email_phone_or_address_are_read() {
        let v = json!({"id": 7, "name": "Coiffure Kathrin", "email": null});
        let c = contact(&Json::new("smallinvoice", "list_contacts", &v)).unwrap();
        assert_eq!((c.number.as_str(), c.email.as_str(), c.address.as_str()), ("", "", ""));
        let v = json!({"id": 7, "name": " "});
        assert_eq!(contact(&Json::new("smallinvoice", "list_contacts", &v)).unwrap_err().field, "name");
    }

    #[test]
    fn error_bodies_carry_the_application_code() {
        assert_eq!(error_body(r#"{"code":2102,"message":"Invalid sorting key value"}"#).code, Some(2102));
        assert_eq!(error_body("").code, None);
    }
}
