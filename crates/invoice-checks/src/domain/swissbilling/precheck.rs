//! The SwissBilling pre-check (IC-01 … IC-07): everything PostFinance and SwissBilling would
//! refuse, found before the customer is sent to the payment page, **every** violation at once
//! with its field, reason, rule and PostFinance parameter (IC-07).
//!
//! Beyond the seed's rules the check refuses control characters in any value (they have no
//! place in a form field), an e-mail address without `local@domain`, an order id outside the
//! subject alphabet `[A-Za-z0-9_-]`, and a total that differs from the sum of the items (the
//! invoice SwissBilling sends lists the items). Those carry an empty rule id.

use kit::money::{Currency, Money};

use super::fields::{AMOUNT_DIGITS, CATEGORIES, ORDERID_MAX, spec};
use super::order::{AddressInput, CheckedItem, CheckedOrder, ItemInput, OrderInput, RawMoney};

/// One reason an order fails the pre-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Request path, e.g. `order.items[0].category`.
    pub field: String,
    /// Why.
    pub reason: String,
    /// The rule, e.g. `IC-05` (empty for general input format).
    pub rule: &'static str,
    /// The PostFinance parameter, e.g. `ITEMCATEGORY1` (empty when none).
    pub parameter: String,
}

/// Most order lines accepted (the numbered families go on to `ITEMID999`).
pub const MAX_ITEMS: usize = 999;

/// Runs every check; `b2b` says whether the tenant is a B2B merchant (IC-06).
pub fn check(order: &OrderInput, b2b: bool) -> Result<CheckedOrder, Vec<Violation>> {
    let mut v = Collector::default();
    if order.tenant.trim().is_empty() {
        v.add("order.tenant", "is mandatory", "", "");
    }
    order_id(&mut v, &order.order_id);
    v.text("order.email", "EMAIL", "EMAIL", &order.email);
    if !order.email.is_empty() && !email_shape(&order.email) {
        v.add("order.email", "must be an e-mail address (local@domain.tld)", "", "EMAIL");
    }
    v.text("order.language", "LANGUAGE", "LANGUAGE", &order.language);
    v.text("order.customer_id", "REF_CUSTOMERID", "REF_CUSTOMERID", &order.customer_id);
    v.text("order.generic_bl_data", "GENERIC_BL_DATA", "GENERIC_BL_DATA", &order.generic_bl_data);

    match &order.billing {
        Some(billing) => address(&mut v, "order.billing", "BILLTO", billing, b2b),
        None => {
            v.add("order.billing", "is mandatory (ECOM_BILLTO_* parameters)", "IC-05", "ECOM_BILLTO_POSTAL_NAME_LAST")
        }
    }
    if let Some(shipping) = &order.shipping {
        address(&mut v, "order.shipping", "SHIPTO", shipping, b2b);
        if let Some(billing) = &order.billing {
            identical(&mut v, billing, shipping);
        }
    }

    if order.items.is_empty() {
        v.add("order.items", "at least one item is mandatory (ITEMID1 …)", "IC-05", "ITEMID1");
    } else if order.items.len() > MAX_ITEMS {
        v.add("order.items", format!("at most {MAX_ITEMS} items, got {}", order.items.len()), "", "");
    }
    let items: Vec<Option<CheckedItem>> = order.items.iter().enumerate().map(|(i, it)| item(&mut v, i, it)).collect();
    let amount = total(&mut v, order.amount.as_ref());
    if let (Some(amount), true) = (amount, !items.is_empty() && items.iter().all(Option::is_some)) {
        let sum = items.iter().flatten().try_fold(Money::zero(Currency::CHF), |acc, it| {
            it.unit_price.checked_mul(i64::from(it.quantity)).and_then(|line| acc.checked_add(line))
        });
        match sum {
            Ok(sum) if sum != amount => v.add(
                "order.amount",
                format!("must equal the sum of the items, CHF {}", sum.amount_str()),
                "",
                "AMOUNT",
            ),
            Ok(_) => {}
            Err(_) => v.add("order.items", "the sum of the items is too large", "", ""),
        }
    }

    if !v.0.is_empty() {
        return Err(v.0);
    }
    let (Ok(order_id), Some(amount), Some(address)) = (kit::OrderId::parse(&order.order_id), amount, &order.billing)
    else {
        // Unreachable: every failure above added a violation.
        return Err(vec![Violation {
            field: "order".into(),
            reason: "is incomplete".into(),
            rule: "IC-05",
            parameter: String::new(),
        }]);
    };
    Ok(CheckedOrder {
        tenant: order.tenant.trim().to_owned(),
        order_id,
        amount,
        email: order.email.clone(),
        language: order.language.clone(),
        customer_id: order.customer_id.clone(),
        address: address.clone(),
        items: items.into_iter().flatten().collect(),
        generic_bl_data: order.generic_bl_data.clone(),
    })
}

/// Collects violations in field order.
#[derive(Default)]
struct Collector(Vec<Violation>);

impl Collector {
    fn add(&mut self, field: impl Into<String>, reason: impl Into<String>, rule: &'static str, param: &str) {
        self.0.push(Violation { field: field.into(), reason: reason.into(), rule, parameter: param.to_owned() });
    }

    /// Mandatory and length per the seed's row `family`, sent as parameter `param`.
    fn text(&mut self, field: &str, family: &str, param: &str, value: &str) {
        let Some(spec) = spec(family) else { return };
        let chars = value.chars().count();
        if value.trim().is_empty() {
            if spec.mandatory {
                self.add(field, format!("is mandatory ({param})"), "IC-05", param);
            } else if !value.is_empty() {
                self.add(field, "must not be blank; leave it empty instead", "", param);
            }
            return;
        }
        if chars > spec.max {
            self.add(field, format!("must be at most {} characters ({param}), got {chars}", spec.max), "IC-05", param);
        }
        if value.chars().any(char::is_control) {
            self.add(field, "must not contain control characters", "", param);
        }
    }
}

fn order_id(v: &mut Collector, id: &str) {
    v.text("order.order_id", "ORDERID", "ORDERID", id);
    if !id.trim().is_empty()
        && id.chars().count() <= ORDERID_MAX
        && let Err(e) = kit::id::validate_id(id, ORDERID_MAX)
    {
        v.add("order.order_id", e.to_string(), "", "ORDERID");
    }
}

fn email_shape(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn address(v: &mut Collector, path: &str, side: &str, a: &AddressInput, b2b: bool) {
    let fields: [(&str, &str, &str); 12] = [
        ("company", "COMPANY", &a.company),
        ("name_prefix", "POSTAL_NAME_PREFIX", &a.name_prefix),
        ("first_name", "POSTAL_NAME_FIRST", &a.first_name),
        ("last_name", "POSTAL_NAME_LAST", &a.last_name),
        ("street_number", "POSTAL_STREET_NUMBER", &a.street_number),
        ("street_line1", "POSTAL_STREET_LINE1", &a.street_line1),
        ("street_line2", "POSTAL_STREET_LINE2", &a.street_line2),
        ("postal_code", "POSTAL_POSTALCODE", &a.postal_code),
        ("city", "POSTAL_CITY", &a.city),
        ("country_code", "POSTAL_COUNTRYCODE", &a.country_code),
        ("mobile_number", "TELECOM_MOBILE_NUMBER", &a.mobile_number),
        ("phone_number", "TELECOM_PHONE_NUMBER", &a.phone_number),
    ];
    for (name, suffix, value) in fields {
        let param = format!("ECOM_{side}_{suffix}");
        v.text(&format!("{path}.{name}"), &param, &param, value);
    }
    let country = a.country_code.trim();
    if !country.is_empty() && country != "CH" {
        v.add(
            format!("{path}.country_code"),
            format!("must be CH: SwissBilling serves Swiss customers only, got {country:?}"),
            "IC-01",
            &format!("ECOM_{side}_POSTAL_COUNTRYCODE"),
        );
    }
    if b2b && a.company.trim().is_empty() {
        v.add(
            format!("{path}.company"),
            format!("is mandatory for B2B merchants (ECOM_{side}_COMPANY)"),
            "IC-06",
            &format!("ECOM_{side}_COMPANY"),
        );
    }
}

/// Case- and space-insensitive form used to compare the two addresses.
fn normal(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn identical(v: &mut Collector, billing: &AddressInput, shipping: &AddressInput) {
    let pairs: [(&str, &str, &str, &str); 10] = [
        ("company", "COMPANY", &billing.company, &shipping.company),
        ("name_prefix", "POSTAL_NAME_PREFIX", &billing.name_prefix, &shipping.name_prefix),
        ("first_name", "POSTAL_NAME_FIRST", &billing.first_name, &shipping.first_name),
        ("last_name", "POSTAL_NAME_LAST", &billing.last_name, &shipping.last_name),
        ("street_number", "POSTAL_STREET_NUMBER", &billing.street_number, &shipping.street_number),
        ("street_line1", "POSTAL_STREET_LINE1", &billing.street_line1, &shipping.street_line1),
        ("street_line2", "POSTAL_STREET_LINE2", &billing.street_line2, &shipping.street_line2),
        ("postal_code", "POSTAL_POSTALCODE", &billing.postal_code, &shipping.postal_code),
        ("city", "POSTAL_CITY", &billing.city, &shipping.city),
        ("country_code", "POSTAL_COUNTRYCODE", &billing.country_code, &shipping.country_code),
    ];
    for (name, suffix, b, s) in pairs {
        if normal(b) != normal(s) {
            v.add(
                format!("order.shipping.{name}"),
                "must be identical to the billing address: SwissBilling refuses orders whose shipping and billing \
                 addresses differ",
                "IC-02",
                &format!("ECOM_SHIPTO_{suffix}"),
            );
        }
    }
}

fn item(v: &mut Collector, i: usize, it: &ItemInput) -> Option<CheckedItem> {
    let n = i + 1;
    let before = v.0.len();
    let path = |f: &str| format!("order.items[{i}].{f}");
    v.text(&path("item_id"), "ITEMID", &format!("ITEMID{n}"), &it.item_id);
    v.text(&path("name"), "ITEMNAME", &format!("ITEMNAME{n}"), &it.name);
    v.text(&path("vat_code"), "ITEMVATCODE", &format!("ITEMVATCODE{n}"), &it.vat_code);
    v.text(&path("category"), "ITEMCATEGORY", &format!("ITEMCATEGORY{n}"), &it.category);
    if !it.category.trim().is_empty() && !CATEGORIES.contains(&it.category.as_str()) {
        v.add(
            path("category"),
            format!(
                "must be one of SwissBilling's categories (e.g. Electronics, Sport, FoodAndDrink), got {:?}",
                it.category
            ),
            "IC-04",
            &format!("ITEMCATEGORY{n}"),
        );
    }
    let param = format!("ITEMQUANT{n}");
    if it.quantity < 1 {
        v.add(path("quantity"), format!("must be at least 1 ({param})"), "IC-05", &param);
    } else if it.quantity > 9999 {
        v.add(path("quantity"), format!("must be at most 4 digits ({param}), got {}", it.quantity), "IC-05", &param);
    }
    if !it.tax_included {
        v.add(
            path("tax_included"),
            "must be true: SwissBilling takes tax-included prices only (TAXINCLUDED=1)",
            "IC-03",
            &format!("TAXINCLUDED{n}"),
        );
    }
    let param = format!("ITEMPRICE{n}");
    let price = match &it.unit_price {
        None => {
            v.add(path("unit_price"), format!("is mandatory ({param})"), "IC-05", &param);
            None
        }
        Some(p) => chf(v, &path("unit_price"), &param, p, Sent::Francs(10), "IC-03"),
    };
    if v.0.len() > before {
        return None;
    }
    Some(CheckedItem {
        item_id: it.item_id.clone(),
        name: it.name.clone(),
        unit_price: price?,
        vat_code: it.vat_code.clone(),
        quantity: u32::try_from(it.quantity).ok()?,
        category: it.category.clone(),
    })
}

/// How an amount is written on the wire, with its most characters.
#[derive(Clone, Copy)]
enum Sent {
    /// Digits in Rappen (`AMOUNT`, ×100).
    Minor(usize),
    /// A decimal in francs (`ITEMPRICEn`, `39.99`).
    Francs(usize),
}

/// Checks a CHF amount: currency (IC-01), more than zero (`positive_rule`), its length as sent
/// (IC-05).
fn chf(
    v: &mut Collector,
    path: &str,
    param: &str,
    p: &RawMoney,
    sent: Sent,
    positive_rule: &'static str,
) -> Option<Money> {
    let before = v.0.len();
    if p.currency != "CHF" {
        v.add(
            format!("{path}.currency"),
            format!("must be CHF: SwissBilling accepts CHF only, got {:?}", p.currency),
            "IC-01",
            "CURRENCY",
        );
    }
    if p.minor <= 0 {
        v.add(format!("{path}.amount_minor"), format!("must be more than CHF 0.00 ({param})"), positive_rule, param);
    } else {
        let (text, max, unit) = match sent {
            Sent::Minor(max) => (p.minor.to_string(), max, "digits in Rappen"),
            Sent::Francs(max) => (kit::contract::minor_decimal(p.minor, 2), max, "characters as francs"),
        };
        if text.len() > max {
            v.add(
                format!("{path}.amount_minor"),
                format!("must be at most {max} {unit} ({param}), got {text}"),
                "IC-05",
                param,
            );
        }
    }
    (v.0.len() == before).then(|| Money::new(p.minor, Currency::CHF))
}

fn total(v: &mut Collector, amount: Option<&RawMoney>) -> Option<Money> {
    match amount {
        None => {
            v.add("order.amount", "is mandatory (AMOUNT, CURRENCY)", "IC-05", "AMOUNT");
            None
        }
        Some(a) => chf(v, "order.amount", "AMOUNT", a, Sent::Minor(AMOUNT_DIGITS), ""),
    }
}

#[cfg(test)]
#[path = "precheck_tests.rs"]
mod tests;
