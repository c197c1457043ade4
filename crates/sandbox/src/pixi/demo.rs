//! Demo data (SB-08), deterministic from the sandbox seed: two installations (`demo` /
//! `demo-secret`, shop DEM, 60 orders; `nordshop` / `nord-secret`, shop NRD, 40 orders) with
//! orders in assorted states: HOLD awaiting release, prepayment waiting behind a shipping lock
//! with the transfer data filled in, OPEN partly shipped (captured or not), CLOSED with
//! cancellations and returns, manual `P` orders, a merged order, too many failed
//! authorisations, and a misconfigured auto-paid method.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::defaults;
use super::docs::CaptureMark;
use super::erp::ErpError;
use super::handlers::local_now;
use super::model::{Address, Install, LineStatus, PaymentMethod};
use super::types::{SeedLine, SeedOrder};
use crate::shared::Shared;

const FIRST: [&str; 8] = ["Anna", "Jonas", "Lea", "Lukas", "Marie", "Felix", "Sophie", "Paul"];
const LAST: [&str; 8] = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"];
const CITIES: [(&str, &str); 5] =
    [("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"), ("04109", "Leipzig")];
const ITEMS: [(&str, &str); 8] = [
    ("TS-100", "T-Shirt Basic"),
    ("HO-200", "Hoodie Classic"),
    ("CA-300", "Cap Logo"),
    ("SN-400", "Sneaker Run"),
    ("SO-500", "Socken 3er-Pack"),
    ("JA-600", "Jacke Outdoor"),
    ("RU-700", "Rucksack City"),
    ("GU-800", "Gürtel Leder"),
];
const METHODS: [&str; 6] = ["UNZERCC", "UNZERPP", "VORKASSE", "UNZERINV", "UNZERDD", "RECHNUNG"];

/// Loads the demo installations (existing ones are left alone).
pub fn demo(shared: &Shared) {
    let mut rng = StdRng::seed_from_u64(shared.0.seed ^ 0x5049_5849);
    for (user, password, shop, count) in [("demo", "demo-secret", "DEM", 60), ("nordshop", "nord-secret", "NRD", 40)] {
        let mut install = Install::new(user, password, chrono_tz::Europe::Berlin);
        defaults::install(&mut install);
        install.payment_methods.insert(
            "VKAUTO".into(),
            PaymentMethod {
                code: "VKAUTO".into(),
                text: "Vorkasse (falsch: automatisch bezahlt)".into(),
                xml_tag: "UNZERPREPAYMENTAUTO".into(),
                direct_charge: false,
                auto_paid: true,
                ini_status: "HAL".into(),
            },
        );
        let now = local_now(shared, install.tz);
        for n in 0..count {
            if let Err(e) = scenario(&mut install, &mut rng, shop, n, now) {
                tracing::warn!(user, n, error = %e, "pixi demo order skipped");
            }
        }
        Shared::lock(&shared.0.pixi).installs.entry(user.to_owned()).or_insert(install);
    }
}

fn seed(rng: &mut StdRng, shop: &str, n: usize, now: NaiveDateTime) -> SeedOrder {
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let (zip, city) = CITIES[rng.random_range(0..CITIES.len())];
    let billing = Address {
        salutation: if rng.random_bool(0.5) { "Frau" } else { "Herr" }.into(),
        first_name: first.into(),
        last_name: last.into(),
        street: format!("Hauptstraße {}", rng.random_range(1..120)),
        zip: zip.into(),
        city: city.into(),
        country: "DE".into(),
        email: format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), n),
        ..Address::default()
    };
    let lines = (0..rng.random_range(1..=4))
        .map(|_| {
            let (nr, name) = ITEMS[rng.random_range(0..ITEMS.len())];
            SeedLine {
                item_nr: nr.into(),
                name: name.into(),
                qty: rng.random_range(1..=2),
                price_minor: rng.random_range(5..200) * 100 + [0, 49, 90, 95][rng.random_range(0..4)],
                ean: None,
            }
        })
        .collect();
    SeedOrder {
        shop_id: Some(shop.into()),
        payment_code: METHODS[n % METHODS.len()].into(),
        kk_id: Some(format!("s-pay-{}", rng.random_range(100_000..999_999))),
        billing,
        lines,
        ship_cost_minor: if rng.random_bool(0.5) { 495 } else { 0 },
        order_date: Some(now - Duration::minutes(rng.random_range(30..7 * 24 * 60))),
        ..SeedOrder::default()
    }
}

fn capture(i: &mut Install, key: i64, now: NaiveDateTime) -> Result<(), ErpError> {
    let d = i.docs.get(&key).ok_or_else(|| ErpError::NotFound(format!("invoice {key}")))?;
    let mark = CaptureMark {
        invoice_nr: d.nr.clone(),
        pay_id: format!("s-chg-{key}"),
        capture_minor: d.total_minor,
        success: true,
        event_id: Some("UZE".into()),
        message: format!("Amount of {} EUR was captured", super::wire::money(d.total_minor)),
        remaining_to_hal: false,
    };
    i.set_capture(&mark, now)
}

fn scenario(i: &mut Install, rng: &mut StdRng, shop: &str, n: usize, now: NaiveDateTime) -> Result<(), ErpError> {
    let mut req = seed(rng, shop, n, now);
    match n % 10 {
        2 | 3 => req.payment_code = "VORKASSE".into(),
        9 if n % 20 == 9 => req.manual = true,
        _ => {}
    }
    if n == 11 {
        req.fail_tries = 5;
    }
    if n == 17 {
        req.payment_code = "VKAUTO".into();
    }
    let nr = i.seed_order(&req, now)?;
    let keys: Vec<i64> = i.orders.get(&nr).map(|o| o.lines.iter().map(|l| l.key).collect()).unwrap_or_default();
    match n % 10 {
        0..=2 => {}
        3 => {
            i.release(nr, now)?;
            i.set_lock(nr, true, Some("Warten auf Zahlungseingang (unzer Vorkasse)"), "API", now)?;
            if let Some(o) = i.orders.get_mut(&nr) {
                o.billing.account_holder = Some("Unzer E-Com GmbH".into());
                o.billing.iban = Some("DE89370400440532013000".into());
                o.billing.bic = Some("COBADEFFXXX".into());
                o.billing.bank_name = Some(format!("{}.{:04}.{:04}", 3000 + n, nr % 10_000, n * 7));
            }
        }
        4 | 5 => {
            i.release(nr, now)?;
            let key = i.ship(nr, Some(&keys[..1]), true, false, now)?;
            if n % 10 == 5 {
                capture(i, key, now)?;
            }
        }
        6..=8 => {
            i.release(nr, now)?;
            if n % 10 == 7 && keys.len() > 1 {
                let status = if rng.random_bool(0.5) { LineStatus::Sto } else { LineStatus::Nlb };
                i.cancel(nr, Some(&keys[..1]), status, now)?;
            }
            let key = i.ship(nr, None, true, false, now)?;
            capture(i, key, now)?;
            if n % 10 == 8 {
                i.credit_note(nr, &keys[..1], None, None, now)?;
            }
        }
        _ if n % 20 == 9 => {
            i.release(nr, now)?;
        }
        _ => {
            i.cancel(nr, None, LineStatus::Sto, now)?;
        }
    }
    if n == 24 {
        i.merge(nr, Some(nr - 1), now)?;
    }
    Ok(())
}
