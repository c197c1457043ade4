//! smallinvoice invoices as the B2B tab shows them (HL-21): status codes in German and the
//! exact conversion of smallinvoice's floating-point totals into Rappen.

use kit::money::{Currency, Money};

/// The German label of a smallinvoice status code.
pub fn status_label(code: &str) -> String {
    match code {
        "DR" => "Entwurf",
        "S" => "Versendet",
        "P" => "Bezahlt",
        "PP" => "Teilweise bezahlt",
        "R1" => "1. Mahnung",
        "R2" => "2. Mahnung",
        "R3" => "3. Mahnung",
        "R" => "Mahnung",
        "DC" => "Betreibung",
        "C" => "Storniert",
        "D" => "Gelöscht",
        other => return format!("Unbekannt ({other})"),
    }
    .to_owned()
}

/// Converts the shortest decimal text of a JSON float (`325.5`, `480`, `0.3`) into minor
/// units exactly. Texts with more decimals than the currency has are accepted only when they
/// are float noise within a millionth of a Rappen of a whole Rappen (`0.30000000000000004`).
pub fn money_from_float_text(text: &str, currency: Currency) -> Option<Money> {
    if text.contains(['e', 'E']) {
        return None;
    }
    if let Ok(m) = Money::parse_padded(text, currency) {
        return Some(m);
    }
    let (whole, frac) = text.split_once('.')?;
    let digits = currency.minor_digits() as usize;
    if frac.len() <= digits || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kept = Money::parse(&format!("{whole}.{}", &frac[..digits]), currency).ok()?;
    let rest = &frac[digits..];
    // Noise: the rest is 0000…x (just above) or 9999…x (just below a whole Rappen).
    if rest.len() >= 6 && rest.starts_with("000000") {
        Some(kept)
    } else if rest.len() >= 6 && rest.starts_with("999999") {
        let step = if kept.is_negative() || whole.starts_with('-') { -1 } else { 1 };
        Some(Money::new(kept.minor().checked_add(step)?, currency))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl_21_float_totals_become_exact_rappen() {
        let chf = |m: i64| Some(Money::new(m, Currency::CHF));
        for (text, want) in [
            ("480", chf(48_000)),
            ("325.5", chf(32_550)),
            ("189.9", chf(18_990)),
            ("0.3", chf(30)),
            ("0.30000000000000004", chf(30)),
            ("150.74999999999997", chf(15_075)),
            ("1.005", None),
            ("1e3", None),
            ("abc", None),
        ] {
            assert_eq!(money_from_float_text(text, Currency::CHF), want, "{text}");
        }
    }

    #[test]
    fn status_labels_are_german() {
        assert_eq!(status_label("PP"), "Teilweise bezahlt");
        assert_eq!(status_label("R2"), "2. Mahnung");
        assert_eq!(status_label("ZZ"), "Unbekannt (ZZ)");
    }
}
