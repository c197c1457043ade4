//! The SOAP 1.1 wire format: reading an rpc/encoded request envelope, writing SQL Server
//! native web-service answers (`{call}Response/{call}Result` with one `SqlRowSet` per result
//! set — a diffgram of `SqlRowSetN/row` — then `SqlResultCode`), `SqlMessage` errors inside
//! an HTTP 200 answer, SOAP faults, and the value formats (money with four decimals,
//! datetimes, bits). The shapes follow the contract cases in `crates/sandbox/contracts/pixi/`.

use std::borrow::Cow;

use chrono::NaiveDateTime;
use quick_xml::NsReader;
use quick_xml::escape::{escape, unescape};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The namespace of the call element when a request has none (the gateway's).
pub(crate) const DEFAULT_NS: &str = "https://apigateway.descartes.com/tms/pixi/";

/// SOAP fault codes, and SQL errors (which pixi answers inside a normal result, HTTP 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultCode {
    /// Not a SOAP 1.1 envelope.
    VersionMismatch,
    /// The request is wrong (unparseable, unknown procedure, not authorised): a SOAP fault.
    Client,
    /// An error of the stored procedure or its parameter binding: an `SqlMessage` with this
    /// severity class and number in an HTTP 200 answer.
    Sql {
        /// Severity (16 for request errors and `RAISERROR`, 13 for a deadlock victim).
        class: u8,
        /// SQL Server error number (8145 unknown parameter, 201 missing one, 50000 RAISERROR).
        number: i32,
    },
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

    /// A `RAISERROR` of the procedure (class 16, number 50000).
    pub(crate) fn raise(message: impl Into<String>) -> Self {
        Fault::sql(16, 50000, message)
    }

    /// A SQL Server error.
    pub(crate) fn sql(class: u8, number: i32, message: impl Into<String>) -> Self {
        Fault { code: FaultCode::Sql { class, number }, message: message.into() }
    }

    fn bad_request() -> Self {
        Fault::client("Bad Request")
    }
}

/// A parsed call: its (case-sensitive) name, its namespace (echoed in the answer, as SQL
/// Server answers in the endpoint's namespace) and its parameters in order; `None` is
/// `xsi:nil`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoapRequest {
    pub(crate) call: String,
    pub(crate) ns: Option<String>,
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
                request = Some(SoapRequest { call: local(&e), ns, params });
                stage = Stage::Done;
            }
            (Stage::Body, Event::Empty(e)) => {
                request = Some(SoapRequest { call: local(&e), ns, params: Vec::new() });
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

fn envelope_open(ns: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<SOAP-ENV:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
            r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
            r#" xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/""#,
            r#" xmlns:sqlsoaptypes="http://schemas.microsoft.com/sqlserver/2004/SOAP/types""#,
            r#" xmlns:sqlmessage="http://schemas.microsoft.com/sqlserver/2004/SOAP/types/SqlMessage""#,
            r#" xmlns:sqlresultstream="http://schemas.microsoft.com/sqlserver/2004/SOAP/types/SqlResultStream""#,
            r#" xmlns:method="{}"><SOAP-ENV:Body>"#
        ),
        escape(ns)
    )
}
const ENVELOPE_CLOSE: &str = "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
const RESULT_CODE: &str =
    r#"<sqlresultstream:SqlResultCode xsi:type="sqlsoaptypes:SqlResultCode">0</sqlresultstream:SqlResultCode>"#;

fn result(ns: &str, call: &str, inner: &str) -> String {
    format!(
        "{}<method:{call}Response><method:{call}Result>{inner}</method:{call}Result></method:{call}Response>{ENVELOPE_CLOSE}",
        envelope_open(ns)
    )
}

/// The answer with result sets `SqlRowSet1`, `SqlRowSet2`, … (one `SqlRowSet` element each; an
/// empty set has no `row`), then `SqlResultCode` 0.
pub(crate) fn answer(ns: &str, call: &str, sets: &[Vec<Row>]) -> String {
    let mut inner = String::new();
    for (i, set) in sets.iter().enumerate() {
        let n = i + 1;
        inner.push_str(r#"<sqlresultstream:SqlRowSet xsi:type="sqlsoaptypes:SqlRowSet">"#);
        inner.push_str(r#"<diffgr:diffgram xmlns:diffgr="urn:schemas-microsoft-com:xml-diffgram-v1">"#);
        inner.push_str(&format!(r#"<SqlRowSet{n} xmlns="urn:schemas-microsoft-com:sql:SqlRowSet{n}">"#));
        for row in set {
            inner.push_str("<row>");
            for (name, value) in &row.0 {
                if let Some(v) = value {
                    inner.push_str(&format!("<{name}>{}</{name}>", escape(v.as_str())));
                }
            }
            inner.push_str("</row>");
        }
        inner.push_str(&format!("</SqlRowSet{n}></diffgr:diffgram></sqlresultstream:SqlRowSet>"));
    }
    inner.push_str(RESULT_CODE);
    result(ns, call, &inner)
}

/// A SQL error as SQL Server's native web services answer it: an `SqlMessage` inside the
/// result (HTTP 200), no rows and no result code.
pub(crate) fn sql_error(ns: &str, call: &str, class: u8, number: i32, message: &str) -> String {
    let procedure = format!("pipi{}", call.strip_prefix("pixi").unwrap_or(call));
    let fields = [
        ("Class", class.to_string()),
        ("LineNumber", "1".to_owned()),
        ("Message", message.to_owned()),
        ("Number", number.to_string()),
        ("Procedure", procedure),
        ("Server", "PIXISQL01".to_owned()),
        ("Source", "Microsoft-SQL/10.0".to_owned()),
        ("State", "1".to_owned()),
    ];
    let mut inner = String::from(r#"<sqlresultstream:SqlMessage xsi:type="sqlmessage:SqlMessage">"#);
    for (k, v) in fields {
        inner.push_str(&format!("<sqlmessage:{k}>{}</sqlmessage:{k}>", escape(v.as_str())));
    }
    inner.push_str("</sqlresultstream:SqlMessage>");
    result(ns, call, &inner)
}

/// A SOAP 1.1 fault envelope.
pub(crate) fn fault(ns: &str, f: &Fault) -> String {
    let code = match f.code {
        FaultCode::VersionMismatch => "SOAP-ENV:VersionMismatch",
        FaultCode::Client => "SOAP-ENV:Client",
        FaultCode::Sql { .. } => "SOAP-ENV:Server",
    };
    format!(
        "{}<SOAP-ENV:Fault><faultcode>{code}</faultcode><faultstring>{}</faultstring><faultactor>http://schemas.microsoft.com/sqlserver/2004/SOAP</faultactor></SOAP-ENV:Fault>{ENVELOPE_CLOSE}",
        envelope_open(ns),
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
    fn writes_one_row_set_per_result_set_and_escapes_values() {
        let xml = answer("urn:x", "pixiX", &[vec![Row::new().s("A", "x<y").opt("B", None::<String>)], vec![]]);
        assert!(
            xml.contains(
                r#"<SqlRowSet1 xmlns="urn:schemas-microsoft-com:sql:SqlRowSet1"><row><A>x&lt;y</A></row></SqlRowSet1>"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<SqlRowSet2 xmlns="urn:schemas-microsoft-com:sql:SqlRowSet2"></SqlRowSet2>"#), "{xml}");
        assert_eq!(xml.matches("<sqlresultstream:SqlRowSet ").count(), 2);
        assert!(xml.contains(r#"xmlns:method="urn:x"><SOAP-ENV:Body><method:pixiXResponse><method:pixiXResult>"#));
        assert!(xml.contains(">0</sqlresultstream:SqlResultCode></method:pixiXResult>"));
        let e = sql_error("urn:x", "pixiGetX", 13, 1205, "deadlock");
        assert!(
            e.contains("<sqlmessage:Number>1205</sqlmessage:Number>")
                && e.contains("pipiGetX")
                && !e.contains("SqlResultCode")
        );
    }
}
