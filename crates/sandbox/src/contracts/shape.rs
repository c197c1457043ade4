//! CT-03's comparison: does the simulator's answer have the case's status, headers and every
//! field of the case's body with the same type, and the same value unless the case marks the
//! field variable? Extra fields in the simulator's answer are fine: a case shows an excerpt.
//! A list marked `<path>[any]` (`[any]` for a top-level list) is an excerpt too: each element
//! of the case must match some element of the answer, in any order.

use std::collections::BTreeMap;

use serde_json::Value;

use super::case::Body;
use super::matcher::{parse_form, wildcard};
use super::mutate::Answer;
use super::xml::flatten;

/// An answer as the simulator sent it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// HTTP status.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// Body text.
    pub body: String,
}

/// Is `path` variable? An entry matches the path itself, its wildcard form (`[*]` for every
/// index), or — without any separator — the last name (`date`, `@PAYID`, `OrderDate`).
fn variable(path: &str, variable: &[String]) -> bool {
    let w = wildcard(path);
    let last = path.rsplit(['.', '/']).next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    variable.iter().any(|v| {
        v == path
            || *v == w
            || (!v.contains(['.', '/', '[']) && v == last)
            || (v.contains('*') && (glob_star(v, &w) || glob_star(v, path)))
    })
}

/// `*` matches any run of characters.
fn glob_star(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            text.starts_with(head)
                && (head.len()..=text.len()).any(|i| text.get(i..).is_some_and(|rest| glob_star(tail, rest)))
        }
    }
}

/// The differences between the case's answer and what the simulator sent.
pub fn differences(expected: &Answer, vars: &[String], got: &Observed) -> Vec<String> {
    let mut out = Vec::new();
    if expected.status != got.status {
        out.push(format!("status {} instead of {}", got.status, expected.status));
    }
    for (h, v) in &expected.headers {
        match got.headers.get(h) {
            None => out.push(format!("header {h} missing")),
            Some(g) if g != v && !variable(&format!("header:{h}"), vars) => {
                out.push(format!("header {h}: {g:?} instead of {v:?}"));
            }
            _ => {}
        }
    }
    match &expected.body {
        Body::None | Body::XmlFile(_) => {}
        Body::Json(e) => match serde_json::from_str::<Value>(&got.body) {
            Ok(g) => json_shape("", e, &g, vars, &mut out),
            Err(_) => out.push(format!("the answer is not JSON: {}", clip(&got.body))),
        },
        Body::Xml(e) => match (flatten(e), flatten(&got.body)) {
            (Some(e), Some(g)) => {
                let g: BTreeMap<String, String> = g.into_iter().collect();
                for (p, v) in e {
                    match g.get(&p) {
                        None => out.push(format!("{p}: missing")),
                        Some(gv) if *gv != v && !variable(&p, vars) => {
                            out.push(format!("{p}: {gv:?} instead of {v:?}"))
                        }
                        _ => {}
                    }
                }
            }
            (None, _) => out.push("the case's XML is not well-formed".into()),
            (_, None) => out.push(format!("the answer is not XML: {}", clip(&got.body))),
        },
        Body::Form(e) => {
            let g = parse_form(&got.body);
            for (k, v) in e {
                match g.get(k) {
                    None => out.push(format!("{k}: missing")),
                    Some(gv) if gv != v && !variable(k, vars) => out.push(format!("{k}: {gv:?} instead of {v:?}")),
                    _ => {}
                }
            }
        }
        Body::Text(t) => {
            if t.trim() != got.body.trim() && !variable("body", vars) {
                out.push(format!("body {:?} instead of {t:?}", clip(&got.body)));
            }
        }
        Body::Soap { .. } => out.push("a SOAP call is not an answer".into()),
    }
    out
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn json_shape(path: &str, e: &Value, g: &Value, vars: &[String], out: &mut Vec<String>) {
    let here = if path.is_empty() { "body" } else { path };
    if kind(e) != kind(g) {
        out.push(format!("{here}: {} instead of {} ({g})", kind(g), kind(e)));
        return;
    }
    match (e, g) {
        (Value::Object(em), Value::Object(gm)) => {
            for (k, ev) in em {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match gm.get(k) {
                    None => out.push(format!("{p}: missing")),
                    Some(gv) => json_shape(&p, ev, gv, vars, out),
                }
            }
        }
        (Value::Array(ea), Value::Array(ga)) => {
            if vars.iter().any(|v| *v == format!("{path}[any]") || *v == format!("{}[any]", wildcard(path))) {
                // A list the case shows an excerpt of, in any order: each element of the case must
                // match some element of the answer.
                for (i, ev) in ea.iter().enumerate() {
                    let matched = ga.iter().enumerate().any(|(j, gv)| {
                        let mut diff = Vec::new();
                        json_shape(&format!("{path}[{j}]"), ev, gv, vars, &mut diff);
                        diff.is_empty()
                    });
                    if !matched {
                        out.push(format!("{path}[{i}]: no element of the answer matches {ev}"));
                    }
                }
                return;
            }
            if variable(path, vars) {
                // A variable list: only the element shape of the first one is compared.
                if let (Some(e0), Some(g0)) = (ea.first(), ga.first()) {
                    json_shape(&format!("{path}[0]"), e0, g0, vars, out);
                }
                return;
            }
            if ea.len() != ga.len() {
                out.push(format!("{here}: {} elements instead of {}", ga.len(), ea.len()));
                return;
            }
            for (i, (ev, gv)) in ea.iter().zip(ga).enumerate() {
                json_shape(&format!("{path}[{i}]"), ev, gv, vars, out);
            }
        }
        _ => {
            if e != g && !variable(path, vars) {
                out.push(format!("{here}: {g} instead of {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn answer(body: Value) -> Answer {
        Answer { status: 200, headers: BTreeMap::new(), body: Body::Json(body) }
    }

    #[test]
    fn types_must_agree_and_values_unless_variable() {
        let e = answer(json!({"id": "s-chg-1", "amount": "10.0000", "date": "2024-01-01 10:00:00", "x": {"y": true}}));
        let got = Observed {
            status: 200,
            headers: BTreeMap::new(),
            body: json!({"id": "s-chg-7", "amount": 10.0, "date": "2025-01-01 10:00:00", "x": {"y": true}, "more": 1})
                .to_string(),
        };
        let d = differences(&e, &["id".into(), "date".into()], &got);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("amount: number instead of string"), "{d:?}");
    }

    #[test]
    fn an_any_list_needs_each_case_element_somewhere_in_the_answer() {
        let e = answer(json!([{"name": "group", "id": 7}, {"name": "ticket_type", "id": 3}]));
        let got = |body: Value| Observed { status: 200, headers: BTreeMap::new(), body: body.to_string() };
        let vars = vec!["[any]".to_owned(), "[*].id".to_owned()];
        let ok = got(
            json!([{"name": "requester", "id": 1}, {"name": "ticket_type", "id": 30}, {"name": "group", "id": 70}]),
        );
        assert!(differences(&e, &vars, &ok).is_empty());
        let d = differences(&e, &vars, &got(json!([{"name": "ticket_type", "id": 3}])));
        assert!(d.len() == 1 && d[0].starts_with("[0]: no element"), "{d:?}");
    }

    #[test]
    fn variable_patterns() {
        let vars = vec!["transactions[*].url".to_owned(), "@PAYID".to_owned(), "*/OrderDate[0]".to_owned()];
        assert!(variable("transactions[3].url", &vars));
        assert!(variable("ncresponse[0]/@PAYID", &vars));
        assert!(variable("a[0]/b[2]/OrderDate[0]", &vars));
        assert!(!variable("transactions[3].amount", &vars));
    }
}
