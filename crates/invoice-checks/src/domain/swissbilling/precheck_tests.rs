//! Table tests of the pre-check: one case per rule and one per field length (at the limit it
//! passes, one character more it fails on exactly that field).

use super::*;

fn money(minor: i64) -> Option<RawMoney> {
    Some(RawMoney { minor, currency: "CHF".into() })
}

fn address() -> AddressInput {
    AddressInput {
        first_name: "Anna".into(),
        last_name: "Müller".into(),
        street_number: "5".into(),
        street_line1: "Seestrasse".into(),
        postal_code: "8002".into(),
        city: "Zürich".into(),
        country_code: "CH".into(),
        ..Default::default()
    }
}

fn item(price: i64, quantity: i32) -> ItemInput {
    ItemInput {
        item_id: "2855".into(),
        name: "Waschkarte".into(),
        unit_price: money(price),
        vat_code: "8.1%".into(),
        quantity,
        category: "ServicesForIndividuals".into(),
        tax_included: true,
    }
}

pub(crate) fn valid() -> OrderInput {
    OrderInput {
        tenant: "shop".into(),
        order_id: "SB-1001".into(),
        amount: money(3999 + 2 * 500),
        email: "anna.muster@example.ch".into(),
        language: "de_CH".into(),
        customer_id: "C-17".into(),
        billing: Some(address()),
        shipping: Some(address()),
        items: vec![item(3999, 1), item(500, 2)],
        generic_bl_data: String::new(),
    }
}

/// Fields (`field`, `rule`) of the violations of `order`.
fn found(order: &OrderInput, b2b: bool) -> Vec<(String, &'static str)> {
    match check(order, b2b) {
        Ok(_) => vec![],
        Err(v) => v.into_iter().map(|v| (v.field, v.rule)).collect(),
    }
}

#[test]
fn a_valid_order_passes_and_keeps_its_values() {
    let checked = check(&valid(), false).unwrap();
    assert_eq!(checked.amount, Money::new(4999, Currency::CHF));
    assert_eq!(checked.items.len(), 2);
    assert_eq!(checked.address.city, "Zürich");
    // Shipping may be left out: it is the billing address.
    let mut o = valid();
    o.shipping = None;
    assert!(check(&o, false).is_ok());
}

type Edit = fn(&mut OrderInput);

/// Runs the cases whose name starts with `prefix` (a rule id or "format").
fn rule_cases(prefix: &str) {
    let mut ran = 0;
    type Case<'a> = (&'a str, Edit, bool, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case<'_>> = vec![
        (
            "IC-01 currency of the order",
            |o| o.amount.as_mut().unwrap().currency = "EUR".into(),
            false,
            vec![("order.amount.currency", "IC-01")],
        ),
        (
            "IC-01 currency of an item",
            |o| o.items[1].unit_price.as_mut().unwrap().currency = "EUR".into(),
            false,
            vec![("order.items[1].unit_price.currency", "IC-01")],
        ),
        (
            "IC-01 country",
            |o| {
                o.billing.as_mut().unwrap().country_code = "DE".into();
                o.shipping.as_mut().unwrap().country_code = "DE".into();
            },
            false,
            vec![("order.billing.country_code", "IC-01"), ("order.shipping.country_code", "IC-01")],
        ),
        (
            "IC-02 addresses differ",
            |o| o.shipping.as_mut().unwrap().city = "Bern".into(),
            false,
            vec![("order.shipping.city", "IC-02")],
        ),
        (
            "IC-02 case and spacing do not count as a difference",
            |o| o.shipping.as_mut().unwrap().street_line1 = "  SEESTRASSE ".into(),
            false,
            vec![],
        ),
        (
            "IC-03 free item",
            |o| {
                o.items[1].unit_price = money(0);
                o.amount = money(3999);
            },
            false,
            vec![("order.items[1].unit_price.amount_minor", "IC-03")],
        ),
        (
            "IC-03 not tax-included",
            |o| o.items[0].tax_included = false,
            false,
            vec![("order.items[0].tax_included", "IC-03")],
        ),
        (
            "IC-04 category not on the list",
            |o| o.items[0].category = "SPORT".into(),
            false,
            vec![("order.items[0].category", "IC-04")],
        ),
        ("IC-05 mandatory e-mail", |o| o.email = String::new(), false, vec![("order.email", "IC-05")]),
        ("IC-05 no items", |o| o.items.clear(), false, vec![("order.items", "IC-05")]),
        (
            "IC-05 quantity of five digits",
            |o| o.items[0].quantity = 10_000,
            false,
            vec![("order.items[0].quantity", "IC-05")],
        ),
        (
            "IC-05 amount above fifteen digits (N 15; the seed's 6 is a typo like EMAIL's)",
            |o| o.amount = money(1_000_000_000_000_000),
            false,
            vec![("order.amount.amount_minor", "IC-05")],
        ),
        (
            "IC-05 an order of CHF 10'000 and more passes",
            |o| {
                o.items = vec![item(1_000_000, 1)];
                o.amount = money(1_000_000);
            },
            false,
            vec![],
        ),
        (
            "IC-06 B2B without company",
            |_| {},
            true,
            vec![("order.billing.company", "IC-06"), ("order.shipping.company", "IC-06")],
        ),
        (
            "IC-06 B2B with company",
            |o| {
                o.billing.as_mut().unwrap().company = "Muster AG".into();
                o.shipping.as_mut().unwrap().company = "Muster AG".into();
            },
            true,
            vec![],
        ),
        ("format: e-mail shape", |o| o.email = "anna".into(), false, vec![("order.email", "")]),
        ("format: order id alphabet", |o| o.order_id = "SB 1001".into(), false, vec![("order.order_id", "")]),
        ("format: sum of items", |o| o.amount = money(4000), false, vec![("order.amount", "")]),
        ("format: control characters", |o| o.items[0].name = "a\nb".into(), false, vec![("order.items[0].name", "")]),
    ];
    for (name, edit, b2b, want) in cases.into_iter().filter(|c| c.0.starts_with(prefix)) {
        let mut o = valid();
        edit(&mut o);
        let want: Vec<(String, &str)> = want.into_iter().map(|(f, r)| (f.to_owned(), r)).collect();
        assert_eq!(found(&o, b2b), want, "{name}");
        ran += 1;
    }
    assert!(ran > 0, "no case for {prefix}");
}

#[test]
fn ic_01_chf_only_and_swiss_customers_only() {
    rule_cases("IC-01");
}

#[test]
fn ic_02_billing_and_shipping_address_must_be_identical() {
    rule_cases("IC-02");
}

#[test]
fn ic_03_every_item_costs_more_than_zero_and_is_tax_included() {
    rule_cases("IC-03");
}

#[test]
fn ic_04_every_item_has_a_category_from_the_fixed_list() {
    rule_cases("IC-04");
}

#[test]
fn ic_05_mandatory_fields_and_digit_limits() {
    rule_cases("IC-05");
}

#[test]
fn ic_06_b2b_merchants_need_the_company_name() {
    rule_cases("IC-06");
}

#[test]
fn general_input_format_checks() {
    rule_cases("format");
}

type Setter = fn(&mut OrderInput, String);

#[test]
fn ic_05_every_field_length_of_the_seed_table() {
    let cases: Vec<(&str, usize, Setter)> = vec![
        ("order.order_id", 30, |o, s| o.order_id = s),
        ("order.email", 50, |o, s| o.email = format!("{}@example.ch", &s[..s.len() - 11])),
        ("order.language", 5, |o, s| o.language = s),
        ("order.customer_id", 20, |o, s| o.customer_id = s),
        ("order.generic_bl_data", 50, |o, s| o.generic_bl_data = s),
        ("order.billing.company", 50, |o, s| o.billing.as_mut().unwrap().company = s),
        ("order.billing.name_prefix", 4, |o, s| o.billing.as_mut().unwrap().name_prefix = s),
        ("order.billing.first_name", 35, |o, s| o.billing.as_mut().unwrap().first_name = s),
        ("order.billing.last_name", 35, |o, s| o.billing.as_mut().unwrap().last_name = s),
        ("order.billing.street_number", 10, |o, s| o.billing.as_mut().unwrap().street_number = s),
        ("order.billing.street_line1", 35, |o, s| o.billing.as_mut().unwrap().street_line1 = s),
        ("order.billing.street_line2", 35, |o, s| o.billing.as_mut().unwrap().street_line2 = s),
        ("order.billing.postal_code", 5, |o, s| o.billing.as_mut().unwrap().postal_code = s),
        ("order.billing.city", 25, |o, s| o.billing.as_mut().unwrap().city = s),
        ("order.billing.mobile_number", 20, |o, s| o.billing.as_mut().unwrap().mobile_number = s),
        ("order.billing.phone_number", 20, |o, s| o.billing.as_mut().unwrap().phone_number = s),
        ("order.items[0].item_id", 15, |o, s| o.items[0].item_id = s),
        ("order.items[0].name", 40, |o, s| o.items[0].name = s),
        ("order.items[0].vat_code", 6, |o, s| o.items[0].vat_code = s),
    ];
    for (field, max, set) in cases {
        // Address fields change on both sides so that IC-02 stays quiet.
        let both = |o: &mut OrderInput, s: String| {
            set(o, s);
            if field.starts_with("order.billing.") {
                o.shipping = o.billing.clone();
            }
        };
        let mut ok = valid();
        both(&mut ok, "7".repeat(max));
        assert_eq!(found(&ok, false), vec![], "{field} at {max} characters");
        let mut long = valid();
        both(&mut long, "7".repeat(max + 1));
        let got = found(&long, false);
        let want = if field.starts_with("order.billing.") {
            vec![(field.to_owned(), "IC-05"), (field.replace("billing", "shipping"), "IC-05")]
        } else {
            vec![(field.to_owned(), "IC-05")]
        };
        assert_eq!(got, want, "{field} at {} characters", max + 1);
    }
    // Lengths count characters, not bytes.
    let mut o = valid();
    o.billing.as_mut().unwrap().city = "ü".repeat(25);
    o.shipping = o.billing.clone();
    assert_eq!(found(&o, false), vec![]);
    // The country code (2) and the item price (10 characters in francs, 9999999.99) are fixed-size.
    let mut o = valid();
    o.billing.as_mut().unwrap().country_code = "CHE".into();
    o.shipping = o.billing.clone();
    let got = found(&o, false);
    assert!(got.contains(&("order.billing.country_code".into(), "IC-05")), "{got:?}");
    let mut o = valid();
    o.items = vec![item(1_000_000_000, 1)];
    o.amount = money(1_000_000_000);
    let got = found(&o, false);
    assert!(got.contains(&("order.items[0].unit_price.amount_minor".into(), "IC-05")), "{got:?}");
}

#[test]
fn ic_07_every_violation_is_reported_at_once_with_field_reason_rule_and_parameter() {
    let o = OrderInput {
        tenant: "shop".into(),
        items: vec![ItemInput { quantity: 0, category: "Food".into(), ..Default::default() }],
        billing: Some(AddressInput { country_code: "DE".into(), ..Default::default() }),
        ..Default::default()
    };
    let v = check(&o, true).unwrap_err();
    let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
    for want in [
        "order.order_id",
        "order.email",
        "order.billing.first_name",
        "order.billing.last_name",
        "order.billing.street_number",
        "order.billing.street_line1",
        "order.billing.postal_code",
        "order.billing.city",
        "order.billing.country_code",
        "order.billing.company",
        "order.items[0].item_id",
        "order.items[0].name",
        "order.items[0].vat_code",
        "order.items[0].category",
        "order.items[0].quantity",
        "order.items[0].tax_included",
        "order.items[0].unit_price",
        "order.amount",
    ] {
        assert!(fields.contains(&want), "{want} missing from {fields:?}");
    }
    let category = v.iter().find(|v| v.field == "order.items[0].category").unwrap();
    assert_eq!((category.rule, category.parameter.as_str()), ("IC-04", "ITEMCATEGORY1"));
    assert!(category.reason.contains("Electronics"), "{}", category.reason);
    let zip = v.iter().find(|v| v.field == "order.billing.postal_code").unwrap();
    assert_eq!((zip.rule, zip.parameter.as_str()), ("IC-05", "ECOM_BILLTO_POSTAL_POSTALCODE"));
    assert!(v.iter().all(|v| !v.reason.is_empty()));
}
