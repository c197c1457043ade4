//! A manual-payment merchant (MP-01): the payment system offers are paid through when the money
//! moves outside the platform. Its commission and fixed fee give the net amount (MP-08).

use kit::grpc::status::Violations;
use kit::money::{Currency, Money};
use rust_decimal::Decimal;

use super::MerchantId;
use crate::domain::RawMoney;

/// A merchant as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MerchantInput {
    /// Id.
    pub merchant_id: String,
    /// Name.
    pub name: String,
    /// Description (optional).
    pub description: String,
    /// Image URL (optional).
    pub image_url: String,
    /// Commission in percent, decimal text.
    pub commission_percent: String,
    /// Fixed fee.
    pub fixed_fee: Option<RawMoney>,
    /// Account currency.
    pub account_currency: String,
    /// Fallback payment currency.
    pub fallback_currency: String,
    /// Supported currencies.
    pub supported_currencies: Vec<String>,
    /// Hint for the payment comment (optional).
    pub comment_hint: String,
}

/// A validated merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    /// Id.
    pub id: MerchantId,
    /// Name, 1 to 100 characters.
    pub name: String,
    /// Description, at most 1000 characters.
    pub description: String,
    /// Image URL (https), at most 2048 characters.
    pub image_url: String,
    /// Commission in percent, 0 ≤ c < 100, at most 4 decimal places.
    pub commission_percent: Decimal,
    /// Fixed fee, not negative.
    pub fixed_fee: Money,
    /// Currency the money is credited in.
    pub account_currency: Currency,
    /// Currency used when the customer's is not supported.
    pub fallback_currency: Currency,
    /// Supported currencies (sorted, no duplicates), including account and fallback.
    pub supported_currencies: Vec<Currency>,
    /// Hint for the payment comment.
    pub comment_hint: String,
}

fn text(v: &mut Violations, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min {
        v.add(field, "is mandatory");
    } else if n > max {
        v.add(field, format!("must be at most {max} characters, got {n}"));
    } else if value.chars().any(|c| c.is_control() && c != '\n') {
        v.add(field, "must not contain control characters");
    }
}

fn currency(v: &mut Violations, field: &str, code: &str) -> Option<Currency> {
    v.check(field, Currency::parse(code))
}

impl Merchant {
    /// Validates every field at once (MP-01).
    pub fn parse(input: &MerchantInput) -> Result<Merchant, Violations> {
        let mut v = Violations::new();
        let id = v.check("merchant.merchant_id", MerchantId::parse(input.merchant_id.clone()));
        text(&mut v, "merchant.name", input.name.trim(), 1, 100);
        text(&mut v, "merchant.description", &input.description, 0, 1000);
        text(&mut v, "merchant.comment_hint", &input.comment_hint, 0, 500);
        if !input.image_url.is_empty()
            && (!input.image_url.starts_with("https://")
                || input.image_url.len() > 2048
                || input.image_url.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            v.add("merchant.image_url", "must be an https:// URL of at most 2048 characters");
        }
        let commission = parse_percent(&mut v, "merchant.commission_percent", &input.commission_percent);
        let account = currency(&mut v, "merchant.account_currency", &input.account_currency);
        let fallback = currency(&mut v, "merchant.fallback_currency", &input.fallback_currency);
        let fee = match &input.fixed_fee {
            None => Some(Money::zero(account.unwrap_or(Currency::CHF))),
            Some(raw) => {
                let c = currency(&mut v, "merchant.fixed_fee.currency", &raw.currency);
                if raw.minor < 0 {
                    v.add("merchant.fixed_fee.amount_minor", "must not be negative");
                }
                c.filter(|_| raw.minor >= 0).map(|c| Money::new(raw.minor, c))
            }
        };
        let mut supported = Vec::new();
        if input.supported_currencies.is_empty() {
            v.add("merchant.supported_currencies", "is mandatory: list at least the account currency");
        }
        for (i, code) in input.supported_currencies.iter().enumerate() {
            if let Some(c) = currency(&mut v, &format!("merchant.supported_currencies[{i}]"), code)
                && !supported.contains(&c)
            {
                supported.push(c);
            }
        }
        supported.sort();
        for (field, c) in [("account", account), ("fallback", fallback)] {
            if let Some(c) = c
                && !input.supported_currencies.is_empty()
                && !supported.contains(&c)
            {
                v.add("merchant.supported_currencies", format!("must include the {field} currency {c}"));
            }
        }
        match (id, commission, account, fallback, fee) {
            (Some(id), Some(commission_percent), Some(account_currency), Some(fallback_currency), Some(fixed_fee))
                if v.is_empty() =>
            {
                Ok(Merchant {
                    id,
                    name: input.name.trim().to_owned(),
                    description: input.description.clone(),
                    image_url: input.image_url.clone(),
                    commission_percent,
                    fixed_fee,
                    account_currency,
                    fallback_currency,
                    supported_currencies: supported,
                    comment_hint: input.comment_hint.clone(),
                })
            }
            _ => Err(v),
        }
    }

    /// The currency a customer who wants `wanted` pays in: `wanted` when supported, else the
    /// fallback currency (MP-01).
    pub fn payment_currency(&self, wanted: Option<Currency>) -> Currency {
        match wanted {
            Some(c) if self.supported_currencies.contains(&c) => c,
            _ => self.fallback_currency,
        }
    }
}

/// Parses a commission: a plain decimal with a dot, 0 ≤ p < 100, at most 4 decimal places.
fn parse_percent(v: &mut Violations, field: &str, text: &str) -> Option<Decimal> {
    let t = text.trim();
    let plain = !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') && t.matches('.').count() <= 1;
    let parsed = if plain { t.parse::<Decimal>().ok() } else { None };
    match parsed {
        None => {
            v.add(field, "must be a decimal number with a dot, e.g. 2.5");
            None
        }
        Some(p) if p.scale() > 4 => {
            v.add(field, "must have at most 4 decimal places");
            None
        }
        Some(p) if p >= Decimal::ONE_HUNDRED => {
            v.add(field, "must be less than 100");
            None
        }
        Some(p) => Some(p.normalize()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn input() -> MerchantInput {
        MerchantInput {
            merchant_id: "cash-desk".into(),
            name: "Barzahlung am Schalter".into(),
            commission_percent: "2.5".into(),
            fixed_fee: Some(RawMoney { minor: 30, currency: "CHF".into() }),
            account_currency: "CHF".into(),
            fallback_currency: "CHF".into(),
            supported_currencies: vec!["CHF".into(), "EUR".into()],
            ..Default::default()
        }
    }

    #[test]
    fn mp_01_merchant_configuration_table() {
        type Edit = fn(&mut MerchantInput);
        let cases: Vec<(&str, Edit, Vec<&str>)> = vec![
            ("valid", |_| {}, vec![]),
            ("no name", |m| m.name = " ".into(), vec!["merchant.name"]),
            ("bad id", |m| m.merchant_id = "a b".into(), vec!["merchant.merchant_id"]),
            ("commission with comma", |m| m.commission_percent = "2,5".into(), vec!["merchant.commission_percent"]),
            ("commission 100", |m| m.commission_percent = "100".into(), vec!["merchant.commission_percent"]),
            ("commission negative", |m| m.commission_percent = "-1".into(), vec!["merchant.commission_percent"]),
            ("commission 5 places", |m| m.commission_percent = "1.23456".into(), vec!["merchant.commission_percent"]),
            ("unknown account currency", |m| m.account_currency = "XYZ".into(), vec!["merchant.account_currency"]),
            (
                "account currency not supported",
                |m| m.account_currency = "USD".into(),
                vec!["merchant.supported_currencies"],
            ),
            (
                "fallback currency not supported",
                |m| m.fallback_currency = "GBP".into(),
                vec!["merchant.supported_currencies"],
            ),
            ("no supported currencies", |m| m.supported_currencies.clear(), vec!["merchant.supported_currencies"]),
            (
                "unknown supported currency",
                |m| m.supported_currencies.push("ABC".into()),
                vec!["merchant.supported_currencies[2]"],
            ),
            (
                "negative fee",
                |m| m.fixed_fee = Some(RawMoney { minor: -1, currency: "CHF".into() }),
                vec!["merchant.fixed_fee.amount_minor"],
            ),
            ("http image", |m| m.image_url = "http://x/y.png".into(), vec!["merchant.image_url"]),
            ("long hint", |m| m.comment_hint = "h".repeat(501), vec!["merchant.comment_hint"]),
        ];
        for (name, edit, want) in cases {
            let mut m = input();
            edit(&mut m);
            let got: Vec<String> = match Merchant::parse(&m) {
                Ok(_) => vec![],
                Err(v) => v.items().iter().map(|(f, _)| f.clone()).collect(),
            };
            assert_eq!(got, want, "{name}");
        }
        let m = Merchant::parse(&input()).unwrap();
        assert_eq!(m.commission_percent, Decimal::new(25, 1));
        assert_eq!(m.supported_currencies, vec![Currency::CHF, Currency::EUR]);
    }

    #[test]
    fn mp_01_an_unsupported_customer_currency_falls_back() {
        let m = Merchant::parse(&input()).unwrap();
        assert_eq!(m.payment_currency(Some(Currency::EUR)), Currency::EUR);
        assert_eq!(m.payment_currency(Some(Currency::USD)), Currency::CHF);
        assert_eq!(m.payment_currency(None), Currency::CHF);
    }
}
