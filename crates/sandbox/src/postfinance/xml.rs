//! The DirectLink XML reply: `<?xml version="1.0"?><ncresponse …/>` with attributes in the
//! platform's order and casing (`orderID`, `PAYID`, …, `amount`, `currency`), `amount` as a
//! decimal (`15`, `15.5`, `17.89`, never ×100), `NCSTATUS` = first digit of `NCERROR`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Attributes of one reply, in order.
#[derive(Debug, Default, Clone)]
pub struct NcResponse(pub Vec<(&'static str, String)>);

impl NcResponse {
    /// Adds an attribute.
    pub fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.push((name, value.into()));
        self
    }

    /// The XML text.
    pub fn render(&self) -> String {
        let attrs: String = self.0.iter().map(|(k, v)| format!("\n{k}=\"{}\"", escape(v))).collect();
        format!("<?xml version=\"1.0\"?><ncresponse{attrs}>\n</ncresponse>")
    }
}

impl IntoResponse for NcResponse {
    fn into_response(self) -> Response {
        let mut r = self.render().into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        r
    }
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Minor units as the platform prints amounts: `1500` → `15`, `1550` → `15.5`, `1789` → `17.89`.
pub fn amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    let (whole, cents) = (a / 100, a % 100);
    match cents {
        0 => format!("{sign}{whole}"),
        c if c % 10 == 0 => format!("{sign}{whole}.{}", c / 10),
        c => format!("{sign}{whole}.{c:02}"),
    }
}

/// `NCSTATUS` for `NCERROR` (its first digit; `0` when OK).
pub fn ncstatus(ncerror: &str) -> String {
    ncerror.chars().next().filter(|c| *c != '0').map_or_else(|| "0".to_owned(), String::from)
}

/// A refusal before or during maintenance/query: `PAYID="0"` unless known, `STATUS="0"`.
pub fn refused(orderid: &str, payid: &str, ncerror: &str, plus: &str, amount: &str, currency: &str) -> NcResponse {
    NcResponse::default()
        .attr("orderID", orderid)
        .attr("PAYID", if payid.is_empty() { "0" } else { payid })
        .attr("PAYIDSUB", "")
        .attr("NCSTATUS", ncstatus(ncerror))
        .attr("NCERROR", ncerror)
        .attr("NCERRORPLUS", plus)
        .attr("ACCEPTANCE", "")
        .attr("STATUS", "0")
        .attr("amount", amount)
        .attr("currency", currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimals_without_trailing_zeros() {
        for (minor, text) in [(1500, "15"), (1550, "15.5"), (1789, "17.89"), (5, "0.05"), (0, "0"), (12500, "125")] {
            assert_eq!(amount(minor), text);
        }
    }

    #[test]
    fn ncstatus_is_the_first_digit() {
        for (e, s) in [("0", "0"), ("", "0"), ("50001127", "5"), ("30001001", "3"), ("20002001", "2")] {
            assert_eq!(ncstatus(e), s);
        }
    }

    #[test]
    fn attributes_are_escaped() {
        let x = NcResponse::default().attr("NCERRORPLUS", "a<\"b\"&c").render();
        assert!(x.contains("NCERRORPLUS=\"a&lt;&quot;b&quot;&amp;c\""), "{x}");
        assert!(x.starts_with("<?xml version=\"1.0\"?><ncresponse"));
    }
}
