//! CT-05's generated answers: for every field a case says the adapter reads, the same answer
//! with that field missing, of another type, or (for `!nonempty` fields) empty. The adapter
//! must turn each into a contract error, never into a default. A `!text` field is free text
//! (a name, a document number): any text is a valid value of it, so it gets no wrong-type
//! mutation — in XML and forms "another type" can only be another text.

use std::collections::BTreeMap;

use serde_json::Value;

use super::case::{Body, LoadedCase};
use super::xml::{XmlEdit, edit};

/// An answer as the replay server sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: Body,
}

impl Answer {
    /// The case's own answer.
    pub fn of(case: &LoadedCase) -> Result<Answer, String> {
        Ok(Answer {
            status: case.case.response.status,
            headers: case.case.response.headers.clone(),
            body: case.response_body().map_err(|e| e.to_string())?,
        })
    }
}

/// One generated answer.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// The field as the case names it (without flags).
    pub field: String,
    /// `missing`, `wrong_type` or `empty`.
    pub kind: &'static str,
    /// The changed answer.
    pub answer: Answer,
}

/// Every mutation of the case's answer; an entry of `reads` that names nothing in the answer
/// is an error (a typo would otherwise test nothing).
pub fn mutations(case: &LoadedCase) -> Result<Vec<Mutation>, String> {
    let base = Answer::of(case)?;
    let mut out = Vec::new();
    for entry in &case.case.reads {
        let (field, flags) = entry.split_once('!').unwrap_or((entry.as_str(), ""));
        let nonempty = flags.split('!').any(|f| f == "nonempty");
        let text = flags.split('!').any(|f| f == "text");
        let mut kinds: Vec<&'static str> = if text { vec!["missing"] } else { vec!["missing", "wrong_type"] };
        if nonempty {
            kinds.push("empty");
        }
        for kind in kinds {
            if let Some(answer) =
                apply(&base, field, kind).map_err(|e| format!("{}: reads {entry:?}: {e}", case.id()))?
            {
                out.push(Mutation { field: field.to_owned(), kind, answer });
            }
        }
    }
    Ok(out)
}

/// The answer with `kind` applied to `field`; `None` where the kind does not apply (XML has
/// no types).
fn apply(base: &Answer, field: &str, kind: &str) -> Result<Option<Answer>, String> {
    let mut a = base.clone();
    if let Some(h) = field.strip_prefix("header:") {
        if !a.headers.contains_key(h) {
            return Err("no such answer header in the case".into());
        }
        match kind {
            "missing" => {
                a.headers.remove(h);
            }
            "empty" => {
                a.headers.insert(h.to_owned(), String::new());
            }
            _ => {
                a.headers.insert(h.to_owned(), "not-a-value".into());
            }
        }
        return Ok(Some(a));
    }
    match &base.body {
        Body::Json(v) => {
            let mut v = v.clone();
            let segs = segments(field)?;
            let n = json_apply(&mut v, &segs, kind);
            if n == 0 {
                return Err("no such field in the answer".into());
            }
            a.body = Body::Json(v);
            Ok(Some(a))
        }
        Body::Xml(x) => {
            let e = if let Some(attr) = field.strip_prefix('@') {
                match kind {
                    "missing" => XmlEdit::RemoveAttribute(attr),
                    "empty" => XmlEdit::SetAttribute(attr, ""),
                    _ => XmlEdit::SetAttribute(attr, "not-a-value"),
                }
            } else {
                let col = field.strip_prefix("col:").unwrap_or(field);
                match kind {
                    "missing" => XmlEdit::RemoveElement(col),
                    "empty" => XmlEdit::SetElementText(col, ""),
                    _ => XmlEdit::SetElementText(col, "not-a-value"),
                }
            };
            let (text, n) = edit(x, e).ok_or("the answer is not well-formed XML")?;
            if n == 0 {
                return Err("no such element or attribute in the answer".into());
            }
            a.body = Body::Xml(text);
            Ok(Some(a))
        }
        Body::Form(m) => {
            let key = field.strip_prefix("form:").unwrap_or(field);
            let mut m = m.clone();
            if !m.contains_key(key) {
                return Err("no such parameter in the answer".into());
            }
            match kind {
                "missing" => {
                    m.remove(key);
                }
                "empty" => {
                    m.insert(key.to_owned(), String::new());
                }
                _ => {
                    m.insert(key.to_owned(), "not-a-value".into());
                }
            }
            a.body = Body::Form(m);
            Ok(Some(a))
        }
        other => Err(format!("reads need a JSON, XML or form answer, not {other:?}")),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
    All,
}

fn segments(path: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key.to_owned()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            let idx = idx.trim_end_matches(']');
            out.push(if idx == "*" {
                Seg::All
            } else {
                Seg::Index(idx.parse().map_err(|_| format!("bad index in {path}"))?)
            });
        }
    }
    if out.is_empty() {
        return Err("empty path".into());
    }
    Ok(out)
}

fn json_apply(v: &mut Value, segs: &[Seg], kind: &str) -> usize {
    let Some((first, rest)) = segs.split_first() else { return 0 };
    if rest.is_empty() {
        return match (first, v) {
            (Seg::Key(k), Value::Object(m)) if m.contains_key(k) => {
                if kind == "missing" {
                    m.remove(k);
                } else if let Some(x) = m.get_mut(k) {
                    change(x, kind);
                }
                1
            }
            (Seg::Index(i), Value::Array(a)) if *i < a.len() => {
                if kind == "missing" {
                    a.remove(*i);
                } else {
                    change(&mut a[*i], kind);
                }
                1
            }
            (Seg::All, Value::Array(a)) => {
                let n = a.len();
                if kind == "missing" {
                    a.clear();
                } else {
                    a.iter_mut().for_each(|x| change(x, kind));
                }
                n
            }
            _ => 0,
        };
    }
    match (first, v) {
        (Seg::Key(k), Value::Object(m)) => m.get_mut(k).map_or(0, |x| json_apply(x, rest, kind)),
        (Seg::Index(i), Value::Array(a)) => a.get_mut(*i).map_or(0, |x| json_apply(x, rest, kind)),
        (Seg::All, Value::Array(a)) => a.iter_mut().map(|x| json_apply(x, rest, kind)).sum(),
        _ => 0,
    }
}

/// Another type (an object stands in for a scalar, a string for a structure), or empty.
fn change(v: &mut Value, kind: &str) {
    *v = match (kind, &*v) {
        ("empty", Value::String(_)) => Value::String(String::new()),
        ("empty", Value::Array(_)) => Value::Array(vec![]),
        ("empty", Value::Object(_)) => Value::Object(serde_json::Map::new()),
        ("empty", _) => Value::Null,
        (_, Value::Object(_) | Value::Array(_)) => Value::String("not-a-value".into()),
        _ => Value::Object(serde_json::Map::new()),
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_paths_with_wildcards_reach_every_element() {
        let mut v = json!({"t": [{"s": "a"}, {"s": "b"}], "x": {"y": 1}});
        assert_eq!(json_apply(&mut v, &segments("t[*].s").unwrap(), "missing"), 2);
        assert_eq!(v, json!({"t": [{}, {}], "x": {"y": 1}}));
        assert_eq!(json_apply(&mut v, &segments("x.y").unwrap(), "wrong_type"), 1);
        assert_eq!(v["x"]["y"], json!({}));
        assert_eq!(json_apply(&mut v, &segments("x.z").unwrap(), "missing"), 0);
    }
}
