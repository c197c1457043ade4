//! A strict parser for DirectLink's `<ncresponse …/>` reply (quick-xml). PostFinance answers with
//! one element whose attributes carry everything; attribute **names** vary in case (`orderID`,
//! `ORDERID`, `amount`) and new attributes may appear, so names are matched case-insensitively
//! and unknown ones are kept. Everything else is refused with a clear error:
//!
//! - a `<!DOCTYPE …>` (the door to entity expansion — "billion laughs" — and external
//!   entities), entity references other than the five predefined ones and character
//!   references, processing instructions, comments, CDATA and text content;
//! - any element other than a single `ncresponse` root, nested or repeated elements, unclosed
//!   or mismatched tags;
//! - bodies over [`MAX_BODY`] bytes, attribute values over [`MAX_ATTRIBUTE`] bytes, more than
//!   [`MAX_ATTRIBUTES`] attributes, and the same attribute twice (in any case).
//!
//! Bytes that are not UTF-8 are read as ISO-8859-1 (the platform's other encoding; every byte is
//! a character there), and a declared encoding other than those two is refused.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Largest reply accepted.
pub const MAX_BODY: usize = 16 * 1024;
/// Largest attribute value accepted (raw bytes).
pub const MAX_ATTRIBUTE: usize = 1024;
/// Most attributes accepted on the element.
pub const MAX_ATTRIBUTES: usize = 64;

/// Why a reply was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Larger than [`MAX_BODY`].
    #[error("reply of {0} bytes exceeds the {MAX_BODY}-byte limit")]
    TooLarge(usize),
    /// A document type declaration.
    #[error("DOCTYPE declarations are refused (entity expansion, external entities)")]
    Doctype,
    /// An entity reference that is not predefined.
    #[error("entity reference refused: {0}")]
    Entity(String),
    /// A processing instruction, comment or CDATA section.
    #[error("{0} is not allowed in an ncresponse")]
    Unexpected(&'static str),
    /// Non-whitespace text content.
    #[error("text content is not allowed in an ncresponse")]
    Text,
    /// An element other than the single `ncresponse` root.
    #[error("unexpected element <{0}>: expected a single <ncresponse> element")]
    Element(String),
    /// No `ncresponse` element.
    #[error("no <ncresponse> element")]
    NoRoot,
    /// An attribute value over the limit.
    #[error("attribute {name} is {len} bytes long, over the {MAX_ATTRIBUTE}-byte limit")]
    AttributeTooLong {
        /// Attribute name.
        name: String,
        /// Its length.
        len: usize,
    },
    /// Too many attributes.
    #[error("more than {MAX_ATTRIBUTES} attributes")]
    TooManyAttributes,
    /// The same attribute twice.
    #[error("attribute {0} appears twice")]
    Duplicate(String),
    /// A declared encoding we do not read.
    #[error("unsupported encoding {0:?}")]
    Encoding(String),
    /// Not well-formed.
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// The attributes of one `ncresponse`, names upper-cased, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NcResponse {
    /// (UPPER-CASED name, unescaped value).
    pub attributes: Vec<(String, String)>,
}

impl NcResponse {
    /// The value of `name` in any case.
    pub fn get(&self, name: &str) -> Option<&str> {
        let upper = name.to_ascii_uppercase();
        self.attributes.iter().find(|(k, _)| *k == upper).map(|(_, v)| v.as_str())
    }
}

fn malformed(e: impl std::fmt::Display) -> XmlError {
    XmlError::Malformed(e.to_string())
}

/// Parses a DirectLink reply.
pub fn parse(body: &[u8]) -> Result<NcResponse, XmlError> {
    if body.len() > MAX_BODY {
        return Err(XmlError::TooLarge(body.len()));
    }
    let text: Cow<'_, str> = match std::str::from_utf8(body) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(body.iter().map(|b| char::from(*b)).collect()),
    };
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut root: Option<NcResponse> = None;
    let mut open = false;
    loop {
        match reader.read_event().map_err(malformed)? {
            Event::Decl(d) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("XML declaration after the root element".into()));
                }
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(malformed)?;
                    let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                    if !matches!(enc.as_str(), "utf-8" | "utf8" | "iso-8859-1" | "latin1" | "windows-1252") {
                        return Err(XmlError::Encoding(enc));
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::GeneralRef(r) => {
                return Err(XmlError::Entity(format!("&{};", String::from_utf8_lossy(&r))));
            }
            Event::PI(_) => return Err(XmlError::Unexpected("a processing instruction")),
            Event::Comment(_) => return Err(XmlError::Unexpected("a comment")),
            Event::CData(_) => return Err(XmlError::Unexpected("a CDATA section")),
            Event::Text(t) => {
                if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(XmlError::Text);
                }
            }
            Event::Start(e) => {
                root = Some(element(&e, root.is_some())?);
                open = true;
            }
            Event::Empty(e) => {
                root = Some(element(&e, root.is_some())?);
            }
            Event::End(_) => open = false,
            Event::Eof => break,
        }
    }
    if open {
        return Err(XmlError::Malformed("<ncresponse> is not closed".into()));
    }
    root.ok_or(XmlError::NoRoot)
}

fn element(e: &BytesStart<'_>, seen: bool) -> Result<NcResponse, XmlError> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    if seen || !name.eq_ignore_ascii_case("ncresponse") {
        return Err(XmlError::Element(name));
    }
    let mut out = NcResponse::default();
    let mut attrs = e.attributes();
    attrs.with_checks(true);
    for attr in attrs {
        let attr = attr.map_err(malformed)?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).to_ascii_uppercase();
        if attr.value.len() > MAX_ATTRIBUTE {
            return Err(XmlError::AttributeTooLong { name: key, len: attr.value.len() });
        }
        if out.attributes.len() >= MAX_ATTRIBUTES {
            return Err(XmlError::TooManyAttributes);
        }
        if out.attributes.iter().any(|(k, _)| *k == key) {
            return Err(XmlError::Duplicate(key));
        }
        let value = attr.unescape_value().map_err(|e| XmlError::Entity(e.to_string()))?.into_owned();
        out.attributes.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"<?xml version="1.0"?><ncresponse
orderID="SB-1" PAYID="3012345001" PAYIDSUB="1" NCSTATUS="0" NCERROR="0" NCERRORPLUS="!"
ACCEPTANCE="345001" STATUS="91" amount="149" currency="CHF" PM="SwissBilling" BRAND="SwissBilling">
</ncresponse>"#;

    #[test]
    fn reads_attributes_in_any_case_and_keeps_unknown_ones() {
        let r = parse(OK.as_bytes()).unwrap();
        assert_eq!(r.get("ORDERID"), Some("SB-1"));
        assert_eq!(r.get("orderid"), Some("SB-1"));
        assert_eq!(r.get("Amount"), Some("149"));
        let r = parse(br#"<ncresponse ORDERID="a&amp;b" NEWATTR="x" STATUS="5"/>"#).unwrap();
        assert_eq!((r.get("orderID"), r.get("NEWATTR")), (Some("a&b"), Some("x")));
        // Character references are fine; ISO-8859-1 bytes are read as such.
        let r = parse(b"<ncresponse NCERRORPLUS=\"caf&#233; \xe9\"/>").unwrap();
        assert_eq!(r.get("NCERRORPLUS"), Some("café é"));
        let r = parse(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ncresponse STATUS=\"9\"/>\n").unwrap();
        assert_eq!(r.get("STATUS"), Some("9"));
    }

    #[test]
    fn ic_13_malformed_and_hostile_xml_is_refused_with_a_clear_error() {
        let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<ncresponse NCERRORPLUS="&lol2;"/>"#;
        let xxe =
            r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ncresponse A="&xxe;"/>"#;
        let huge = format!(r#"<ncresponse NCERRORPLUS="{}"/>"#, "A".repeat(5000));
        let many: String =
            format!("<ncresponse {}/>", (0..65).map(|i| format!("A{i}=\"x\"")).collect::<Vec<_>>().join(" "));
        let big = format!("<ncresponse A=\"x\"/>{}", " ".repeat(MAX_BODY));
        let cases: Vec<(&str, String, XmlError)> = vec![
            ("billion laughs", laughs.into(), XmlError::Doctype),
            ("external entity", xxe.into(), XmlError::Doctype),
            ("undeclared entity", r#"<ncresponse A="&xxe;"/>"#.into(), XmlError::Entity(String::new())),
            ("entity in text", "<ncresponse>&lol;</ncresponse>".into(), XmlError::Entity(String::new())),
            ("huge attribute", huge, XmlError::AttributeTooLong { name: "NCERRORPLUS".into(), len: 5000 }),
            ("too many attributes", many, XmlError::TooManyAttributes),
            ("oversized body", big.clone(), XmlError::TooLarge(big.len())),
            (
                "duplicate in other case",
                r#"<ncresponse STATUS="9" status="5"/>"#.into(),
                XmlError::Duplicate("STATUS".into()),
            ),
            ("exact duplicate", r#"<ncresponse STATUS="9" STATUS="5"/>"#.into(), XmlError::Malformed(String::new())),
            ("unclosed", r#"<ncresponse STATUS="9">"#.into(), XmlError::Malformed(String::new())),
            ("mismatched end", r#"<ncresponse STATUS="9"></ncresp>"#.into(), XmlError::Malformed(String::new())),
            ("unquoted value", r#"<ncresponse STATUS=9/>"#.into(), XmlError::Malformed(String::new())),
            ("nested element", r#"<ncresponse><x/></ncresponse>"#.into(), XmlError::Element("x".into())),
            ("two roots", r#"<ncresponse/><ncresponse/>"#.into(), XmlError::Element("ncresponse".into())),
            ("other root", r#"<html><body>error</body></html>"#.into(), XmlError::Element(String::new())),
            ("text", r#"<ncresponse>hello</ncresponse>"#.into(), XmlError::Text),
            ("processing instruction", r#"<?php evil()?><ncresponse/>"#.into(), XmlError::Unexpected("")),
            ("comment", r#"<ncresponse/><!-- x -->"#.into(), XmlError::Unexpected("")),
            ("cdata", r#"<ncresponse><![CDATA[x]]></ncresponse>"#.into(), XmlError::Unexpected("")),
            (
                "utf-16 declared",
                r#"<?xml version="1.0" encoding="UTF-16"?><ncresponse/>"#.into(),
                XmlError::Encoding("utf-16".into()),
            ),
            ("empty", String::new(), XmlError::NoRoot),
            ("not xml", "Service Unavailable".into(), XmlError::Text),
        ];
        for (name, body, want) in cases {
            let got = parse(body.as_bytes()).unwrap_err();
            assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&want), "{name}: {got}");
            if matches!(got, XmlError::AttributeTooLong { .. } | XmlError::Duplicate(_) | XmlError::TooLarge(_)) {
                assert_eq!(got, want, "{name}");
            }
            assert!(!got.to_string().is_empty());
        }
    }
}
