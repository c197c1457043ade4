//! `GET /v2/receivables/invoices`, `GET /v2/receivables/invoices/{id}` and
//! `POST /v2/receivables/invoices` (scope `invoice`). Creating is not idempotent: two calls
//! make two invoices, as on the real API.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value, json};

use super::auth::authorize;
use super::contacts::{Pairs, base, pairs};
use super::listing::{self, Spec};
use super::model::{Data, Invoice, Position, isr_reference, parse_decimal};
use super::render::{address_json, contact_json, invoice_json, omit, position_json};
use super::wire::{Invalid, error, guard, not_found, validation};
use crate::shared::Shared;

const SPEC: Spec = Spec {
    filter: &[
        "id",
        "number",
        "contact_id",
        "contact_address_id",
        "status",
        "currency",
        "date",
        "due",
        "language",
        "paid_date",
        "isr_reference_number",
    ],
    sort: &["id", "number", "contact_id", "date", "due", "total", "total_paid", "status", "created"],
    with: &["contact", "contact_address", "positions"],
    text: &["number", "contact_name", "isr_reference_number"],
};

/// The invoice with the `with` extras.
pub fn item(d: &Data, i: &Invoice, with: &[String]) -> Value {
    let contact = d.contacts.get(&i.contact_id);
    let mut v = invoice_json(i, contact);
    for w in with {
        match w.as_str() {
            "contact" => v["contact"] = contact.map(contact_json).unwrap_or(Value::Null),
            "contact_address" => {
                v["contact_address"] = contact.map(|c| address_json(&c.address)).unwrap_or(Value::Null)
            }
            "positions" => v["positions"] = i.positions.iter().map(position_json).collect(),
            _ => {}
        }
    }
    v
}

/// `GET /v2/receivables/invoices`
pub async fn list(AxState(shared): AxState<Shared>, headers: HeaderMap, query: Pairs) -> Response {
    let s = shared.clone();
    guard(&shared, "list_invoices", async move {
        if let Err(r) = authorize(&s, &headers, "invoice") {
            return r.into_response();
        }
        let p = match pairs(query).and_then(|q| listing::parse(&q, &SPEC)) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
        let d = Shared::lock(&s.0.smallinvoice);
        let items: Vec<Value> = d.invoices.values().map(|i| omit(item(&d, i, &p.with), &d.omitted)).collect();
        drop(d);
        Json(listing::page(items, &p, &SPEC, &base(&headers, "/v2/receivables/invoices"))).into_response()
    })
    .await
}

/// `GET /v2/receivables/invoices/{id}`
pub async fn get(
    AxState(shared): AxState<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    query: Pairs,
) -> Response {
    let s = shared.clone();
    guard(&shared, "get_invoice", async move {
        if let Err(r) = authorize(&s, &headers, "invoice") {
            return r.into_response();
        }
        let p = match pairs(query).and_then(|q| listing::parse(&q, &SPEC)) {
            Ok(p) => p,
            Err(r) => return r.into_response(),
        };
        let d = Shared::lock(&s.0.smallinvoice);
        match id.parse::<u64>().ok().and_then(|id| d.invoices.get(&id)) {
            Some(i) => Json(json!({ "item": omit(item(&d, i, &p.with), &d.omitted) })).into_response(),
            None => not_found("invoice"),
        }
    })
    .await
}

/// `POST /v2/receivables/invoices`
pub async fn create(AxState(shared): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let s = shared.clone();
    guard(&shared, "create_invoice", async move {
        if let Err(r) = authorize(&s, &headers, "invoice") {
            return r.into_response();
        }
        create_now(&s, &body)
    })
    .await
}

fn invalid(key: impl Into<String>, code: u16, message: &str) -> Invalid {
    Invalid { key: key.into(), code, message: message.into() }
}

fn date_field(v: &Value, key: &str, errs: &mut Vec<Invalid>) -> Option<NaiveDate> {
    match &v[key] {
        Value::Null => {
            errs.push(invalid(key, 1, "This value is required."));
            None
        }
        Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
            errs.push(invalid(key, 2, "This value is not a valid date (YYYY-MM-DD)."));
            None
        }),
        _ => {
            errs.push(invalid(key, 2, "This value is not a valid date (YYYY-MM-DD)."));
            None
        }
    }
}

/// Line total: price × quantity (+ VAT when prices exclude it), rounded half up to Rappen.
fn line_total(price: i64, qty_centi: i64, vat_tenths: i64, vat_included: bool) -> i64 {
    let factor = if vat_included { 1000 } else { 1000 + vat_tenths };
    let num = i128::from(price) * i128::from(qty_centi) * i128::from(factor);
    let den: i128 = 100 * 1000;
    i64::try_from((num + den / 2) / den).unwrap_or(i64::MAX)
}

fn positions(v: &Value, vat_included: bool, errs: &mut Vec<Invalid>) -> Vec<Position> {
    let Some(items) = v["positions"].as_array().filter(|a| !a.is_empty()) else {
        errs.push(invalid("positions", 1, "At least one position is required."));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (n, p) in items.iter().enumerate() {
        let key = |f: &str| format!("positions.{n}.{f}");
        let name = p["name"].as_str().filter(|s| !s.trim().is_empty());
        if name.is_none() {
            errs.push(invalid(key("name"), 1, "This value is required."));
        }
        let price = parse_decimal(&p["price"], 2).filter(|x| *x >= 0);
        if price.is_none() {
            errs.push(invalid(key("price"), 2, "This value must be a number of at least 0 with at most 2 decimals."));
        }
        let qty = parse_decimal(&p["amount"], 2).filter(|x| *x > 0);
        if qty.is_none() {
            errs.push(invalid(key("amount"), 2, "This value must be a positive number with at most 2 decimals."));
        }
        let vat =
            if p["vat"].is_null() { Some(0) } else { parse_decimal(&p["vat"], 1).filter(|x| (0..=1000).contains(x)) };
        if vat.is_none() {
            errs.push(invalid(key("vat"), 2, "This value must be a VAT rate between 0 and 100."));
        }
        if let (Some(name), Some(price), Some(qty), Some(vat)) = (name, price, qty, vat) {
            out.push(Position {
                number: p["number"].as_str().unwrap_or_default().to_owned(),
                name: name.to_owned(),
                price_rappen: price,
                quantity_centi: qty,
                vat_tenths: vat,
                total_rappen: line_total(price, qty, vat, vat_included),
            });
        }
    }
    out
}

fn create_now(s: &Shared, body: &[u8]) -> Response {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error(StatusCode::BAD_REQUEST, "Invalid JSON body"),
    };
    let now = s.now().naive_utc();
    let mut d = Shared::lock(&s.0.smallinvoice);
    let mut errs = Vec::new();
    let contact = match v["contact_id"].as_u64() {
        Some(id) => d.contacts.get(&id).cloned().or_else(|| {
            errs.push(invalid("contact_id", 3, "The contact does not exist."));
            None
        }),
        None => {
            errs.push(invalid("contact_id", 1, "This value is required."));
            None
        }
    };
    if let (Some(a), Some(c)) = (v["contact_address_id"].as_u64(), &contact)
        && a != c.address.id
    {
        errs.push(invalid("contact_address_id", 3, "The address does not belong to the contact."));
    }
    let date = date_field(&v, "date", &mut errs);
    let due = date_field(&v, "due", &mut errs);
    if let (Some(a), Some(b)) = (date, due)
        && b < a
    {
        errs.push(invalid("due", 2, "The due date must not be before the invoice date."));
    }
    let currency = v["currency"].as_str().map(str::to_owned).or_else(|| contact.as_ref().map(|c| c.currency.clone()));
    let currency = currency.unwrap_or_else(|| "CHF".into());
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        errs.push(invalid("currency", 2, "This value is not a valid currency."));
    }
    let language = v["language"].as_str().map(str::to_owned).or_else(|| contact.as_ref().map(|c| c.language.clone()));
    let language = language.unwrap_or_else(|| "de".into());
    if !["de", "en", "es", "fr", "it"].contains(&language.as_str()) {
        errs.push(invalid("language", 2, "The value you selected is not a valid choice."));
    }
    let vat_included = v["vat_included"].as_bool().unwrap_or(true);
    let lines = positions(&v, vat_included, &mut errs);
    let (Some(contact), Some(date), Some(due), true) = (contact, date, due, errs.is_empty()) else {
        return validation(errs);
    };
    let number = d.next_invoice_number();
    let invoice = Invoice {
        id: d.next_invoice_id(),
        isr_reference_number: isr_reference(&number),
        number,
        contact_id: contact.id,
        date,
        due,
        currency,
        total_rappen: lines.iter().map(|p| p.total_rappen).sum(),
        paid_rappen: 0,
        status: "DR".into(),
        paid_date: None,
        language,
        vat_included,
        created: now,
        positions: lines,
    };
    let body = json!({ "item": item(&d, &invoice, &["positions".to_owned()]) });
    d.invoices.insert(invoice.id, invoice);
    (StatusCode::CREATED, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::line_total;

    #[test]
    fn line_totals_round_half_up_to_rappen() {
        // The three positions of smallinvoice's own example invoice (VAT 7.7 % on top).
        assert_eq!(line_total(18, 200, 77, false), 39);
        assert_eq!(line_total(20000, 500, 77, false), 107_700);
        assert_eq!(line_total(25, 700, 77, false), 188);
        assert_eq!(line_total(1250, 150, 81, true), 1875);
    }
}
