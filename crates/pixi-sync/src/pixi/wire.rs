//! The pixi SOAP 1.1 wire format as pixi-sync speaks it (contract cases:
//! `crates/sandbox/contracts/pixi/`). Requests are rpc/encoded envelopes whose call element is
//! in the endpoint's own namespace (as pixi's PHP SDK and the Ruby client send it; the
//! documentation's gateway examples use the gateway URL, which is that endpoint), typed
//! parameters, datetimes as `xsd:dateTime` (`YYYY-MM-DDThh:mm:ss`). Answers are SQL Server
//! native XML web-service answers: per result set a `SqlRowSet` with a diffgram of
//! `SqlRowSetN/row` (NULL columns left out), `SqlMessage` elements for server messages
//! (warnings with rows, errors instead of them), an `SqlResultCode`, or a SOAP fault.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

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
    /// `xsd:dateTime` (`2026-01-05T11:00:00`, installation local time).
    DateTime(NaiveDateTime),
    /// A datetime pixi gave us in its own form (`DateTimeTo`, `2026-01-05T11:00:00.000`),
    /// passed back unchanged as `xsd:dateTime`.
    PixiDateTime(String),
}

impl Param {
    fn render(&self) -> (&'static str, String) {
        match self {
            Param::Int(v) => ("xsd:int", v.to_string()),
            Param::Str(v) => ("xsd:string", v.clone()),
            Param::PixiDateTime(v) => ("xsd:dateTime", v.clone()),
            Param::Bit(v) => ("xsd:boolean", if *v { "1" } else { "0" }.to_owned()),
            Param::Money(minor) => ("xsd:decimal", kit::contract::minor_decimal(*minor, 2)),
            Param::DateTime(d) => ("xsd:dateTime", d.format("%Y-%m-%dT%H:%M:%S").to_string()),
        }
    }
}

/// The request envelope for `call` with `params`, the call element in namespace `ns` (the
/// endpoint URL).
pub fn envelope(ns: &str, call: &str, params: &[(&str, Param)]) -> String {
    let mut body = String::with_capacity(512);
    body.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/""#,
        r#" xmlns:xsd="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#,
        r#" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body>"#
    ));
    body.push_str(&format!("<ns1:{call} xmlns:ns1=\"{}\">", escape(ns)));
    for (name, p) in params {
        let (ty, value) = p.render();
        body.push_str(&format!("<{name} xsi:type=\"{ty}\">{}</{name}>", escape(value.as_str())));
    }
    body.push_str(&format!("</ns1:{call}></SOAP-ENV:Body></SOAP-ENV:Envelope>"));
    body
}

/// One result row: column → value (NULL columns are absent).
pub type Row = BTreeMap<String, String>;

/// A SQL Server message in the answer (`sqlresultstream:SqlMessage`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlMessage {
    /// Severity: up to 10 informational, 11–16 errors the request caused, 17+ server trouble.
    pub class: i64,
    /// Error number (1205 deadlock victim, 201 missing parameter, 50000 RAISERROR, …).
    pub number: i64,
    /// Text.
    pub message: String,
    /// The stored procedure.
    pub procedure: String,
}

impl SqlMessage {
    /// Severity above informational: the call failed.
    pub fn is_error(&self) -> bool {
        self.class > 10
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A SQL result stream.
    Result {
        /// The result sets, `SqlRowSet1` first.
        sets: Vec<Vec<Row>>,
        /// Server messages, in order.
        messages: Vec<SqlMessage>,
    },
    /// A SOAP fault.
    Fault {
        /// `faultcode` (e.g. `SOAP-ENV:Client`).
        code: String,
        /// `faultstring`.
        message: String,
    },
}

#[derive(Default)]
struct State {
    stack: Vec<String>,
    sets: BTreeMap<u32, Vec<Row>>,
    row: Option<Row>,
    column: Option<String>,
    text: String,
    fault: Option<(String, String)>,
    message: Option<SqlMessage>,
    messages: Vec<SqlMessage>,
    envelope: bool,
}

impl State {
    fn parent(&self) -> Option<&str> {
        self.stack.last().map(String::as_str)
    }

    fn open(&mut self, name: String, empty: bool) {
        if name == "Envelope" {
            self.envelope = true;
        }
        if name == "Fault" {
            self.fault = Some((String::new(), String::new()));
        }
        if name == "SqlMessage" {
            self.message = Some(SqlMessage::default());
        }
        if let Some(n) = set_number(&name) {
            self.sets.entry(n).or_default();
        } else if name == "row" && self.parent().is_some_and(|p| set_number(p).is_some()) {
            self.row = Some(Row::new());
        } else if self.row.is_some() && self.parent() == Some("row") {
            if empty {
                if let Some(r) = self.row.as_mut() {
                    r.insert(name.clone(), String::new());
                }
            } else {
                self.column = Some(name.clone());
            }
        }
        self.text.clear();
        if !empty {
            self.stack.push(name);
        }
    }

    fn close(&mut self, name: &str) {
        self.stack.pop();
        let text = std::mem::take(&mut self.text);
        if self.column.as_deref() == Some(name) {
            if let (Some(row), Some(col)) = (self.row.as_mut(), self.column.take()) {
                row.insert(col, text);
            }
        } else if name == "row" {
            if let Some(done) = self.row.take() {
                let n = self.parent().and_then(set_number).unwrap_or(1);
                self.sets.entry(n).or_default().push(done);
            }
        } else if name == "SqlMessage" {
            if let Some(m) = self.message.take() {
                self.messages.push(m);
            }
        } else if self.parent() == Some("SqlMessage") {
            if let Some(m) = self.message.as_mut() {
                let t = text.trim();
                match name {
                    "Class" => m.class = t.parse().unwrap_or(i64::MAX),
                    "Number" => m.number = t.parse().unwrap_or(0),
                    "Message" => m.message = t.to_owned(),
                    "Procedure" => m.procedure = t.to_owned(),
                    _ => {}
                }
            }
        } else if let Some(f) = self.fault.as_mut() {
            match name {
                "faultcode" => f.0 = text.trim().to_owned(),
                "faultstring" => f.1 = text.trim().to_owned(),
                _ => {}
            }
        }
    }
}

/// Parses an answer envelope. `None` when the body is not a SOAP envelope at all.
pub fn parse(xml: &str) -> Option<Answer> {
    let mut r = Reader::from_str(xml);
    let mut s = State::default();
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => s.open(String::from_utf8_lossy(e.local_name().as_ref()).into_owned(), false),
            Event::Empty(e) => s.open(String::from_utf8_lossy(e.local_name().as_ref()).into_owned(), true),
            Event::Text(t) => s.text.push_str(&t.decode().ok()?),
            Event::GeneralRef(g) => s.text.push_str(&entity(&String::from_utf8_lossy(g.as_ref()))?),
            Event::CData(c) => s.text.push_str(&String::from_utf8_lossy(c.as_ref())),
            Event::End(e) => s.close(&String::from_utf8_lossy(e.local_name().as_ref())),
            Event::Eof => break,
            _ => {}
        }
    }
    if !s.envelope {
        return None;
    }
    if let Some((code, message)) = s.fault {
        return Some(Answer::Fault { code, message });
    }
    Some(Answer::Result { sets: s.sets.into_values().collect(), messages: s.messages })
}

fn entity(name: &str) -> Option<String> {
    Some(match name {
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
            code.and_then(Result::ok).and_then(char::from_u32)?.to_string()
        }
    })
}

fn set_number(name: &str) -> Option<u32> {
    name.strip_prefix("SqlRowSet").and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_rpc_encoded_envelopes_in_the_endpoint_namespace() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(11, 0, 0).unwrap();
        let xml = envelope(
            "https://soap.pixi.eu/soap/shop/",
            "pixiSetOrderShippingLock",
            &[
                ("OrderNr", Param::Int(123)),
                ("Locked", Param::Bit(true)),
                ("Reason", Param::Str("a & <b>".into())),
                ("Amount", Param::Money(-1250)),
                ("EventDate", Param::DateTime(at)),
            ],
        );
        assert!(
            xml.contains(r#"<ns1:pixiSetOrderShippingLock xmlns:ns1="https://soap.pixi.eu/soap/shop/"><OrderNr xsi:type="xsd:int">123</OrderNr>"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<Locked xsi:type="xsd:boolean">1</Locked>"#));
        assert!(xml.contains("a &amp; &lt;b&gt;"));
        assert!(xml.contains(">-12.50<"));
        assert!(xml.contains(r#"<EventDate xsi:type="xsd:dateTime">2026-01-05T11:00:00</EventDate>"#));
    }

    #[test]
    fn reads_result_sets_messages_and_faults() {
        let ok = r#"<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><method:xResponse xmlns:method="n"><method:xResult><sqlresultstream:SqlMessage xmlns:sqlresultstream="s"><sqlmessage:Class xmlns:sqlmessage="m">0</sqlmessage:Class><sqlmessage:Number xmlns:sqlmessage="m">8153</sqlmessage:Number><sqlmessage:Message xmlns:sqlmessage="m">Warning</sqlmessage:Message></sqlresultstream:SqlMessage><SqlRowSet><diffgram><SqlRowSet1><row><A>1</A><Number>7</Number><B>x &amp; y</B><C/></row><row><A>2</A></row></SqlRowSet1></diffgram></SqlRowSet><SqlRowSet><diffgram><SqlRowSet2></SqlRowSet2></diffgram></SqlRowSet></method:xResult></method:xResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
        let Some(Answer::Result { sets, messages }) = parse(ok) else { panic!("result") };
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0].len(), 2);
        assert_eq!(sets[0][0]["B"], "x & y");
        assert_eq!(sets[0][0]["Number"], "7", "a column named like a message field stays a column");
        assert_eq!(sets[0][0]["C"], "");
        assert!(sets[1].is_empty());
        assert_eq!(messages.len(), 1);
        assert_eq!((messages[0].class, messages[0].number, messages[0].is_error()), (0, 8153, false));
        let fault = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>out of memory</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
        assert_eq!(
            parse(fault),
            Some(Answer::Fault { code: "SOAP-ENV:Server".into(), message: "out of memory".into() })
        );
        assert_eq!(parse("injected fault"), None);
    }
}
