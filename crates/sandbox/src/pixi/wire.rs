//! The SOAP 1.1 wire format: reading an rpc/encoded request envelope, writing the DataSet
//! diffgram answer (`{call}Response/{call}Result/SqlRowSet/diffgram/SqlRowSet1/row`) and SOAP
//! faults, and the value formats (money with four decimals, datetimes, bits).

use std::borrow::Cow;

use chrono::NaiveDateTime;
use quick_xml::NsReader;
use quick_xml::escape::{escape, unescape};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// SOAP fault codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultCode {
    /// Not a SOAP 1.1 envelope.
    VersionMismatch,
    /// The request is wrong (unparseable, unknown procedure, not authorised).
    Client,
    /// The procedure failed (SQL error or `RAISERROR`).
    Server,
}

/// A SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) code: FaultCode,
    pub(crate) message: String,
}

impl Fault {
    pub(crate) fn client(message: impl Into<String>) -> Self {
        Fault { code: FaultCode::Client, message: message.into() }
    }

    pub(crate) fn server(message: impl Into<String>) -> Self {
        Fault { code: FaultCode::Server, message: message.into() }
    }

    fn bad_request() -> Self {
        Fault::client("Bad Request")
    }
}

/// A parsed call: its (case-sensitive) name and its parameters in order; `None` is `xsi:nil`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoapRequest {
    pub(crate) call: String,
    pub(crate) params: Vec<(String, Option<String>)>,
}

enum Stage {
    Root,
    Envelope,
    Body,
    Done,
}

/// Reads a SOAP 1.1 request envelope.
pub(crate) fn parse(xml: &str) -> Result<SoapRequest, Fault> {
    let mut r = NsReader::from_str(xml);
    let mut stage = Stage::Root;
    let mut request = None;
    loop {
        let (ns, event) = r.read_resolved_event().map_err(|_| Fault::bad_request())?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            _ => None,
        };
        match (&stage, event) {
            (_, Event::Eof) => break,
            (Stage::Root, Event::Start(e)) => {
                if local(&e) != "Envelope" {
                    return Err(Fault::bad_request());
                }
                if ns.as_deref() != Some(SOAP_ENV) {
                    return Err(Fault { code: FaultCode::VersionMismatch, message: "Wrong Version".into() });
                }
                stage = Stage::Envelope;
            }
            (Stage::Root | Stage::Envelope, Event::Empty(_)) => return Err(Fault::bad_request()),
            (Stage::Envelope, Event::Start(e)) if local(&e) == "Body" => stage = Stage::Body,
            (Stage::Envelope, Event::Start(e)) => {
                r.read_to_end(e.name()).map_err(|_| Fault::bad_request())?;
            }
            (Stage::Body, Event::Start(e)) => {
                let params = read_params(&mut r)?;
                request = Some(SoapRequest { call: local(&e), params });
                stage = Stage::Done;
            }
            (Stage::Body, Event::Empty(e)) => {
                request = Some(SoapRequest { call: local(&e), params: Vec::new() });
                stage = Stage::Done;
            }
            (Stage::Body, Event::End(_)) => return Err(Fault::bad_request()),
            _ => {}
        }
    }
    request.ok_or_else(Fault::bad_request)
}

fn local(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn is_nil(e: &BytesStart<'_>) -> bool {
    e.attributes()
        .flatten()
        .any(|a| a.key.local_name().as_ref() == b"nil" && matches!(a.value.as_ref(), b"true" | b"1"))
}

/// Reads the parameter elements of the call element, up to its end tag.
fn read_params(r: &mut NsReader<&[u8]>) -> Result<Vec<(String, Option<String>)>, Fault> {
    let mut params = Vec::new();
    loop {
        match r.read_event().map_err(|_| Fault::bad_request())? {
            Event::Start(p) => {
                let nil = is_nil(&p);
                let raw = r.read_text(p.name()).map_err(|_| Fault::bad_request())?;
                let value = if nil { None } else { Some(decode(&raw)?) };
                params.push((local(&p), value));
            }
            Event::Empty(p) => params.push((local(&p), (!is_nil(&p)).then(String::new))),
            Event::End(_) => return Ok(params),
            Event::Eof => return Err(Fault::bad_request()),
            _ => {}
        }
    }
}

/// The text of a parameter: entities resolved and CDATA unwrapped; a value that holds
/// elements (an XML-typed parameter sent unescaped) is kept as raw XML.
fn decode(raw: &str) -> Result<String, Fault> {
    let text = |s: &str| unescape(s).map(Cow::into_owned).map_err(|_| Fault::bad_request());
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find("<![CDATA[") {
        if rest[..i].contains('<') {
            return Ok(raw.to_owned());
        }
        out.push_str(&text(&rest[..i])?);
        let after = &rest[i + "<![CDATA[".len()..];
        let j = after.find("]]>").ok_or_else(Fault::bad_request)?;
        out.push_str(&after[..j]);
        rest = &after[j + 3..];
    }
    if rest.contains('<') {
        return Ok(raw.to_owned());
    }
    out.push_str(&text(rest)?);
    Ok(out)
}

/// One diffgram row: column name and value (`None` = NULL, left out as .NET does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Row(pub(crate) Vec<(&'static str, Option<String>)>);

impl Row {
    pub(crate) fn new() -> Self {
        Row(Vec::new())
    }

    /// A string column.
    pub(crate) fn s(mut self, name: &'static str, v: impl Into<String>) -> Self {
        self.0.push((name, Some(v.into())));
        self
    }

    /// A nullable string column.
    pub(crate) fn opt(mut self, name: &'static str, v: Option<impl Into<String>>) -> Self {
        self.0.push((name, v.map(Into::into)));
        self
    }

    /// An integer column.
    pub(crate) fn i(self, name: &'static str, v: i64) -> Self {
        self.s(name, v.to_string())
    }

    /// A money column (minor units in, four decimals out).
    pub(crate) fn m(self, name: &'static str, minor: i64) -> Self {
        self.s(name, money(minor))
    }

    /// A bit column.
    pub(crate) fn b(self, name: &'static str, v: bool) -> Self {
        self.s(name, if v { "1" } else { "0" })
    }

    /// A datetime column.
    pub(crate) fn d(self, name: &'static str, v: NaiveDateTime) -> Self {
        self.s(name, datetime(v))
    }

    /// A nullable datetime column.
    pub(crate) fn od(self, name: &'static str, v: Option<NaiveDateTime>) -> Self {
        self.opt(name, v.map(datetime))
    }
}

/// SQL `money` as pixi sends it: `46.1800`.
pub(crate) fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}00", abs / 100, abs % 100)
}

/// A datetime as pixi's result sets carry it: `2011-07-18T10:02:59.910`.
pub(crate) fn datetime(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

const ENVELOPE_OPEN: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/""#,
    r#" xmlns:ns1="https://apigateway.descartes.com/tms/pixi/""#,
    r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
    r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
    r#" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/""#,
    r#" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>"#
);
const ENVELOPE_CLOSE: &str = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";

/// The answer envelope with result sets `SqlRowSet1`, `SqlRowSet2`, … (an empty set is an
/// element without `row`).
pub(crate) fn answer(call: &str, sets: &[Vec<Row>]) -> String {
    let mut out = String::from(ENVELOPE_OPEN);
    out.push_str(&format!("<ns1:{call}Response><{call}Result><SqlRowSet><diffgram>"));
    for (i, set) in sets.iter().enumerate() {
        let n = i + 1;
        out.push_str(&format!("<SqlRowSet{n}>"));
        for row in set {
            out.push_str("<row>");
            for (name, value) in &row.0 {
                if let Some(v) = value {
                    out.push_str(&format!("<{name}>{}</{name}>", escape(v.as_str())));
                }
            }
            out.push_str("</row>");
        }
        out.push_str(&format!("</SqlRowSet{n}>"));
    }
    out.push_str(&format!("</diffgram></SqlRowSet></{call}Result></ns1:{call}Response>"));
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// A SOAP 1.1 fault envelope.
pub(crate) fn fault(f: &Fault) -> String {
    let code = match f.code {
        FaultCode::VersionMismatch => "SOAP-ENV:VersionMismatch",
        FaultCode::Client => "SOAP-ENV:Client",
        FaultCode::Server => "SOAP-ENV:Server",
    };
    format!(
        "{ENVELOPE_OPEN}<SOAP-ENV:Fault><faultcode>{code}</faultcode><faultstring>{}</faultstring></SOAP-ENV:Fault>{ENVELOPE_CLOSE}",
        escape(f.message.as_str())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="https://apigateway.descartes.com/tms/pixi/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><SOAP-ENV:Header><x>1</x></SOAP-ENV:Header><SOAP-ENV:Body><ns1:pixiSetOrderShippingLock><OrderNr xsi:type="xsd:int">123</OrderNr><Locked xsi:type="xsd:boolean">1</Locked><Reason>Zahlung &amp; Co &lt;offen&gt;</Reason><UserName xsi:nil="true"/><Note/><Xml><![CDATA[<a>1</a>]]></Xml></ns1:pixiSetOrderShippingLock></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

    #[test]
    fn parses_rpc_encoded_parameters() {
        let r = parse(OK).unwrap();
        assert_eq!(r.call, "pixiSetOrderShippingLock");
        let p: Vec<(&str, Option<&str>)> = r.params.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
        assert_eq!(
            p,
            vec![
                ("OrderNr", Some("123")),
                ("Locked", Some("1")),
                ("Reason", Some("Zahlung & Co <offen>")),
                ("UserName", None),
                ("Note", Some("")),
                ("Xml", Some("<a>1</a>")),
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_a_soap_11_request() {
        let cases = [
            ("", FaultCode::Client),
            ("not xml", FaultCode::Client),
            ("<a><b></a>", FaultCode::Client),
            (
                r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>"#,
                FaultCode::VersionMismatch,
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body></e:Body></e:Envelope>"#,
                FaultCode::Client,
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x><a>1</a>"#,
                FaultCode::Client,
            ),
        ];
        for (xml, code) in cases {
            assert_eq!(parse(xml).unwrap_err().code, code, "{xml}");
        }
    }

    #[test]
    fn formats_money_and_datetimes_like_pixi() {
        for (minor, text) in [(4618, "46.1800"), (-1250, "-12.5000"), (0, "0.0000"), (5, "0.0500")] {
            assert_eq!(money(minor), text);
        }
        let d = NaiveDateTime::parse_from_str("2024-03-01 09:05:07", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(datetime(d), "2024-03-01T09:05:07.000");
    }

    #[test]
    fn writes_empty_sets_without_rows_and_escapes_values() {
        let xml = answer("pixiX", &[vec![Row::new().s("A", "x<y").opt("B", None::<String>)], vec![]]);
        assert!(xml.contains("<SqlRowSet1><row><A>x&lt;y</A></row></SqlRowSet1><SqlRowSet2></SqlRowSet2>"), "{xml}");
        assert!(xml.contains("<ns1:pixiXResponse><pixiXResult><SqlRowSet><diffgram>"));
    }
}
