//! XML helpers of the contract mechanism, independent of any partner's logic: the call and
//! parameters of a SOAP 1.1 request, an XML answer flattened into (path, value) pairs for the
//! simulator comparison (CT-03), and the removals that CT-05's fail-closed tests apply.

use std::collections::BTreeMap;

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesStart, Event};

fn local(name: &[u8]) -> String {
    let s = String::from_utf8_lossy(name);
    s.rsplit(':').next().unwrap_or_default().to_owned()
}

fn text_of(e: &quick_xml::events::BytesText<'_>) -> String {
    e.xml_content().map(|c| c.into_owned()).unwrap_or_default()
}

/// The call (the first element inside `Body`) and its child elements as name → text.
pub fn soap_call(text: &str) -> Option<(String, BTreeMap<String, String>)> {
    let mut r = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut call: Option<(String, usize)> = None;
    let mut params = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if call.is_none() && stack.last().is_some_and(|p| p == "Body") {
                    call = Some((name.clone(), stack.len() + 1));
                } else if let Some((_, depth)) = &call
                    && stack.len() == *depth
                {
                    current = Some((name.clone(), String::new()));
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                if call.is_none() && stack.last().is_some_and(|p| p == "Body") {
                    return Some((name, params));
                }
                if let Some((_, depth)) = &call
                    && stack.len() == *depth
                {
                    params.insert(name, String::new());
                }
            }
            Event::Text(t) => {
                if let Some((_, v)) = current.as_mut() {
                    v.push_str(&text_of(&t));
                }
            }
            Event::CData(t) => {
                if let Some((_, v)) = current.as_mut() {
                    v.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::End(_) => {
                if let Some((_, depth)) = &call
                    && stack.len() == *depth + 1
                    && let Some((k, v)) = current.take()
                {
                    params.insert(k, v);
                }
                stack.pop();
                if let Some((_, depth)) = &call
                    && stack.len() < *depth
                {
                    return call.map(|(c, _)| (c, params));
                }
            }
            Event::Eof => return call.map(|(c, _)| (c, params)),
            _ => {}
        }
    }
}

/// Every element (with its own text) and attribute as `(path, value)`; elements are indexed
/// among same-named siblings (`Envelope[0]/Body[0]/Table[1]/OrderNr[0]`), attributes appended
/// as `/@NAME`. Namespace prefixes are dropped.
pub fn flatten(text: &str) -> Option<Vec<(String, String)>> {
    let mut r = Reader::from_str(text);
    let mut out: Vec<(String, String)> = Vec::new();
    // (path, index in `out`, counts of child names)
    let mut stack: Vec<(String, usize, BTreeMap<String, usize>)> = Vec::new();
    let open = |stack: &mut Vec<(String, usize, BTreeMap<String, usize>)>,
                out: &mut Vec<(String, String)>,
                e: &BytesStart<'_>| {
        let name = local(e.name().as_ref());
        let (parent, counts) = match stack.last_mut() {
            Some((p, _, c)) => (p.clone(), c),
            None => (String::new(), &mut BTreeMap::new()),
        };
        let n = counts.entry(name.clone()).or_insert(0);
        let path = if parent.is_empty() { format!("{name}[{n}]") } else { format!("{parent}/{name}[{n}]") };
        *n += 1;
        out.push((path.clone(), String::new()));
        let idx = out.len() - 1;
        for a in e.attributes().flatten() {
            let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
            out.push((format!("{path}/@{}", local(a.key.as_ref())), v));
        }
        (path, idx)
    };
    loop {
        match r.read_event().ok()? {
            Event::Start(e) => {
                let (path, idx) = open(&mut stack, &mut out, &e);
                stack.push((path, idx, BTreeMap::new()));
            }
            Event::Empty(e) => {
                open(&mut stack, &mut out, &e);
            }
            Event::Text(t) => {
                if let Some((_, idx, _)) = stack.last() {
                    out[*idx].1.push_str(text_of(&t).trim());
                }
            }
            Event::CData(t) => {
                if let Some((_, idx, _)) = stack.last() {
                    out[*idx].1.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => return Some(out),
            _ => {}
        }
    }
}

/// What to change in an XML answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlEdit<'a> {
    /// Drop every element with this local name (and its content).
    RemoveElement(&'a str),
    /// Replace the content of every element with this local name by a text.
    SetElementText(&'a str, &'a str),
    /// Drop this attribute from every element.
    RemoveAttribute(&'a str),
    /// Set this attribute to a value on every element that has it.
    SetAttribute(&'a str, &'a str),
}

/// Applies `edit` and returns the new document and how many places changed.
pub fn edit(text: &str, edit: XmlEdit<'_>) -> Option<(String, usize)> {
    let mut r = Reader::from_str(text);
    let mut w = Writer::new(Vec::new());
    let mut changed = 0;
    let mut skip_depth: Option<usize> = None;
    let mut depth = 0usize;
    loop {
        let ev = r.read_event().ok()?;
        if let Some(d) = skip_depth {
            match &ev {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth < d {
                        skip_depth = None;
                        if let XmlEdit::SetElementText(_, _) = edit {
                            w.write_event(ev.clone()).ok()?;
                        }
                    }
                }
                Event::Eof => return None,
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                depth += 1;
                match edit {
                    XmlEdit::RemoveElement(n) if name == n => {
                        changed += 1;
                        skip_depth = Some(depth);
                    }
                    XmlEdit::SetElementText(n, text) if name == n => {
                        changed += 1;
                        w.write_event(Event::Start(e.into_owned())).ok()?;
                        if !text.is_empty() {
                            w.write_event(Event::Text(quick_xml::events::BytesText::new(text))).ok()?;
                        }
                        skip_depth = Some(depth);
                    }
                    _ => {
                        let (e, c) = attrs(e, edit);
                        changed += c;
                        w.write_event(Event::Start(e)).ok()?;
                    }
                }
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                match edit {
                    XmlEdit::RemoveElement(n) if name == n => changed += 1,
                    XmlEdit::SetElementText(n, text) if name == n => {
                        changed += 1;
                        let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                        w.write_event(Event::Start(e.into_owned())).ok()?;
                        if !text.is_empty() {
                            w.write_event(Event::Text(quick_xml::events::BytesText::new(text))).ok()?;
                        }
                        w.write_event(Event::End(quick_xml::events::BytesEnd::new(qname))).ok()?;
                    }
                    _ => {
                        let (e, c) = attrs(e, edit);
                        changed += c;
                        w.write_event(Event::Empty(e)).ok()?;
                    }
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                w.write_event(Event::End(e)).ok()?;
            }
            Event::Eof => break,
            other => {
                w.write_event(other).ok()?;
            }
        }
    }
    String::from_utf8(w.into_inner()).ok().map(|s| (s, changed))
}

fn attrs(e: BytesStart<'_>, edit: XmlEdit<'_>) -> (BytesStart<'static>, usize) {
    let (target, value) = match edit {
        XmlEdit::RemoveAttribute(a) => (a, None),
        XmlEdit::SetAttribute(a, v) => (a, Some(v)),
        _ => return (e.into_owned(), 0),
    };
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut out = BytesStart::new(name);
    let mut changed = 0;
    for a in e.attributes().flatten() {
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        if local(key.as_bytes()) == target {
            changed += 1;
            if let Some(v) = value {
                out.push_attribute((key.as_str(), v));
            }
            continue;
        }
        let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
        out.push_attribute((key.as_str(), v.as_str()));
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOAP: &str = r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><pixiGetOrderHeader xmlns="http://www.pixi.eu/pixiSoapAPI/"><OrderNr>4711</OrderNr><Empty/></pixiGetOrderHeader></soap:Body></soap:Envelope>"#;

    #[test]
    fn soap_calls_are_read_with_their_parameters() {
        let (call, params) = soap_call(SOAP).unwrap();
        assert_eq!(call, "pixiGetOrderHeader");
        assert_eq!(params["OrderNr"], "4711");
        assert_eq!(params["Empty"], "");
    }

    #[test]
    fn flattening_indexes_siblings_and_keeps_attributes() {
        let flat = flatten(r#"<a><r x="1"><c>v</c></r><r><c>w</c></r></a>"#).unwrap();
        let m: BTreeMap<_, _> = flat.into_iter().collect();
        assert_eq!(m["a[0]/r[0]/@x"], "1");
        assert_eq!(m["a[0]/r[1]/c[0]"], "w");
    }

    #[test]
    fn edits_remove_and_empty_elements_and_attributes() {
        let doc = r#"<a><r STATUS="9"><c>v</c><d/></r><r STATUS="5"><c>w</c></r></a>"#;
        let (t, n) = edit(doc, XmlEdit::RemoveElement("c")).unwrap();
        assert_eq!((t.contains("<c>"), n), (false, 2));
        let (t, n) = edit(doc, XmlEdit::SetElementText("c", "")).unwrap();
        assert_eq!((t.matches("<c></c>").count(), n), (2, 2));
        let (t, n) = edit(doc, XmlEdit::SetElementText("d", "x")).unwrap();
        assert_eq!((t.contains("<d>x</d>"), n), (true, 1));
        let (t, n) = edit(doc, XmlEdit::RemoveAttribute("STATUS")).unwrap();
        assert_eq!((t.contains("STATUS"), n), (false, 2));
        let (t, _) = edit(doc, XmlEdit::SetAttribute("STATUS", "")).unwrap();
        assert!(t.contains(r#"STATUS="""#), "{t}");
    }
}
