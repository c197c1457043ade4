//! Does a request match a case (CT-02)? Method, path template, query, the headers that
//! matter and the body are compared; every difference is named, so a request that matches no
//! case fails its test with the nearest case and what differs.
//!
//! A body field must equal the case's example unless the case gives it a matcher. Matchers
//! are `&`-joined atoms, with a leading `?` for "may be absent":
//! `any`, `absent`, `string`, `number`, `int`, `bool`, `object`, `array`, `nonempty`, `digits`,
//! `uuid`, `hex:N`, `maxlen:N`, `minlen:N`, `decimals:N` (a number or string written with
//! exactly N fraction digits, no exponent), `prefix:TEXT`, `oneof:A,B,C`, `eq:TEXT`.
//! Extra fields the case does not list are differences too: every field we send needs a case.

use std::collections::BTreeMap;

use serde_json::Value;

use super::case::{Body, LoadedCase, RequestSpec};

/// A request as it reached the replay server (or as a test builds it).
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// HTTP method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// Body text.
    pub body: String,
}

/// One atom of a matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Any,
    Absent,
    String,
    Number,
    Int,
    Bool,
    Object,
    Array,
    NonEmpty,
    Digits,
    Uuid,
    Hex(usize),
    MaxLen(usize),
    MinLen(usize),
    Decimals(usize),
    Prefix(String),
    OneOf(Vec<String>),
    Eq(String),
}

/// A parsed matcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    optional: bool,
    atoms: Vec<Atom>,
}

impl Matcher {
    /// Parses `?string&maxlen:30` and the like.
    pub fn parse(s: &str) -> Result<Matcher, String> {
        let (optional, rest) = match s.strip_prefix('?') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut atoms = Vec::new();
        for part in rest.split('&') {
            let (name, arg) = part.split_once(':').map_or((part, None), |(n, a)| (n, Some(a)));
            let num = || -> Result<usize, String> {
                arg.and_then(|a| a.parse().ok()).ok_or_else(|| format!("{name} needs a number: {part:?}"))
            };
            let text = || -> Result<String, String> {
                arg.map(str::to_owned).ok_or_else(|| format!("{name} needs an argument: {part:?}"))
            };
            atoms.push(match name {
                "any" => Atom::Any,
                "absent" => Atom::Absent,
                "string" => Atom::String,
                "number" => Atom::Number,
                "int" => Atom::Int,
                "bool" => Atom::Bool,
                "object" => Atom::Object,
                "array" => Atom::Array,
                "nonempty" => Atom::NonEmpty,
                "digits" => Atom::Digits,
                "uuid" => Atom::Uuid,
                "hex" => Atom::Hex(num()?),
                "maxlen" => Atom::MaxLen(num()?),
                "minlen" => Atom::MinLen(num()?),
                "decimals" => Atom::Decimals(num()?),
                "prefix" => Atom::Prefix(text()?),
                "oneof" => Atom::OneOf(text()?.split(',').map(str::to_owned).collect()),
                "eq" => Atom::Eq(text()?),
                other => return Err(format!("unknown matcher {other:?}")),
            });
        }
        Ok(Matcher { optional, atoms })
    }

    /// Checks a value: `None` when absent; `raw` is its text as sent (JSON numbers keep their
    /// digits there). Returns the difference, if any.
    fn check(&self, value: Option<&Value>, raw: Option<&str>) -> Option<String> {
        let Some(v) = value else {
            let absent_ok = self.optional || self.atoms.contains(&Atom::Absent);
            return (!absent_ok).then(|| "missing".to_owned());
        };
        let text = match v {
            Value::String(s) => s.clone(),
            other => raw.map_or_else(|| other.to_string(), str::to_owned),
        };
        for a in &self.atoms {
            let ok = match a {
                Atom::Any => true,
                Atom::Absent => false,
                Atom::String => v.is_string(),
                Atom::Number => v.is_number() || (v.is_string() && text.parse::<f64>().is_ok()),
                Atom::Int => v.is_i64() || v.is_u64() || (v.is_string() && text.parse::<i64>().is_ok()),
                Atom::Bool => v.is_boolean(),
                Atom::Object => v.is_object(),
                Atom::Array => v.is_array(),
                Atom::NonEmpty => !(text.is_empty() || v.is_null()),
                Atom::Digits => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
                Atom::Uuid => is_uuid(&text),
                Atom::Hex(n) => text.len() == *n && text.bytes().all(|b| b.is_ascii_hexdigit()),
                Atom::MaxLen(n) => text.chars().count() <= *n,
                Atom::MinLen(n) => text.chars().count() >= *n,
                Atom::Decimals(n) => decimals(&text) == Some(*n),
                Atom::Prefix(p) => text.starts_with(p.as_str()),
                Atom::OneOf(list) => list.contains(&text),
                Atom::Eq(x) => *x == text,
            };
            if !ok {
                return Some(format!("{text:?} is not {}", describe(a)));
            }
        }
        None
    }
}

fn describe(a: &Atom) -> String {
    match a {
        Atom::Hex(n) => format!("{n} hex digits"),
        Atom::MaxLen(n) => format!("at most {n} characters"),
        Atom::MinLen(n) => format!("at least {n} characters"),
        Atom::Decimals(n) => format!("a decimal with exactly {n} fraction digits"),
        Atom::Prefix(p) => format!("prefixed {p:?}"),
        Atom::OneOf(l) => format!("one of {l:?}"),
        Atom::Eq(x) => format!("{x:?}"),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Fraction digits of a plain decimal (`12.50` → 2, `12` → 0); `None` for anything else.
fn decimals(text: &str) -> Option<usize> {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!int.is_empty() && digits(int) && digits(frac) && !(t.contains('.') && frac.is_empty())).then_some(frac.len())
}

/// The differences between `req` and the case's request; empty when it matches.
pub fn differences(case: &LoadedCase, req: &Incoming) -> Vec<String> {
    let spec = &case.case.request;
    let mut out = Vec::new();
    if !spec.method.eq_ignore_ascii_case(&req.method) {
        out.push(format!("method {} instead of {}", req.method, spec.method));
    }
    out.extend(path_differences(&spec.path, &req.path));
    for (name, template) in &spec.headers {
        match req.headers.get(name) {
            None => out.push(format!("header {name} missing")),
            Some(v) if !glob(template, v) => out.push(format!("header {name}: {v:?} does not match {template:?}")),
            _ => {}
        }
    }
    out.extend(body_differences(spec, &req.body));
    out
}

/// Path segments and query parameters against the template.
pub fn path_differences(template: &str, actual: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (tp, tq) = template.split_once('?').unwrap_or((template, ""));
    let (ap, aq) = actual.split_once('?').unwrap_or((actual, ""));
    let ts: Vec<&str> = tp.trim_end_matches('/').split('/').collect();
    let as_: Vec<&str> = ap.trim_end_matches('/').split('/').collect();
    let same = ts.len() == as_.len()
        && ts.iter().zip(&as_).all(|(t, a)| {
            if t.starts_with('{') && t.ends_with('}') { !a.is_empty() } else { glob(t, &percent_decode(a)) }
        });
    if !same {
        out.push(format!("path {ap} does not match {tp}"));
    }
    let tq = parse_form(tq);
    let aq = parse_form(aq);
    for (k, tv) in &tq {
        match aq.get(k) {
            None => out.push(format!("query parameter {k} missing")),
            Some(v) if !glob(tv, v) => out.push(format!("query parameter {k}: {v:?} does not match {tv:?}")),
            _ => {}
        }
    }
    for k in aq.keys().filter(|k| !tq.contains_key(*k)) {
        out.push(format!("unexpected query parameter {k}"));
    }
    out
}

/// `{name}` placeholders (a name of letters, digits and `_`) match any non-empty text;
/// everything else, a JSON text such as `{"contact_id":1}` included, literally.
pub fn glob(template: &str, value: &str) -> bool {
    let parts = literal_parts(template);
    if parts.len() == 1 {
        return template == value;
    }
    let (first, last) = (parts[0].as_str(), parts[parts.len() - 1].as_str());
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) || value.len() < first.len() + last.len() {
        return false;
    }
    let mut pos = first.len();
    let end = value.len() - last.len();
    for mid in &parts[1..parts.len() - 1] {
        // Each placeholder takes at least one character.
        match value.get(pos + 1..end).and_then(|s| s.find(mid.as_str())) {
            Some(i) => pos = pos + 1 + i + mid.len(),
            None => return false,
        }
    }
    end > pos
}

/// The literal text between the placeholders of `template` (one part when it has none).
fn literal_parts(template: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(len) if len > 0 && is_placeholder_name(&after[..len]) => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&rest[..start]);
                }
                parts.push(String::new());
                rest = &after[len + 1..];
            }
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&rest[..=start]);
                }
                rest = after;
            }
        }
    }
    if let Some(last) = parts.last_mut() {
        last.push_str(rest);
    }
    parts
}

fn is_placeholder_name(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `text` still holds a `{name}` placeholder.
pub fn has_placeholder(text: &str) -> bool {
    literal_parts(text).len() > 1
}

/// Percent-decoding with `+` as space (forms and queries).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(())
                {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=2` as a map (decoded).
pub fn parse_form(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn body_differences(spec: &RequestSpec, actual: &str) -> Vec<String> {
    match &spec.body {
        Body::None => {
            if actual.trim().is_empty() {
                vec![]
            } else {
                vec!["a body was sent where the case has none".into()]
            }
        }
        Body::Json(example) => match serde_json::from_str::<Value>(actual) {
            Ok(v) => {
                let raw = raw_numbers(actual);
                let mut out = Vec::new();
                json_diff("", example, Some(&v), &spec.matchers, &raw, &mut out);
                out
            }
            Err(_) => vec!["the body is not JSON".into()],
        },
        Body::Form(example) => map_diff(example, &parse_form(actual), &spec.matchers),
        Body::Soap { call, params } => match super::xml::soap_call(actual) {
            Some((c, p)) => {
                let mut out = Vec::new();
                if &c != call {
                    out.push(format!("SOAP call {c} instead of {call}"));
                }
                out.extend(map_diff(params, &p, &spec.matchers));
                out
            }
            None => vec!["the body is not a SOAP call".into()],
        },
        Body::Xml(x) | Body::Text(x) => {
            if norm(x) == norm(actual) {
                vec![]
            } else {
                vec!["the body differs from the case".into()]
            }
        }
        Body::XmlFile(_) => vec!["request bodies cannot come from a file".into()],
    }
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn map_diff(
    example: &BTreeMap<String, String>,
    actual: &BTreeMap<String, String>,
    matchers: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (k, ev) in example {
        let av = actual.get(k);
        match matchers.get(k).map(|m| Matcher::parse(m)) {
            Some(Ok(m)) => {
                if let Some(d) = m.check(av.map(|s| Value::String(s.clone())).as_ref(), av.map(String::as_str)) {
                    out.push(format!("{k}: {d}"));
                }
            }
            Some(Err(e)) => out.push(format!("{k}: {e}")),
            None => match av {
                None => out.push(format!("{k}: missing")),
                Some(v) if v != ev => out.push(format!("{k}: {v:?} instead of {ev:?}")),
                _ => {}
            },
        }
    }
    for (k, m) in matchers {
        if !example.contains_key(k)
            && let Ok(m) = Matcher::parse(m)
            && let Some(d) =
                m.check(actual.get(k).map(|s| Value::String(s.clone())).as_ref(), actual.get(k).map(String::as_str))
        {
            out.push(format!("{k}: {d}"));
        }
    }
    for k in actual.keys().filter(|k| !example.contains_key(*k) && !matchers.contains_key(*k)) {
        out.push(format!("unexpected field {k}"));
    }
    out
}

/// `a.b[2].c` → `a.b[*].c`.
pub fn wildcard(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for ch in path.chars() {
        match ch {
            '[' => {
                in_index = true;
                out.push_str("[*]");
            }
            ']' => in_index = false,
            c if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn json_diff(
    path: &str,
    example: &Value,
    actual: Option<&Value>,
    matchers: &BTreeMap<String, String>,
    raw: &BTreeMap<String, String>,
    out: &mut Vec<String>,
) {
    let m = matchers.get(path).or_else(|| matchers.get(&wildcard(path)));
    if let Some(m) = m {
        match Matcher::parse(m) {
            Ok(m) => {
                if let Some(d) = m.check(actual, raw.get(path).map(String::as_str)) {
                    out.push(format!("{}: {d}", if path.is_empty() { "body" } else { path }));
                }
            }
            Err(e) => out.push(format!("{path}: {e}")),
        }
        return;
    }
    let Some(actual) = actual else {
        out.push(format!("{path}: missing"));
        return;
    };
    match (example, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                json_diff(&join(path, k), ev, a.get(k), matchers, raw, out);
            }
            // Matchers for keys the example does not show (e.g. `?string` for an optional one).
            for (mp, _) in matchers.iter() {
                let Some(rest) =
                    (if path.is_empty() { Some(mp.as_str()) } else { mp.strip_prefix(&format!("{path}.")) })
                else {
                    continue;
                };
                if !rest.contains('.') && !rest.contains('[') && !e.contains_key(rest) {
                    json_diff(mp, &Value::Null, a.get(rest), matchers, raw, out);
                }
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                let p = join(path, k);
                if !matchers.contains_key(&p) && !matchers.contains_key(&wildcard(&p)) {
                    out.push(format!("unexpected field {p}"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{path}: {} elements instead of {}", a.len(), e.len()));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                json_diff(&format!("{path}[{i}]"), ev, Some(av), matchers, raw, out);
            }
        }
        (Value::Number(_), Value::Number(_)) => {
            // Compare as written: 12.5 and 12.50 are the same number but not the same text.
            let et = example.to_string();
            let at = raw.get(path).cloned().unwrap_or_else(|| actual.to_string());
            if example != actual {
                out.push(format!("{path}: {at} instead of {et}"));
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!("{path}: {a} instead of {e}")),
    }
}

/// The text of every number in a JSON document, by path (so `12.50` is told from `12.5`).
pub fn raw_numbers(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(raw) = serde_json::from_str::<Box<serde_json::value::RawValue>>(text) {
        walk_raw("", &raw, &mut out);
    }
    out
}

fn walk_raw(path: &str, raw: &serde_json::value::RawValue, out: &mut BTreeMap<String, String>) {
    let t = raw.get().trim();
    match t.as_bytes().first() {
        Some(b'{') => {
            if let Ok(map) = serde_json::from_str::<BTreeMap<String, Box<serde_json::value::RawValue>>>(t) {
                for (k, v) in map {
                    walk_raw(&join(path, &k), &v, out);
                }
            }
        }
        Some(b'[') => {
            if let Ok(list) = serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(t) {
                for (i, v) in list.iter().enumerate() {
                    walk_raw(&format!("{path}[{i}]"), v, out);
                }
            }
        }
        Some(b'-' | b'0'..=b'9') => {
            out.insert(path.to_owned(), t.to_owned());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn matchers_parse_and_check() {
        let m = Matcher::parse("?string&maxlen:3").unwrap();
        assert_eq!(m.check(None, None), None);
        assert_eq!(m.check(Some(&json!("abc")), None), None);
        assert!(m.check(Some(&json!("abcd")), None).is_some());
        assert!(m.check(Some(&json!(1)), None).is_some());
        let d = Matcher::parse("decimals:2").unwrap();
        assert_eq!(d.check(Some(&json!(12.5)), Some("12.50")), None);
        assert!(d.check(Some(&json!(12.5)), Some("12.5")).is_some());
        assert!(d.check(Some(&json!("1e3")), None).is_some());
        assert!(Matcher::parse("bogus").is_err());
        assert!(
            Matcher::parse("uuid").unwrap().check(Some(&json!("0d5e1b0c-1111-4222-8333-444455556666")), None).is_none()
        );
    }

    #[test]
    fn glob_placeholders_take_at_least_one_character() {
        assert!(glob("Basic {key}", "Basic abc"));
        assert!(!glob("Basic {key}", "Basic "));
        assert!(glob("/v1/{a}/x/{b}", "/v1/1/x/2"));
        assert!(!glob("/v1/{a}/x", "/v1/1/y"));
        assert!(glob("exact", "exact"));
        assert!(glob(r#"{"contact_id":1}"#, r#"{"contact_id":1}"#), "JSON is literal");
        assert!(!glob(r#"{"contact_id":1}"#, r#"{"contact_id":2}"#));
        assert!(glob(r#"f={"a":{x}}"#, r#"f={"a":7}"#));
        assert!(has_placeholder("code:{id}:{issued}") && !has_placeholder(r#"{"a":1}"#));
    }

    #[test]
    fn raw_numbers_keep_their_digits() {
        let raw = raw_numbers(r#"{"amount": 12.50, "list": [1, {"x": -0.10}]}"#);
        assert_eq!(raw["amount"], "12.50");
        assert_eq!(raw["list[1].x"], "-0.10");
        assert_eq!(wildcard("list[1].x"), "list[*].x");
    }

    #[test]
    fn paths_and_queries_compare_as_templates() {
        assert!(path_differences("/v1/payments/{id}/charges", "/v1/payments/s-pay-1/charges").is_empty());
        assert!(!path_differences("/v1/payments/{id}", "/v1/payments/s-pay-1/charges").is_empty());
        assert!(
            path_differences("/api/v2/search/tickets?query={q}", "/api/v2/search/tickets?query=%22x%22").is_empty()
        );
        let d = path_differences("/a?x=1", "/a?x=1&y=2");
        assert_eq!(d, vec!["unexpected query parameter y".to_owned()]);
    }
}
