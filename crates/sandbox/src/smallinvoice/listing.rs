//! List parameters shared by every smallinvoice collection (§4.2, §4.4): `q` (full text, every
//! word must occur), `filter` (JSON: field equality, `and`/`or` of filters), `limit` 1–200
//! (default 100), `offset` ≥ 0, `sort` (comma-separated keys, `-` = descending), `with` (extra
//! keys); bad values → 400. Lists answer `{"pagination":{page,pages,total,first,last,next?},"items"}`.

use std::cmp::Ordering;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::wire::{Failure, code, error_code};

/// What one collection allows.
pub struct Spec {
    /// Keys usable in `filter`.
    pub filter: &'static [&'static str],
    /// Keys usable in `sort`.
    pub sort: &'static [&'static str],
    /// Keys usable in `with`.
    pub with: &'static [&'static str],
    /// Fields searched by `q`.
    pub text: &'static [&'static str],
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Every part matches.
    And(Vec<Filter>),
    /// Some part matches.
    Or(Vec<Filter>),
    /// Field equals value (an array field contains it).
    Eq(String, Value),
}

/// Parsed list parameters.
#[derive(Debug, Clone)]
pub struct Params {
    q: Vec<String>,
    filter: Option<Filter>,
    limit: usize,
    offset: usize,
    sort: Vec<(String, bool)>,
    /// Requested `with` keys.
    pub with: Vec<String>,
    /// The parameters to repeat in pagination links (all but limit/offset).
    keep: Vec<(String, String)>,
}

fn bad_code(code: u16, message: String) -> Failure {
    error_code(StatusCode::BAD_REQUEST, code, message).into()
}

/// Parses the query pairs against `spec`.
pub fn parse(pairs: &[(String, String)], spec: &Spec) -> Result<Params, Failure> {
    let mut p = Params {
        q: Vec::new(),
        filter: None,
        limit: 100,
        offset: 0,
        sort: Vec::new(),
        with: Vec::new(),
        keep: Vec::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => {
                p.limit = match v.parse::<usize>() {
                    Ok(n) if (1..=200).contains(&n) => n,
                    _ => {
                        return Err(bad_code(
                            code::LIMIT,
                            format!("Invalid limit \"{v}\": must be an integer between 1 and 200"),
                        ));
                    }
                }
            }
            "offset" => {
                p.offset = v.parse::<usize>().map_err(|_| {
                    bad_code(code::OFFSET, format!("Invalid offset \"{v}\": must be an integer of at least 0"))
                })?
            }
            "q" => p.q = v.split_whitespace().map(str::to_lowercase).collect(),
            "filter" if !v.trim().is_empty() => {
                let json: Value = serde_json::from_str(v)
                    .map_err(|_| bad_code(code::FILTER_KEY, "Invalid filter: not valid JSON".to_owned()))?;
                p.filter = Some(parse_filter(&json, spec).map_err(|m| bad_code(code::FILTER_KEY, m))?);
            }
            "sort" => {
                for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (name, desc) = key.strip_prefix('-').map_or((key, false), |n| (n, true));
                    if !spec.sort.contains(&name) {
                        return Err(bad_code(code::SORT_KEY, format!("Invalid sort key \"{name}\"")));
                    }
                    p.sort.push((name.to_owned(), desc));
                }
            }
            "with" => {
                for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !spec.with.contains(&key) {
                        return Err(bad_code(code::WITH_KEY, format!("Invalid with key \"{key}\"")));
                    }
                    p.with.push(key.to_owned());
                }
            }
            _ => {}
        }
        if !matches!(k.as_str(), "limit" | "offset") {
            p.keep.push((k.clone(), v.clone()));
        }
    }
    Ok(p)
}

/// Parses a filter expression; unknown keys and non-scalar values are errors.
pub fn parse_filter(v: &Value, spec: &Spec) -> Result<Filter, String> {
    let Value::Object(map) = v else { return Err("Invalid filter: must be a JSON object".into()) };
    let mut parts = Vec::new();
    for (k, val) in map {
        match k.as_str() {
            "and" | "or" => {
                let Value::Array(items) = val else { return Err(format!("Invalid filter: \"{k}\" needs an array")) };
                let inner = items.iter().map(|i| parse_filter(i, spec)).collect::<Result<Vec<_>, _>>()?;
                parts.push(if k == "and" { Filter::And(inner) } else { Filter::Or(inner) });
            }
            key if spec.filter.contains(&key) => match val {
                Value::Array(_) | Value::Object(_) => return Err(format!("Invalid filter value for key \"{key}\"")),
                scalar => parts.push(Filter::Eq(key.to_owned(), scalar.clone())),
            },
            key => return Err(format!("Invalid filter key \"{key}\"")),
        }
    }
    Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(items), _) => items.iter().any(|i| same(i, b)),
        (Value::String(x), Value::Number(n)) | (Value::Number(n), Value::String(x)) => *x == n.to_string(),
        _ => a == b,
    }
}

/// Whether `item` passes `f`.
pub fn matches(f: &Filter, item: &Value) -> bool {
    match f {
        Filter::And(parts) => parts.iter().all(|p| matches(p, item)),
        Filter::Or(parts) => parts.iter().any(|p| matches(p, item)),
        Filter::Eq(k, v) => same(&item[k.as_str()], v),
    }
}

fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x.as_f64().unwrap_or_default().partial_cmp(&y.as_f64().unwrap_or_default()).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// Applies q, filter and sort to `items` (full item JSON) and cuts the page; `base` is the
/// absolute URL of the collection (for the links).
pub fn page(mut items: Vec<Value>, p: &Params, spec: &Spec, base: &str) -> Value {
    items.retain(|i| {
        let text: String =
            spec.text.iter().map(|k| i[*k].as_str().unwrap_or_default().to_lowercase()).collect::<Vec<_>>().join(" ");
        p.q.iter().all(|w| text.contains(w.as_str())) && p.filter.as_ref().is_none_or(|f| matches(f, i))
    });
    items.sort_by(|a, b| {
        for (k, desc) in &p.sort {
            let o = order(&a[k.as_str()], &b[k.as_str()]);
            if o != Ordering::Equal {
                return if *desc { o.reverse() } else { o };
            }
        }
        order(&a["id"], &b["id"])
    });
    let total = items.len();
    let pages = total.div_ceil(p.limit).max(1);
    let link = |offset: usize| {
        let Ok(mut url) = reqwest::Url::parse(base) else { return String::new() };
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &p.keep {
                q.append_pair(k, v);
            }
            q.append_pair("limit", &p.limit.to_string());
            q.append_pair("offset", &offset.to_string());
        }
        url.to_string()
    };
    let mut pagination = json!({
        "page": p.offset / p.limit + 1,
        "pages": pages,
        "total": total,
        "first": link(0),
        "last": link((pages - 1) * p.limit),
    });
    if p.offset + p.limit < total {
        pagination["next"] = Value::String(link(p.offset + p.limit));
    }
    let items: Vec<Value> = items.into_iter().skip(p.offset).take(p.limit).collect();
    json!({ "pagination": pagination, "items": items })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec { filter: &["contact_id", "status"], sort: &["id"], with: &["positions"], text: &["name"] };

    #[test]
    fn filters_parse_or_name_the_bad_key() {
        let f = parse_filter(&json!({"and":[{"contact_id":5},{"status":"S"}]}), &SPEC).unwrap();
        assert!(matches(&f, &json!({"contact_id": 5, "status": "S"})));
        assert!(!matches(&f, &json!({"contact_id": 5, "status": "P"})));
        let f = parse_filter(&json!({"contact_id":"5"}), &SPEC).unwrap();
        assert!(matches(&f, &json!({"contact_id": 5})), "numbers compare with their text");
        let f = parse_filter(&json!({"or":[{"status":"P"},{"status":"PP"}]}), &SPEC).unwrap();
        assert!(matches(&f, &json!({"status": "PP"})));
        for (bad, msg) in [
            (json!({"colour":"red"}), "Invalid filter key \"colour\""),
            (json!({"and":{"status":"S"}}), "Invalid filter: \"and\" needs an array"),
            (json!({"status":["S"]}), "Invalid filter value for key \"status\""),
            (json!([1]), "Invalid filter: must be a JSON object"),
        ] {
            assert_eq!(parse_filter(&bad, &SPEC).unwrap_err(), msg);
        }
    }
}
