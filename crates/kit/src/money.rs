//! Exact money: an integer count of minor units plus an ISO 4217 currency. No floats anywhere;
//! text amounts ("12.50") are parsed and formatted digit by digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a money value or operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not a supported ISO 4217 code.
    #[error("unsupported currency {0:?}: expected an ISO 4217 code such as CHF or EUR")]
    UnsupportedCurrency(String),
    /// The amount text is not a plain decimal number.
    #[error("malformed amount {0:?}: expected digits with an optional sign and decimal point, e.g. 12.50")]
    Malformed(String),
    /// The amount has more fraction digits than the currency allows.
    #[error("amount {amount:?} has more than {digits} decimal places for {currency}")]
    TooPrecise {
        /// The text as given.
        amount: String,
        /// The currency's number of minor-unit digits.
        digits: u32,
        /// The currency.
        currency: Currency,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The result does not fit into 64-bit minor units.
    #[error("amount overflow")]
    Overflow,
}

/// An ISO 4217 currency code that payops supports, with its number of minor-unit digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Supported currencies and their minor-unit digits (ISO 4217).
const CURRENCIES: &[(&str, u32)] = &[
    ("CHF", 2),
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RUB", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("CNY", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("ISK", 0),
    ("BHD", 3),
    ("KWD", 3),
];

impl Currency {
    /// Swiss franc.
    pub const CHF: Currency = Currency(*b"CHF");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses an upper-case ISO 4217 code from the supported list.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, _)| {
                let b = c.as_bytes();
                Currency([b[0], b[1], b[2]])
            })
            .ok_or_else(|| MoneyError::UnsupportedCurrency(code.to_owned()))
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters from CURRENCIES are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of minor-unit digits (2 for CHF: 1 franc = 100 Rappen).
    pub fn minor_digits(self) -> u32 {
        CURRENCIES.iter().find(|(c, _)| c.as_bytes() == self.0).map_or(2, |(_, d)| *d)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An exact amount of money. Serialises as `{"amount_minor": 1250, "currency": "CHF"}`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount of `minor` units (Rappen, cents) of `currency`.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { amount_minor: minor, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    /// Minor units.
    pub const fn minor(&self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    pub const fn currency(&self) -> Currency {
        self.currency
    }

    /// Parses a decimal amount such as `12.50`, `12.5`, `12` or `-3.05`. Refuses more fraction
    /// digits than the currency has, exponents, separators, spaces and overflow.
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        parse_minor(amount, currency, false).map(|m| Money::new(m, currency))
    }

    /// Like [`Money::parse`] but accepts extra fraction digits when they are all zero, as in
    /// partner APIs that always send four places (`"100.5000"`).
    pub fn parse_padded(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        parse_minor(amount, currency, true).map(|m| Money::new(m, currency))
    }

    /// The amount as a decimal string with exactly the currency's digits, e.g. `12.50`.
    pub fn amount_str(&self) -> String {
        format_minor(self.amount_minor, self.currency.minor_digits())
    }

    /// Sum of two amounts of one currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Difference of two amounts of one currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|m| Money::new(m, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount times an integer factor (e.g. a quantity).
    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        self.amount_minor.checked_mul(factor).map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    /// The negated amount (a refund of a charge).
    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.amount_minor.checked_neg().map(|m| Money::new(m, self.currency)).ok_or(MoneyError::Overflow)
    }

    /// True when the amount is below zero.
    pub const fn is_negative(&self) -> bool {
        self.amount_minor < 0
    }

    /// True when the amount is zero.
    pub const fn is_zero(&self) -> bool {
        self.amount_minor == 0
    }

    /// Compares two amounts of one currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<std::cmp::Ordering, MoneyError> {
        self.same_currency(*other)?;
        Ok(self.amount_minor.cmp(&other.amount_minor))
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch { left: self.currency, right: other.currency })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.amount_str())
    }
}

impl TryFrom<proto::payops::common::v1::Money> for Money {
    type Error = MoneyError;
    fn try_from(m: proto::payops::common::v1::Money) -> Result<Self, Self::Error> {
        Ok(Money::new(m.amount_minor, Currency::parse(&m.currency)?))
    }
}

impl From<Money> for proto::payops::common::v1::Money {
    fn from(m: Money) -> Self {
        proto::payops::common::v1::Money { amount_minor: m.minor(), currency: m.currency().to_string() }
    }
}

fn parse_minor(text: &str, currency: Currency, allow_zero_padding: bool) -> Result<i64, MoneyError> {
    let malformed = || MoneyError::Malformed(text.to_owned());
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let digits = currency.minor_digits();
    let mut frac = frac_part.unwrap_or("");
    if frac_part.is_some() && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return Err(malformed());
    }
    if frac.len() > digits as usize {
        let (kept, extra) = frac.split_at(digits as usize);
        if !(allow_zero_padding && extra.bytes().all(|b| b == b'0')) {
            return Err(MoneyError::TooPrecise { amount: text.to_owned(), digits, currency });
        }
        frac = kept;
    }
    // i128 holds every i64 magnitude, including that of i64::MIN.
    let scale = 10_i128.pow(digits);
    let whole: i128 = int_part.parse().map_err(|_| MoneyError::Overflow)?;
    let mut fraction: i128 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| malformed())? };
    for _ in frac.len()..digits as usize {
        fraction *= 10;
    }
    let magnitude = whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or(MoneyError::Overflow)?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed).map_err(|_| MoneyError::Overflow)
}

fn format_minor(minor: i64, digits: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{abs}");
    }
    let scale = 10_u64.pow(digits);
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chf(m: i64) -> Money {
        Money::new(m, Currency::CHF)
    }

    #[test]
    fn parse_table() {
        let jpy = Currency::parse("JPY").unwrap();
        let cases: &[(&str, Currency, Result<i64, &str>)] = &[
            ("12.50", Currency::CHF, Ok(1250)),
            ("12.5", Currency::CHF, Ok(1250)),
            ("12", Currency::CHF, Ok(1200)),
            ("0.05", Currency::CHF, Ok(5)),
            ("-3.05", Currency::CHF, Ok(-305)),
            ("0", Currency::EUR, Ok(0)),
            ("1000", jpy, Ok(1000)),
            ("12.505", Currency::CHF, Err("too precise")),
            ("1.5", jpy, Err("too precise")),
            ("12.", Currency::CHF, Err("malformed")),
            (".50", Currency::CHF, Err("malformed")),
            ("1,50", Currency::CHF, Err("malformed")),
            ("1e3", Currency::CHF, Err("malformed")),
            ("+1", Currency::CHF, Err("malformed")),
            (" 1", Currency::CHF, Err("malformed")),
            ("", Currency::CHF, Err("malformed")),
            ("-", Currency::CHF, Err("malformed")),
            ("1.-5", Currency::CHF, Err("malformed")),
            ("92233720368547758.08", Currency::CHF, Err("overflow")),
            ("99999999999999999999", Currency::CHF, Err("overflow")),
        ];
        for (text, cur, want) in cases {
            let got = Money::parse(text, *cur);
            match (want, got) {
                (Ok(m), Ok(money)) => assert_eq!(money.minor(), *m, "{text}"),
                (Err("too precise"), Err(MoneyError::TooPrecise { .. })) => {}
                (Err("malformed"), Err(MoneyError::Malformed(_))) => {}
                (Err("overflow"), Err(MoneyError::Overflow)) => {}
                (want, got) => panic!("{text}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn parse_padded_accepts_only_zero_padding() {
        assert_eq!(Money::parse_padded("100.5000", Currency::EUR).unwrap().minor(), 10050);
        assert_eq!(Money::parse_padded("1.0000", Currency::EUR).unwrap().minor(), 100);
        assert!(matches!(Money::parse_padded("1.0001", Currency::EUR), Err(MoneyError::TooPrecise { .. })));
    }

    #[test]
    fn format_table() {
        let jpy = Currency::parse("JPY").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        let cases = [
            (chf(1250), "12.50"),
            (chf(5), "0.05"),
            (chf(0), "0.00"),
            (chf(-305), "-3.05"),
            (chf(-5), "-0.05"),
            (chf(i64::MIN), "-92233720368547758.08"),
            (Money::new(1000, jpy), "1000"),
            (Money::new(1, kwd), "0.001"),
        ];
        for (money, want) in cases {
            assert_eq!(money.amount_str(), want);
            assert_eq!(Money::parse(want, money.currency()).unwrap(), money, "round trip of {want}");
        }
        assert_eq!(chf(1250).to_string(), "CHF 12.50");
    }

    #[test]
    fn currency_mismatch_is_refused() {
        let eur = Money::new(100, Currency::EUR);
        assert_eq!(
            chf(100).checked_add(eur),
            Err(MoneyError::CurrencyMismatch { left: Currency::CHF, right: Currency::EUR })
        );
        assert!(matches!(chf(100).checked_sub(eur), Err(MoneyError::CurrencyMismatch { .. })));
        assert!(matches!(chf(100).checked_cmp(&eur), Err(MoneyError::CurrencyMismatch { .. })));
    }

    #[test]
    fn overflow_is_refused() {
        assert_eq!(chf(i64::MAX).checked_add(chf(1)), Err(MoneyError::Overflow));
        assert_eq!(chf(i64::MIN).checked_sub(chf(1)), Err(MoneyError::Overflow));
        assert_eq!(chf(i64::MAX / 2 + 1).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(chf(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(chf(100).checked_add(chf(-250)), Ok(chf(-150)));
    }

    #[test]
    fn currencies_are_validated() {
        assert_eq!(Currency::parse("CHF").unwrap(), Currency::CHF);
        for bad in ["chf", "CH", "CHFF", "XYZ", ""] {
            assert!(matches!(Currency::parse(bad), Err(MoneyError::UnsupportedCurrency(_))), "{bad}");
        }
    }

    #[test]
    fn json_has_no_floats() {
        let json = serde_json::to_string(&chf(1250)).unwrap();
        assert_eq!(json, r#"{"amount_minor":1250,"currency":"CHF"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, chf(1250));
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":12.5,"currency":"CHF"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"ABC"}"#).is_err());
    }

    #[test]
    fn proto_round_trip_validates_currency() {
        let p: proto::payops::common::v1::Money = chf(99).into();
        assert_eq!(Money::try_from(p).unwrap(), chf(99));
        let bad = proto::payops::common::v1::Money { amount_minor: 1, currency: "chf".into() };
        assert!(Money::try_from(bad).is_err());
    }
}
