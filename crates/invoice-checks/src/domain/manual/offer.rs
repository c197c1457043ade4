//! An offer: something a customer can buy, with one price per currency, its payment system
//! (MP-02: paid manually only through a manual-payment merchant) and the days a manager has to
//! confirm a manual payment (MP-05, default 30).

use chrono::{DateTime, Duration, Utc};
use kit::grpc::status::Violations;
use kit::money::{Currency, Money};

use super::OfferId;
use crate::domain::RawMoney;

/// Days to confirm when the offer does not say (MP-05).
pub const DEFAULT_CONFIRMATION_DAYS: u32 = 30;

/// Longest confirmation period accepted.
pub const MAX_CONFIRMATION_DAYS: u32 = 365;

/// An offer as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfferInput {
    /// Id.
    pub offer_id: String,
    /// Name.
    pub name: String,
    /// Payment system id.
    pub payment_system_id: String,
    /// Prices.
    pub prices: Vec<RawMoney>,
    /// Days to confirm; 0 = default.
    pub confirmation_days: i32,
}

/// A validated offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Id.
    pub id: OfferId,
    /// Name.
    pub name: String,
    /// The payment system (a manual merchant's id or another system's).
    pub payment_system_id: String,
    /// One positive price per currency.
    pub prices: Vec<Money>,
    /// Days a manager has to confirm a manual payment.
    pub confirmation_days: u32,
}

impl Offer {
    /// Validates every field at once.
    pub fn parse(input: &OfferInput) -> Result<Offer, Violations> {
        let mut v = Violations::new();
        let id = v.check("offer.offer_id", OfferId::parse(input.offer_id.clone()));
        let name = input.name.trim();
        let n = name.chars().count();
        if n == 0 {
            v.add("offer.name", "is mandatory");
        } else if n > 200 {
            v.add("offer.name", format!("must be at most 200 characters, got {n}"));
        }
        v.check("offer.payment_system_id", kit::id::validate_id(&input.payment_system_id, 64));
        if input.prices.is_empty() {
            v.add("offer.prices", "at least one price is mandatory");
        }
        let mut prices: Vec<Money> = Vec::new();
        for (i, p) in input.prices.iter().enumerate() {
            let Some(c) = v.check(&format!("offer.prices[{i}].currency"), Currency::parse(&p.currency)) else {
                continue;
            };
            if p.minor <= 0 {
                v.add(format!("offer.prices[{i}].amount_minor"), "must be more than zero");
            } else if prices.iter().any(|x| x.currency() == c) {
                v.add(format!("offer.prices[{i}].currency"), format!("{c} is listed twice"));
            } else {
                prices.push(Money::new(p.minor, c));
            }
        }
        let days = match input.confirmation_days {
            0 => Some(DEFAULT_CONFIRMATION_DAYS),
            d => u32::try_from(d).ok().filter(|d| *d <= MAX_CONFIRMATION_DAYS),
        };
        if days.is_none() {
            v.add("offer.confirmation_days", format!("must be between 1 and {MAX_CONFIRMATION_DAYS}, or 0 for 30"));
        }
        match (id, days) {
            (Some(id), Some(confirmation_days)) if v.is_empty() => Ok(Offer {
                id,
                name: name.to_owned(),
                payment_system_id: input.payment_system_id.clone(),
                prices,
                confirmation_days,
            }),
            _ => Err(v),
        }
    }

    /// The price in `currency`, if the offer has one.
    pub fn price_in(&self, currency: Currency) -> Option<Money> {
        self.prices.iter().copied().find(|p| p.currency() == currency)
    }

    /// When a manual payment opened at `opened` is rejected if still unconfirmed (MP-05).
    pub fn deadline(&self, opened: DateTime<Utc>) -> DateTime<Utc> {
        opened + Duration::days(i64::from(self.confirmation_days))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OfferInput {
        OfferInput {
            offer_id: "course-42".into(),
            name: "Kurs".into(),
            payment_system_id: "cash-desk".into(),
            prices: vec![RawMoney { minor: 9_900, currency: "CHF".into() }],
            confirmation_days: 0,
        }
    }

    #[test]
    fn offers_validate_every_field_and_default_to_30_days() {
        type Edit = fn(&mut OfferInput);
        let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
            ("valid", |_| {}, vec![]),
            ("no prices", |o| o.prices.clear(), vec!["offer.prices"]),
            ("zero price", |o| o.prices[0].minor = 0, vec!["offer.prices[0].amount_minor"]),
            (
                "duplicate currency",
                |o| o.prices.push(RawMoney { minor: 1, currency: "CHF".into() }),
                vec!["offer.prices[1].currency"],
            ),
            ("bad days", |o| o.confirmation_days = -1, vec!["offer.confirmation_days"]),
            ("too many days", |o| o.confirmation_days = 366, vec!["offer.confirmation_days"]),
            ("bad payment system", |o| o.payment_system_id = "a/b".into(), vec!["offer.payment_system_id"]),
        ];
        for (name, edit, want) in cases {
            let mut o = input();
            edit(&mut o);
            let got: Vec<String> = match Offer::parse(&o) {
                Ok(_) => vec![],
                Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
            };
            assert_eq!(got, want, "{name}");
        }
        let o = Offer::parse(&input()).unwrap();
        assert_eq!(o.confirmation_days, 30);
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").unwrap().to_utc();
        assert_eq!(o.deadline(t).to_rfc3339(), "2026-02-04T10:00:00+00:00");
    }
}
