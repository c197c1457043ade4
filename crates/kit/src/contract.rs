//! Fail-closed reading of partner answers (CT-05). A field the logic needs that is missing,
//! empty where it must not be, or of another type is a [`ContractError`]: counted in
//! `payops_contract_violations_total{system,operation,field}` and logged (names only, never
//! values), never replaced by a default. Adapters read JSON answers through [`Json`] and
//! row- or attribute-shaped answers (SOAP rows, XML attributes, forms) through [`Fields`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::metrics::CONTRACT_VIOLATIONS;

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not in the answer.
    Missing,
    /// Present but empty where a value is needed.
    Empty,
    /// Of another type than the contract says (the expected type).
    WrongType(&'static str),
    /// Present but not a value the contract allows (what was expected).
    Invalid(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("is missing"),
            Problem::Empty => f.write_str("is empty"),
            Problem::WrongType(t) => write!(f, "is not {t}"),
            Problem::Invalid(what) => write!(f, "is not {what}"),
        }
    }
}

/// A partner answer that breaks its contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{system} {operation}: answer field {field} {problem}")]
pub struct ContractError {
    /// Partner (`unzer`, `pixi`, …).
    pub system: &'static str,
    /// Operation (`charge`, `pixiGetOrderHeader`, …).
    pub operation: &'static str,
    /// The field path.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

/// (system, operation, field label).
type Key = (String, String, String);

/// Process-wide counts per (system, operation, field), beside the Prometheus counter, so tests
/// can see that a violation was counted.
fn counts() -> &'static Mutex<BTreeMap<Key, u64>> {
    static C: OnceLock<Mutex<BTreeMap<Key, u64>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(BTreeMap::new()))
}

/// The field name used as the metric label: the path with indices dropped
/// (`transactions[3].status` → `transactions.status`), so labels stay bounded.
pub fn label(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut skip = false;
    for c in field.chars() {
        match c {
            '[' => skip = true,
            ']' => skip = false,
            c if !skip => out.push(c),
            _ => {}
        }
    }
    out
}

impl ContractError {
    /// Records a violation (metric + warning) and returns it.
    pub fn new(system: &'static str, operation: &'static str, field: impl Into<String>, problem: Problem) -> Self {
        let field = field.into();
        let l = label(&field);
        metrics::counter!(CONTRACT_VIOLATIONS, "system" => system, "operation" => operation, "field" => l.clone())
            .increment(1);
        *counts()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((system.to_owned(), operation.to_owned(), l))
            .or_insert(0) += 1;
        tracing::warn!(system, operation, field = %field, problem = %problem, "partner answer breaks its contract");
        ContractError { system, operation, field, problem }
    }
}

/// How many violations of (system, operation, field label) this process counted.
pub fn violations(system: &str, operation: &str, field: &str) -> u64 {
    counts()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(system.to_owned(), operation.to_owned(), label(field)))
        .copied()
        .unwrap_or(0)
}

/// A JSON answer (or a part of it) read fail-closed.
#[derive(Debug, Clone)]
pub struct Json<'a> {
    system: &'static str,
    operation: &'static str,
    prefix: String,
    v: &'a Value,
}

impl<'a> Json<'a> {
    /// The whole answer of `operation` at `system`.
    pub fn new(system: &'static str, operation: &'static str, v: &'a Value) -> Self {
        Json { system, operation, prefix: String::new(), v }
    }

    /// The value this reader stands on.
    pub fn value(&self) -> &'a Value {
        self.v
    }

    fn path(&self, p: &str) -> String {
        if self.prefix.is_empty() { p.to_owned() } else { format!("{}.{p}", self.prefix) }
    }

    /// A violation of field `p` (below this reader).
    pub fn error(&self, p: &str, problem: Problem) -> ContractError {
        ContractError::new(self.system, self.operation, self.path(p), problem)
    }

    /// The value at `p` (`a.b.c`), if present and not null. Never an error.
    pub fn get(&self, p: &str) -> Option<&'a Value> {
        let mut v = self.v;
        for k in p.split('.') {
            v = v.get(k)?;
        }
        (!v.is_null()).then_some(v)
    }

    /// A string, possibly empty.
    pub fn str(&self, p: &str) -> Result<&'a str, ContractError> {
        match self.get(p) {
            None => Err(self.error(p, Problem::Missing)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(self.error(p, Problem::WrongType("a string"))),
        }
    }

    /// A non-empty string.
    pub fn text(&self, p: &str) -> Result<&'a str, ContractError> {
        let s = self.str(p)?;
        if s.trim().is_empty() { Err(self.error(p, Problem::Empty)) } else { Ok(s) }
    }

    /// A string that may be absent (or null); present, it must be a string.
    pub fn opt_str(&self, p: &str) -> Result<Option<&'a str>, ContractError> {
        match self.get(p) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(p, Problem::WrongType("a string"))),
        }
    }

    /// A boolean.
    pub fn bool(&self, p: &str) -> Result<bool, ContractError> {
        match self.get(p) {
            None => Err(self.error(p, Problem::Missing)),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.error(p, Problem::WrongType("a boolean"))),
        }
    }

    /// An integer (JSON number without fraction).
    pub fn i64(&self, p: &str) -> Result<i64, ContractError> {
        match self.get(p) {
            None => Err(self.error(p, Problem::Missing)),
            Some(v) => v.as_i64().ok_or_else(|| self.error(p, Problem::WrongType("an integer"))),
        }
    }

    /// An amount (decimal string such as `"100.0000"` or a JSON number) as minor units with
    /// `digits` fraction digits; extra fraction digits must be zeros.
    pub fn minor(&self, p: &str, digits: u32) -> Result<i64, ContractError> {
        let text = match self.get(p) {
            None => return Err(self.error(p, Problem::Missing)),
            Some(Value::String(s)) if s.trim().is_empty() => return Err(self.error(p, Problem::Empty)),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(self.error(p, Problem::WrongType("an amount"))),
        };
        decimal_minor(&text, digits)
            .ok_or_else(|| self.error(p, Problem::Invalid(format!("an amount with {digits} decimals"))))
    }

    /// An object below this one.
    pub fn obj(&self, p: &str) -> Result<Json<'a>, ContractError> {
        match self.get(p) {
            None => Err(self.error(p, Problem::Missing)),
            Some(v @ Value::Object(_)) => {
                Ok(Json { system: self.system, operation: self.operation, prefix: self.path(p), v })
            }
            Some(_) => Err(self.error(p, Problem::WrongType("an object"))),
        }
    }

    /// The elements of this value when it is itself an array (an answer that is a list),
    /// each as a reader (`[3].id` in errors).
    pub fn items(&self) -> Result<Vec<Json<'a>>, ContractError> {
        match self.v {
            Value::Array(a) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| Json {
                    system: self.system,
                    operation: self.operation,
                    prefix: format!("{}[{i}]", self.prefix),
                    v,
                })
                .collect()),
            _ => Err(ContractError::new(
                self.system,
                self.operation,
                if self.prefix.is_empty() { "body".to_owned() } else { self.prefix.clone() },
                Problem::WrongType("an array"),
            )),
        }
    }

    /// The elements of an array, each as a reader (`list[3]` in errors).
    pub fn array(&self, p: &str) -> Result<Vec<Json<'a>>, ContractError> {
        match self.get(p) {
            None => Err(self.error(p, Problem::Missing)),
            Some(Value::Array(a)) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| Json {
                    system: self.system,
                    operation: self.operation,
                    prefix: format!("{}[{i}]", self.path(p)),
                    v,
                })
                .collect()),
            Some(_) => Err(self.error(p, Problem::WrongType("an array"))),
        }
    }
}

/// Name → text fields read fail-closed: a pixi result row, the attributes of an XML element,
/// a form. `get` returns the raw text of a field, `None` when absent.
pub struct Fields<'a, F: Fn(&str) -> Option<&'a str>> {
    system: &'static str,
    operation: &'static str,
    get: F,
}

impl<'a, F: Fn(&str) -> Option<&'a str>> fmt::Debug for Fields<'a, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fields").field("system", &self.system).field("operation", &self.operation).finish()
    }
}

impl<'a, F: Fn(&str) -> Option<&'a str>> Fields<'a, F> {
    /// Fields of `operation` at `system`.
    pub fn new(system: &'static str, operation: &'static str, get: F) -> Self {
        Fields { system, operation, get }
    }

    /// A violation of `name`.
    pub fn error(&self, name: &str, problem: Problem) -> ContractError {
        ContractError::new(self.system, self.operation, name, problem)
    }

    /// Present (possibly empty).
    pub fn str(&self, name: &str) -> Result<&'a str, ContractError> {
        (self.get)(name).ok_or_else(|| self.error(name, Problem::Missing))
    }

    /// Present and not blank (trimmed).
    pub fn text(&self, name: &str) -> Result<&'a str, ContractError> {
        let v = self.str(name)?.trim();
        if v.is_empty() { Err(self.error(name, Problem::Empty)) } else { Ok(v) }
    }

    /// Absent is `None`; present, trimmed.
    pub fn opt(&self, name: &str) -> Option<&'a str> {
        (self.get)(name).map(str::trim)
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Result<i64, ContractError> {
        self.text(name)?.parse().map_err(|_| self.error(name, Problem::WrongType("an integer")))
    }

    /// An amount with `digits` fraction digits, as minor units (extra fraction digits must be
    /// zeros).
    pub fn minor(&self, name: &str, digits: u32) -> Result<i64, ContractError> {
        decimal_minor(self.text(name)?, digits)
            .ok_or_else(|| self.error(name, Problem::Invalid(format!("an amount with {digits} decimals"))))
    }

    /// One of `allowed` (compared exactly).
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<&'a str, ContractError> {
        let v = self.text(name)?;
        if allowed.contains(&v) {
            Ok(v)
        } else {
            Err(self.error(name, Problem::Invalid(format!("one of {allowed:?}"))))
        }
    }
}

/// `"12.5000"` → 1250 for `digits` 2. Refuses exponents, separators, blanks, non-zero digits
/// beyond `digits`, and overflow.
pub fn decimal_minor(text: &str, digits: u32) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if t.contains('.') && frac.is_empty() {
        return None;
    }
    let d = digits as usize;
    let (kept, extra) = if frac.len() > d { frac.split_at(d) } else { (frac, "") };
    if !extra.bytes().all(|b| b == b'0') {
        return None;
    }
    let mut minor: i64 = int.parse().ok()?;
    for _ in 0..d {
        minor = minor.checked_mul(10)?;
    }
    let mut f: i64 = 0;
    for (i, b) in kept.bytes().enumerate() {
        f += i64::from(b - b'0') * 10_i64.pow((d - 1 - i) as u32);
    }
    let v = minor.checked_add(f)?;
    Some(if neg { -v } else { v })
}

/// Minor units as a decimal with `digits` fraction digits (`1250`, 2 → `"12.50"`): the exact
/// text to send where a partner wants a decimal.
pub fn minor_decimal(minor: i64, digits: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let p = 10_u64.pow(digits);
    let a = minor.unsigned_abs();
    if digits == 0 { format!("{sign}{a}") } else { format!("{sign}{}.{:0w$}", a / p, a % p, w = digits as usize) }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn decimals_convert_exactly_or_not_at_all() {
        assert_eq!(decimal_minor("12.5000", 2), Some(1250));
        assert_eq!(decimal_minor("12.5", 2), Some(1250));
        assert_eq!(decimal_minor("-0.01", 2), Some(-1));
        assert_eq!(decimal_minor("12", 2), Some(1200));
        assert_eq!(decimal_minor("12.505", 2), None);
        assert_eq!(decimal_minor("1e3", 2), None);
        assert_eq!(decimal_minor("12.", 2), None);
        assert_eq!(decimal_minor("", 2), None);
        assert_eq!(minor_decimal(1250, 2), "12.50");
        assert_eq!(minor_decimal(-5, 2), "-0.05");
        assert_eq!(minor_decimal(7, 0), "7");
    }

    #[test]
    fn ct_05_missing_empty_or_mistyped_fields_are_counted_errors() {
        let v = json!({"id": "s-chg-1", "amount": "10.0000", "flag": "yes", "list": [{"s": 1}], "blank": " "});
        let r = Json::new("unit", "read", &v);
        assert_eq!(r.text("id").unwrap(), "s-chg-1");
        assert_eq!(r.minor("amount", 2).unwrap(), 1000);
        let before = violations("unit", "read", "list.t");
        let e = r.array("list").unwrap()[0].str("t").unwrap_err();
        assert_eq!((e.field.as_str(), &e.problem), ("list[0].t", &Problem::Missing));
        assert_eq!(violations("unit", "read", "list.t"), before + 1);
        assert_eq!(r.bool("flag").unwrap_err().problem, Problem::WrongType("a boolean"));
        assert_eq!(r.text("blank").unwrap_err().problem, Problem::Empty);
        assert_eq!(r.opt_str("none").unwrap(), None);
        let list = json!([{"id": 1}, {"id": "x"}]);
        let items = Json::new("unit", "list", &list).items().unwrap();
        assert_eq!(items[0].i64("id").unwrap(), 1);
        assert_eq!(items[1].i64("id").unwrap_err().field, "[1].id");
        assert_eq!(r.items().unwrap_err().field, "body");
        let row: BTreeMap<String, String> = [("OrderNr".to_owned(), "x".to_owned())].into();
        let f = Fields::new("unit", "row", |k| row.get(k).map(String::as_str));
        assert_eq!(f.int("OrderNr").unwrap_err().problem, Problem::WrongType("an integer"));
        assert_eq!(f.text("Missing").unwrap_err().problem, Problem::Missing);
    }
}
