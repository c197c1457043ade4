//! Amounts: integer minor units inside, unzer's wire forms outside (JSON numbers or decimal
//! strings in requests, 4-decimal strings such as `"12.3400"` in responses).

use serde_json::Value;

/// Currencies the simulated merchants accept (all with two minor digits).
pub(crate) const CURRENCIES: [&str; 10] = ["EUR", "CHF", "GBP", "USD", "PLN", "SEK", "DKK", "NOK", "CZK", "HUF"];

/// Formats minor units the way unzer does: `1234` → `"12.3400"`.
pub(crate) fn format(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}00", abs / 100, abs % 100)
}

/// Parses a request amount (JSON number or decimal string, up to 4 fraction digits of which
/// only the first two may be non-zero) into minor units. Zero and negative amounts are refused.
pub(crate) fn parse(v: &Value) -> Result<i64, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err("amount must be a number".into()),
    };
    let minor = parse_decimal(&text).ok_or_else(|| format!("amount {text:?} is not a valid amount"))?;
    if minor <= 0 {
        return Err(format!("amount {text:?} must be greater than zero"));
    }
    Ok(minor)
}

fn parse_decimal(text: &str) -> Option<i64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 4 || frac.bytes().skip(2).any(|b| b != b'0') {
        return None;
    }
    let mut cents: i64 = 0;
    for (i, b) in frac.bytes().chain(std::iter::repeat(b'0')).take(2).enumerate() {
        cents += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    let units: i64 = int.parse().ok()?;
    let minor = units.checked_mul(100)?.checked_add(cents)?;
    Some(if neg { -minor } else { minor })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_format_with_four_decimals() {
        for (minor, text) in
            [(0, "0.0000"), (1, "0.0100"), (1234, "12.3400"), (100_000, "1000.0000"), (-250, "-2.5000")]
        {
            assert_eq!(format(minor), text, "{minor}");
        }
    }

    #[test]
    fn request_amounts_parse_to_minor_units() {
        let cases = [
            (json!(100), Ok(10_000)),
            (json!(19.99), Ok(1999)),
            (json!(0.5), Ok(50)),
            (json!("12.3400"), Ok(1234)),
            (json!("7"), Ok(700)),
            (json!("1.005"), Err(())),
            (json!(0), Err(())),
            (json!(-1), Err(())),
            (json!("1e3"), Err(())),
            (json!("abc"), Err(())),
            (json!(true), Err(())),
            (json!("99999999999999999999"), Err(())),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(&input).map_err(|_| ()), expected, "{input}");
        }
    }
}
