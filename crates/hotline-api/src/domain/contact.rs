//! Contact details as tenants dictate them on the phone: e-mail addresses, Swiss and
//! international mobile numbers (normalised to E.164 the way PGW does), device b-codes and
//! TWINT transaction numbers.

/// True for a plausible e-mail address (one `@`, a dotted domain, no spaces).
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && s.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
}

/// Normalises a mobile number to E.164 (`+41791234567`): spaces, dashes, dots, slashes and
/// brackets are dropped, `00` becomes `+`, a single leading `0` is Swiss (`+41`).
pub fn normalize_mobile(raw: &str) -> Option<String> {
    let s: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '(' | ')')).collect();
    let digits = if let Some(rest) = s.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = s.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = s.strip_prefix('0') {
        format!("41{rest}")
    } else {
        return None;
    };
    ((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'))
        .then(|| format!("+{digits}"))
}

/// A device b-code: `b` then 1 to 20 letters or digits; returned in lower case.
pub fn parse_b_code(raw: &str) -> Option<String> {
    let s = raw.trim();
    let mut chars = s.chars();
    (matches!(chars.next(), Some('b' | 'B')) && (2..=21).contains(&s.len()) && chars.all(|c| c.is_ascii_alphanumeric()))
        .then(|| s.to_ascii_lowercase())
}

/// A TWINT transaction number (a UUID), in lower-case hyphenated form.
pub fn parse_twint_ref(raw: &str) -> Option<String> {
    uuid::Uuid::parse_str(raw.trim()).ok().map(|u| u.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_parsing_table() {
        for (raw, ok) in
            [("anna@example.ch", true), ("a@b", false), ("no mail@x.ch", false), ("@x.ch", false), ("a@x.ch.", false)]
        {
            assert_eq!(is_email(raw), ok, "{raw}");
        }
        for (raw, want) in [
            ("079 123 45 67", Some("+41791234567")),
            ("+41 79 123 45 67", Some("+41791234567")),
            ("0041791234567", Some("+41791234567")),
            ("791234567", None),
            ("07912x4567", None),
        ] {
            assert_eq!(normalize_mobile(raw).as_deref(), want, "{raw}");
        }
        for (raw, want) in
            [("b10234", Some("b10234")), (" B10234 ", Some("b10234")), ("10234", None), ("b", None), ("b1-2", None)]
        {
            assert_eq!(parse_b_code(raw).as_deref(), want, "{raw}");
        }
        assert_eq!(
            parse_twint_ref("6F9619FF-8B86-D011-B42D-00C04FC964FF").as_deref(),
            Some("6f9619ff-8b86-d011-b42d-00c04fc964ff")
        );
        assert_eq!(parse_twint_ref("123"), None);
    }
}
