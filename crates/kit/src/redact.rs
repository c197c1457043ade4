//! Masking of personal data for logs, traces and error messages. Mobile numbers and e-mail
//! addresses are hotline data (HL-42); wrap them in these types whenever they are displayed.

use std::fmt;

/// Shows a phone number as `+41 *** ** 67`: the country prefix and the last two digits only.
pub struct Phone<'a>(pub &'a str);

impl fmt::Display for Phone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 6 {
            return f.write_str("***");
        }
        let prefix: String = if self.0.trim_start().starts_with('+') {
            format!("+{}", digits.iter().take(2).collect::<String>())
        } else {
            digits.iter().take(3).collect()
        };
        let tail: String = digits[digits.len() - 2..].iter().collect();
        write!(f, "{prefix}***{tail}")
    }
}

impl fmt::Debug for Phone<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Shows an e-mail address as `m***@example.ch`: the first letter and the domain.
pub struct Email<'a>(pub &'a str);

impl fmt::Display for Email<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once('@') {
            Some((local, domain)) if !local.is_empty() => {
                let first: String = local.chars().take(1).collect();
                write!(f, "{first}***@{domain}")
            }
            _ => f.write_str("***"),
        }
    }
}

impl fmt::Debug for Email<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        let cases = [
            ("+41 79 123 45 67", "+41***67"),
            ("0791234567", "079***67"),
            ("+41791234567", "+41***67"),
            ("123", "***"),
            ("", "***"),
        ];
        for (input, want) in cases {
            assert_eq!(Phone(input).to_string(), want, "{input}");
            assert!(!Phone(input).to_string().contains("12345"));
        }
    }

    #[test]
    fn emails_are_masked() {
        let cases = [("maria.muster@example.ch", "m***@example.ch"), ("@x", "***"), ("nomail", "***")];
        for (input, want) in cases {
            assert_eq!(Email(input).to_string(), want);
        }
    }
}
