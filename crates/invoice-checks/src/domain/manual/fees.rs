//! The exact settlement of a manual payment in the merchant's account currency (MP-08).
//!
//! **Rounding rule.** All arithmetic is exact decimal (`rust_decimal`, no floats). Each component
//! is rounded once, to the account currency's minor unit, half to even (banker's rounding: no
//! bias over many payments):
//!
//! - `gross` = price × rate into the account currency (rate 1 when the currencies are equal);
//! - `commission` = rounded `gross` × commission % / 100;
//! - `fixed_fee` = fixed fee × rate into the account currency;
//! - `net` = `gross` − `commission` − `fixed_fee`, exact on the rounded figures, so the four
//!   figures shown always add up to the Rappen.
//!
//! A rate is "account-currency units per one unit of the other currency" and must be given for
//! every currency involved that is not the account currency; none is ever guessed.

use kit::grpc::status::Violations;
use kit::money::{Currency, Money};
use rust_decimal::{Decimal, RoundingStrategy};

use super::merchant::Merchant;

/// The settlement of an approved payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fees {
    /// The payment in the account currency.
    pub gross: Money,
    /// The commission.
    pub commission: Money,
    /// The fixed fee in the account currency.
    pub fixed_fee: Money,
    /// What the merchant keeps (may be negative when the fee exceeds the payment).
    pub net: Money,
    /// The commission rate applied, in percent.
    pub commission_percent: Decimal,
    /// The rates used, by currency.
    pub rates: Vec<(Currency, Decimal)>,
}

/// Largest rate accepted (guards against typos such as a missing decimal point).
const MAX_RATE: i64 = 1_000_000;

/// Checks a rate: positive, at most 12 decimal places, below [`MAX_RATE`].
pub fn validate_rate(rate: Decimal) -> Result<(), &'static str> {
    if rate <= Decimal::ZERO {
        return Err("must be more than zero");
    }
    if rate.scale() > 12 {
        return Err("must have at most 12 decimal places");
    }
    if rate >= Decimal::from(MAX_RATE) {
        return Err("is implausibly large");
    }
    Ok(())
}

fn exact(m: Money) -> Decimal {
    Decimal::new(m.minor(), m.currency().minor_digits())
}

/// Rounds `x` to `currency`'s minor unit, half to even, as minor units.
fn round(x: Decimal, currency: Currency) -> Option<Money> {
    let digits = currency.minor_digits();
    let mut r = x.round_dp_with_strategy(digits, RoundingStrategy::MidpointNearestEven);
    r.rescale(digits);
    i64::try_from(r.mantissa()).ok().map(|minor| Money::new(minor, currency))
}

/// Settles `price` for `merchant` with `rates` (field `adjustments.rates` in violations).
pub fn settle(price: Money, merchant: &Merchant, rates: &[(Currency, Decimal)]) -> Result<Fees, Violations> {
    let account = merchant.account_currency;
    let mut v = Violations::new();
    let mut used: Vec<(Currency, Decimal)> = Vec::new();
    let mut convert = |m: Money, v: &mut Violations| -> Option<Decimal> {
        if m.currency() == account {
            return Some(exact(m));
        }
        match rates.iter().find(|(c, _)| *c == m.currency()) {
            Some((c, rate)) => {
                if !used.iter().any(|(u, _)| u == c) {
                    used.push((*c, *rate));
                }
                exact(m).checked_mul(*rate)
            }
            None => {
                v.add("adjustments.rates", format!("a rate from {} to {account} is needed", m.currency()));
                None
            }
        }
    };
    let gross = convert(price, &mut v);
    let fee = convert(merchant.fixed_fee, &mut v);
    let (Some(gross), Some(fee)) = (gross, fee) else { return Err(v) };
    let too_large = || {
        let mut v = Violations::new();
        v.add("adjustments.price", "the amount is too large to settle");
        v
    };
    let gross = round(gross, account).ok_or_else(too_large)?;
    let commission = exact(gross)
        .checked_mul(merchant.commission_percent)
        .map(|x| x / Decimal::ONE_HUNDRED)
        .and_then(|x| round(x, account))
        .ok_or_else(too_large)?;
    let fixed_fee = round(fee, account).ok_or_else(too_large)?;
    let net = gross.checked_sub(commission).and_then(|n| n.checked_sub(fixed_fee)).map_err(|_| too_large())?;
    used.sort();
    Ok(Fees { gross, commission, fixed_fee, net, commission_percent: merchant.commission_percent, rates: used })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::manual::fixtures::merchant_with;

    fn chf(minor: i64) -> Money {
        Money::new(minor, Currency::CHF)
    }

    #[test]
    fn mp_08_net_amount_is_exact_with_documented_rounding() {
        let eur = Currency::EUR;
        // (price, commission %, fixed fee, rates, gross, commission, fee, net)
        type Case<'a> = (Money, &'a str, Money, Vec<(Currency, &'a str)>, [i64; 4]);
        let cases: Vec<Case<'_>> = vec![
            (chf(10_000), "2.5", chf(30), vec![], [10_000, 250, 30, 9_720]),
            (chf(10_000), "0", chf(0), vec![], [10_000, 0, 0, 10_000]),
            // 1.00 × 12.5 % = 0.125 → 0.12 (half to even); 1.00 × 13.5 % = 0.135 → 0.14.
            (chf(100), "12.5", chf(0), vec![], [100, 12, 0, 88]),
            (chf(100), "13.5", chf(0), vec![], [100, 14, 0, 86]),
            // EUR 19.99 × 0.9371 = 18.732629 → 18.73; 2.9 % of 18.73 = 0.54317 → 0.54;
            // fee EUR 0.25 × 0.9371 = 0.234275 → 0.23; net 18.73 − 0.54 − 0.23 = 17.96.
            (Money::new(1_999, eur), "2.9", Money::new(25, eur), vec![(eur, "0.9371")], [1_873, 54, 23, 1_796]),
            // The fee may exceed a tiny payment: the net is negative, not clamped.
            (chf(20), "0", chf(30), vec![], [20, 0, 30, -10]),
            // 0.1 % of 0.05 = 0.00005 → 0.00.
            (chf(5), "0.1", chf(0), vec![], [5, 0, 0, 5]),
        ];
        for (price, pct, fee, rates, [gross, commission, fixed, net]) in cases {
            let m = merchant_with(pct, fee);
            let rates: Vec<(Currency, Decimal)> = rates.into_iter().map(|(c, r)| (c, r.parse().unwrap())).collect();
            let f = settle(price, &m, &rates).unwrap();
            assert_eq!(
                (f.gross.minor(), f.commission.minor(), f.fixed_fee.minor(), f.net.minor()),
                (gross, commission, fixed, net),
                "{price:?} at {pct} %"
            );
            assert_eq!(f.gross.minor() - f.commission.minor() - f.fixed_fee.minor(), f.net.minor());
            assert!([f.gross, f.commission, f.fixed_fee, f.net].iter().all(|x| x.currency() == Currency::CHF));
        }
    }

    #[test]
    fn mp_08_a_missing_rate_is_asked_for_never_guessed() {
        let m = merchant_with("1", Money::new(25, Currency::EUR));
        let err = settle(Money::new(1_000, Currency::USD), &m, &[]).unwrap_err();
        let reasons: Vec<&str> = err.items().iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(reasons, ["a rate from USD to CHF is needed", "a rate from EUR to CHF is needed"]);
        for (rate, ok) in [("0", false), ("-1", false), ("0.0000000000001", false), ("1000000", false), ("1.1", true)] {
            assert_eq!(validate_rate(rate.parse().unwrap()).is_ok(), ok, "{rate}");
        }
    }
}
