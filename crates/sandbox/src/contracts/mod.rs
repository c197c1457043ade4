//! Partner contracts (CT-01 … CT-08): the outside world's published behaviour as data, and
//! the two test harnesses that hold both our adapters and our simulators to it.
//!
//! - **Cases** ([`case`]): `crates/sandbox/contracts/<partner>/<operation>.json`, one documented
//!   exchange each — request, answer, assumed state, the public source (or `unverified` and
//!   why), the answer fields the adapter needs, and what the adapter must make of it.
//! - **Adapter side** ([`check_adapter`], CT-02/04/05): each case's answer is served by a
//!   [`Replay`] server that knows only the cases; the real adapter is pointed at it by a
//!   per-partner driver (in the service's tests) that calls the operation with the case's
//!   `input` and reports the outcome as JSON. The request must match the case, the outcome
//!   must contain the case's `expect`, and every answer with a needed field removed, emptied or
//!   of another type ([`mutate`]) must come out as a contract error that was counted.
//! - **Simulator side** ([`check_simulator`], CT-03): the simulator is put into the case's
//!   state by a per-partner preparer (in the sandbox's tests), gets the case's request, and
//!   must answer with the case's status and every field of the case's answer, same types, same
//!   values unless marked variable ([`shape`]).
//! - **Report** ([`report`], CT-08): `make contracts` prints cases, verified and unverified per
//!   partner and writes the folder's README.
//!
//! Adding a case never needs code unless it adds an operation (a driver arm on the adapter
//! side, a preparer arm on the simulator side).

pub mod case;
pub mod matcher;
pub mod mutate;
pub mod replay;
pub mod report;
pub mod shape;
pub mod xml;

use std::collections::BTreeMap;
use std::future::Future;

use serde_json::Value;

pub use case::{Body, Case, CaseError, LoadedCase, load_all, load_partner};
pub use matcher::Incoming;
pub use mutate::{Answer, Mutation, mutations};
pub use replay::Replay;
pub use shape::Observed;

/// Every partner payops talks to, in report order.
pub const PARTNERS: [&str; 8] = ["unzer", "pixi", "nets", "freshdesk", "postfinance", "pgw", "smallinvoice", "smtp"];

/// Does `actual` contain `expected`? Objects: every key of `expected` with a contained value;
/// everything else: equal.
pub fn contains(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| contains(v, x))),
        (e, a) => e == a,
    }
}

/// The last name of a field path (`transactions[*].status` → `status`, `col:OrderNr` →
/// `OrderNr`, `@STATUS` → `STATUS`).
pub fn field_name(path: &str) -> String {
    let p = path.split('!').next().unwrap_or(path);
    let p = p.rsplit(['.', ':', '@', '/']).next().unwrap_or(p);
    p.split('[').next().unwrap_or(p).to_owned()
}

/// What one adapter run reported: the outcome JSON. A contract error must be reported as
/// `{"error": "contract", "field": <name>, "counted": <bool>}` where `counted` says the
/// violation metric went up.
pub type Outcome = Value;

/// Runs every case of `cases` through the adapter (CT-02, CT-04) and every CT-05 mutation of
/// it; returns one line per failure (empty = all held). `drive(url, case)` calls the adapter
/// operation named by the case with the case's `input` against the replay server at `url`.
pub async fn check_adapter<F, Fut>(known: Vec<LoadedCase>, cases: &[LoadedCase], drive: F) -> Vec<String>
where
    F: Fn(String, LoadedCase) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let replay = match Replay::start(known).await {
        Ok(r) => r,
        Err(e) => return vec![format!("replay server: {e}")],
    };
    let mut failures = Vec::new();
    for c in cases {
        if let Err(e) = replay.play(c) {
            failures.push(e);
            continue;
        }
        let outcome = drive(replay.url(), c.clone()).await;
        for u in replay.unmatched() {
            failures.push(format!("{}: {u}", c.id()));
        }
        for u in replay.unserved() {
            failures.push(format!("{}: the adapter never sent the case's request", u));
        }
        if !contains(&c.case.expect, &outcome) {
            failures.push(format!("{}: expected {} but the adapter reported {outcome}", c.id(), c.case.expect));
        }
        let muts = match mutations(c) {
            Ok(m) => m,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        for m in muts {
            if let Err(e) = replay.play_answer(c, m.answer.clone()) {
                failures.push(e);
                continue;
            }
            let outcome = drive(replay.url(), c.clone()).await;
            let err = outcome.get("error").and_then(Value::as_str);
            let field = outcome.get("field").and_then(Value::as_str).map(field_name);
            let counted = outcome.get("counted").and_then(Value::as_bool) == Some(true);
            if err != Some("contract") || field.as_deref() != Some(field_name(&m.field).as_str()) || !counted {
                failures.push(format!(
                    "{}: answer with {} {}: expected a counted contract error naming {}, got {outcome}",
                    c.id(),
                    m.field,
                    m.kind,
                    field_name(&m.field)
                ));
            }
        }
    }
    failures
}

/// How to send a case's request to the simulator, once it is in the case's state.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Base URL of the simulated system.
    pub base_url: String,
    /// Values for the `{name}` placeholders of the path, headers and string body values.
    pub vars: BTreeMap<String, String>,
    /// Headers to send besides (and instead of) the case's (e.g. the simulator's credentials).
    pub headers: BTreeMap<String, String>,
    /// The body to send instead of the case's (a SOAP envelope built from the call).
    pub body: Option<String>,
}

/// `{name}` placeholders replaced from `vars`; unknown names stay.
pub fn substitute(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

fn substitute_json(v: &Value, vars: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(substitute(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute_json(x, vars)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), substitute_json(x, vars))).collect()),
        other => other.clone(),
    }
}

/// Sends every case (except those the simulator skips, with their reason) to the simulator
/// after `prepare` put it into the case's state (CT-03); returns one line per failure.
pub async fn check_simulator<F, Fut>(cases: &[LoadedCase], prepare: F) -> Vec<String>
where
    F: Fn(LoadedCase) -> Fut,
    Fut: Future<Output = Result<Prepared, String>>,
{
    // The partner's own answer is compared, not where a redirect leads.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default();
    let mut failures = Vec::new();
    for c in cases {
        if c.case.simulator.skip.is_some() {
            continue;
        }
        let p = match prepare(c.clone()).await {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: cannot prepare the simulator: {e}", c.id()));
                continue;
            }
        };
        match send(&http, c, &p).await {
            Ok(observed) => {
                let expected = match Answer::of(c) {
                    Ok(a) => a,
                    Err(e) => {
                        failures.push(e);
                        continue;
                    }
                };
                for d in shape::differences(&expected, &c.case.response.variable, &observed) {
                    failures.push(format!("{}: {d}", c.id()));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", c.id())),
        }
    }
    failures
}

async fn send(http: &reqwest::Client, c: &LoadedCase, p: &Prepared) -> Result<Observed, String> {
    let spec = &c.case.request;
    let path = substitute(&spec.path, &p.vars);
    if matcher::has_placeholder(&path) {
        return Err(format!("path {path} has a placeholder the preparer did not fill"));
    }
    let method = reqwest::Method::from_bytes(spec.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = http.request(method, format!("{}{path}", p.base_url.trim_end_matches('/')));
    let mut headers = BTreeMap::new();
    for (k, v) in &spec.headers {
        headers.insert(k.clone(), substitute(v, &p.vars));
    }
    headers.extend(p.headers.clone());
    let body = match (&p.body, &spec.body) {
        (Some(b), _) => Some(b.clone()),
        (None, Body::Json(v)) => {
            headers.entry("content-type".into()).or_insert_with(|| "application/json".into());
            Some(substitute_json(v, &p.vars).to_string())
        }
        (None, Body::Form(m)) => {
            headers.entry("content-type".into()).or_insert_with(|| "application/x-www-form-urlencoded".into());
            let m: BTreeMap<String, String> = m.iter().map(|(k, v)| (k.clone(), substitute(v, &p.vars))).collect();
            Some(replay::form(&m))
        }
        (None, Body::Xml(x) | Body::Text(x)) => Some(substitute(x, &p.vars)),
        (None, Body::None) => None,
        (None, other) => return Err(format!("the preparer must build the request body for {other:?}")),
    };
    for (k, v) in &headers {
        if matcher::has_placeholder(v) {
            return Err(format!("header {k} has a placeholder the preparer did not fill"));
        }
        req = req.header(k.as_str(), v.as_str());
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = resp.text().await.map_err(|e| format!("answer unreadable: {e}"))?;
    Ok(Observed { status, headers, body })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn containment_and_field_names() {
        assert!(contains(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!contains(&json!({"a": 1, "c": 3}), &json!({"a": 1, "b": 2})));
        assert!(contains(&json!({"x": {"y": true}}), &json!({"x": {"y": true, "z": 0}})));
        assert_eq!(field_name("transactions[*].status!nonempty"), "status");
        assert_eq!(field_name("col:OrderNr"), "OrderNr");
        assert_eq!(field_name("@STATUS"), "STATUS");
        assert_eq!(field_name("header:retry-after"), "retry-after");
    }
}
