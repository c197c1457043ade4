//! How contacts, addresses, positions and invoices look on the wire (field names and shapes
//! of the real API, money as exact floats, smallinvoice's date formats).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::model::{Address, Contact, Invoice, Position, date, datetime, float, money};

/// The address as the API shows it.
pub fn address_json(a: &Address) -> Value {
    json!({
        "default": true,
        "id": a.id,
        "country": a.country,
        "street": a.street,
        "street_no": a.street_no,
        "street2": a.street2,
        "postcode": a.postcode,
        "city": a.city,
        "hide_on_documents": false,
        "default_prepage": false,
        "permissions": null,
    })
}

/// The contact as the API shows it (without `with` extras).
pub fn contact_json(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "number": c.number,
        "relation": ["CL"],
        "type": c.kind,
        "gender": null,
        "gender_salutation_active": false,
        "name": c.name,
        "name_addition": c.name_addition,
        "salutation": null,
        "phone": c.phone,
        "fax": null,
        "email": c.email,
        "website": null,
        "notes": null,
        "communication_language": c.language,
        "communication_channel": "E",
        "communication_newsletter": "A",
        "currency": c.currency,
        "ebill_account_id": null,
        "vat_identification": null,
        "vat_rate": null,
        "discount_rate": float(0, 1),
        "discount_type": "P",
        "payment_grace": 30,
        "hourly_rate": null,
        "created": datetime(c.created),
        "custom_fields": [],
        "main_address_id": c.address.id,
        "groups": [],
        "permissions": ["view", "edit"],
    })
}

/// A position as the API shows it.
pub fn position_json(p: &Position) -> Value {
    json!({
        "type": "N",
        "catalog_type": "S",
        "number": p.number,
        "name": p.name,
        "description": "",
        "price": money(p.price_rappen),
        "vat": float(p.vat_tenths, 1),
        "amount": money(p.quantity_centi),
        "unit_id": 13,
        "total": money(p.total_rappen),
        "show_only_total": false,
    })
}

/// The invoice as the API shows it (without `with` extras).
pub fn invoice_json(i: &Invoice, contact: Option<&Contact>) -> Value {
    json!({
        "id": i.id,
        "number": i.number,
        "contact_id": i.contact_id,
        "contact_name": contact.map(|c| c.name.clone()),
        "contact_address_id": contact.map(|c| c.address.id),
        "contact_person_id": null,
        "date": date(i.date),
        "due": date(i.due),
        "period": null,
        "currency": i.currency,
        "total": money(i.total_rappen),
        "vat_included": i.vat_included,
        "discount_rate": float(0, 1),
        "discount_type": "P",
        "total_paid": money(i.paid_rappen),
        "paid_date": i.paid_date.map(date),
        "isr_reference_number": i.isr_reference_number,
        "language": i.language,
        "status": i.status,
        "created": datetime(i.created),
        "custom_fields": [],
        "permissions": ["view", "edit", "manage"],
    })
}

/// `item` without the fields the admin switch left out (a field smallinvoice stopped sending).
pub fn omit(mut item: Value, omitted: &BTreeSet<String>) -> Value {
    if let Value::Object(m) = &mut item {
        m.retain(|k, _| !omitted.contains(k));
    }
    item
}
