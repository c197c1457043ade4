//! The pixi SOAP 1.1 wire format as pixi-sync speaks it: rpc/encoded request envelopes with
//! typed parameters, and the DataSet diffgram answer (`…Result/SqlRowSet/diffgram/SqlRowSetN/
//! row`) or a SOAP fault. Values: money with up to four decimals, datetimes
//! `YYYY-MM-DD hh:mm:ss`, bits 0/1.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

/// pixi's namespace for calls.
pub const NS: &str = "https://apigateway.descartes.com/tms/pixi/";

/// One typed parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// `xsd:int`.
    Int(i64),
    /// `xsd:string`.
    Str(String),
    /// `xsd:boolean` as 0/1.
    Bit(bool),
    /// Money from minor units (`12.50`).
    Money(i64),
    /// `xsd:dateTime` as `YYYY-MM-DD hh:mm:ss`.
    DateTime(NaiveDateTime),
    /// A value pixi already gave us in its own format (e.g. `DateTimeTo`).
    Raw(String),
}

impl Param {
    fn render(&self) -> (&'static str, String) {
        match self {
            Param::Int(v) => ("xsd:int", v.to_string()),
            Param::Str(v) => ("xsd:string", v.clone()),
            Param::Bit(v) => ("xsd:boolean", if *v { "1" } else { "0" }.to_owned()),
            Param::Money(minor) => ("xsd:decimal", money_text(*minor)),
            Param::DateTime(d) => ("xsd:dateTime", d.format("%Y-%m-%d %H:%M:%S").to_string()),
            Param::Raw(v) => ("xsd:string", v.clone()),
        }
    }
}

/// Minor units as pixi's decimal text (`-12.50`).
pub fn money_text(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.unsigned_abs() / 100, minor.unsigned_abs() % 100)
}

/// The request envelope for `call` with `params`.
pub fn envelope(call: &str, params: &[(&str, Param)]) -> String {
    let mut body = String::with_capacity(512);
    body.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:ns1="https://apigateway.descartes.com/tms/pixi/""#,
        r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
        r#" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>"#
    ));
    body.push_str(&format!("<ns1:{call}>"));
    for (name, p) in params {
        let (ty, value) = p.render();
        body.push_str(&format!("<{name} xsi:type=\"{ty}\">{}</{name}>", escape(value.as_str())));
    }
    body.push_str(&format!("</ns1:{call}></SOAP-ENV:Body></SOAP-ENV:Envelope>"));
    body
}

/// One result row: column → value (NULL columns are absent).
pub type Row = BTreeMap<String, String>;

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The result sets, `SqlRowSet1` first.
    Sets(Vec<Vec<Row>>),
    /// A SOAP fault.
    Fault {
        /// `faultcode` (e.g. `SOAP-ENV:Server`).
        code: String,
        /// `faultstring`.
        message: String,
    },
}

/// Parses an answer envelope. `None` when the body is not a SOAP envelope at all.
pub fn parse(xml: &str) -> Option<Answer> {
    let mut r = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut sets: BTreeMap<u32, Vec<Row>> = BTreeMap::new();
    let mut row: Option<Row> = None;
    let mut column: Option<String> = None;
    let mut text = String::new();
    let mut fault: Option<(String, String)> = None;
    let mut saw_envelope = false;
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "Envelope" {
                    saw_envelope = true;
                }
                if name == "Fault" {
                    fault = Some((String::new(), String::new()));
                }
                if let Some(n) = set_number(&name) {
                    sets.entry(n).or_default();
                } else if name == "row" && stack.last().is_some_and(|p| set_number(p).is_some()) {
                    row = Some(Row::new());
                } else if row.is_some() && stack.last().is_some_and(|p| p == "row") {
                    column = Some(name.clone());
                    text.clear();
                }
                if matches!(name.as_str(), "faultcode" | "faultstring") {
                    text.clear();
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if let Some(n) = set_number(&name) {
                    sets.entry(n).or_default();
                } else if row.is_some() && stack.last().is_some_and(|p| p == "row") {
                    row.as_mut()?.insert(name, String::new());
                }
            }
            Event::Text(t) => {
                text.push_str(&t.decode().ok()?);
            }
            Event::GeneralRef(g) => {
                let name = String::from_utf8_lossy(g.as_ref()).into_owned();
                let resolved = match name.as_str() {
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "amp" => "&".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    other => {
                        let code = other
                            .strip_prefix("#x")
                            .map(|h| u32::from_str_radix(h, 16))
                            .or_else(|| other.strip_prefix('#').map(str::parse::<u32>));
                        match code.and_then(Result::ok).and_then(char::from_u32) {
                            Some(c) => c.to_string(),
                            None => return None,
                        }
                    }
                };
                text.push_str(&resolved);
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(c.as_ref())),
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.pop();
                if column.as_deref() == Some(name.as_str()) {
                    if let (Some(row), Some(col)) = (row.as_mut(), column.take()) {
                        row.insert(col, std::mem::take(&mut text));
                    }
                } else if name == "row" {
                    if let Some(done) = row.take() {
                        let n = stack.last().and_then(|p| set_number(p)).unwrap_or(1);
                        sets.entry(n).or_default().push(done);
                    }
                } else if let Some(f) = fault.as_mut() {
                    match name.as_str() {
                        "faultcode" => f.0 = std::mem::take(&mut text).trim().to_owned(),
                        "faultstring" => f.1 = std::mem::take(&mut text).trim().to_owned(),
                        _ => {}
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_envelope {
        return None;
    }
    if let Some((code, message)) = fault {
        return Some(Answer::Fault { code, message });
    }
    Some(Answer::Sets(sets.into_values().collect()))
}

fn set_number(name: &str) -> Option<u32> {
    name.strip_prefix("SqlRowSet").and_then(|n| n.parse().ok())
}

/// Parses pixi money (`46.1800`, `-12.5`) into minor units, rounding half away from zero
/// beyond two decimals.
pub fn money(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut digits = frac.bytes().map(|b| i64::from(b - b'0'));
    let cents = digits.next().unwrap_or(0) * 10 + digits.next().unwrap_or(0);
    let round = i64::from(digits.next().unwrap_or(0) >= 5);
    let v = whole.checked_mul(100)?.checked_add(cents + round)?;
    Some(if neg { -v } else { v })
}

/// Parses pixi's bits and flags (`1`, `true`, `Y`).
pub fn flag(text: &str) -> bool {
    matches!(text.trim().to_ascii_lowercase().as_str(), "1" | "true" | "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_rpc_encoded_envelopes_with_escaped_values() {
        let xml = envelope(
            "pixiSetOrderShippingLock",
            &[("OrderNr", Param::Int(123)), ("Locked", Param::Bit(true)), ("Reason", Param::Str("a & <b>".into()))],
        );
        assert!(xml.contains(r#"<ns1:pixiSetOrderShippingLock><OrderNr xsi:type="xsd:int">123</OrderNr>"#), "{xml}");
        assert!(xml.contains(r#"<Locked xsi:type="xsd:boolean">1</Locked>"#));
        assert!(xml.contains("a &amp; &lt;b&gt;"));
        assert!(xml.contains("SOAP-ENV:encodingStyle"));
        let m = envelope("x", &[("Amount", Param::Money(-1250))]);
        assert!(m.contains(">-12.50<"));
    }

    #[test]
    fn reads_diffgram_sets_rows_and_faults() {
        let ok = r#"<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><ns1:xResponse xmlns:ns1="n"><xResult><SqlRowSet><diffgram><SqlRowSet1><row><A>1</A><B>x &amp; y</B><C/></row><row><A>2</A></row></SqlRowSet1><SqlRowSet2></SqlRowSet2></diffgram></SqlRowSet></xResult></ns1:xResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
        let Some(Answer::Sets(sets)) = parse(ok) else { panic!("sets") };
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].len(), 2);
        assert_eq!(sets[0][0]["B"], "x & y");
        assert_eq!(sets[0][0]["C"], "");
        assert_eq!(sets[0][1]["A"], "2");
        assert!(sets[1].is_empty());
        let fault = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>Invoice X not found</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
        assert_eq!(
            parse(fault),
            Some(Answer::Fault { code: "SOAP-ENV:Server".into(), message: "Invoice X not found".into() })
        );
        assert_eq!(parse("injected fault"), None);
    }

    #[test]
    fn money_and_flags_table() {
        let cases = [
            ("46.1800", Some(4618)),
            ("-12.5", Some(-1250)),
            ("0.0050", Some(1)),
            ("7", Some(700)),
            ("x", None),
            ("", None),
        ];
        for (t, want) in cases {
            assert_eq!(money(t), want, "{t}");
        }
        assert!(flag("Y") && flag("1") && !flag("N") && !flag("0"));
    }
}
