//! Reading the fields of one JSON object the way Freshdesk validates them: each accessor checks
//! the JSON type and range and records a [`FieldError`] instead of stopping, so a body's
//! problems are all reported together.

use serde_json::{Map, Value};

use super::validate::FieldError;

/// Collects errors while reading fields of one JSON object.
pub(crate) struct Reader<'a> {
    pub(crate) obj: &'a Map<String, Value>,
    pub(crate) errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    pub(crate) fn err(&mut self, field: &str, message: impl Into<String>, code: &'static str) {
        self.errors.push(FieldError { field: field.into(), message: message.into(), code });
    }

    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    pub(crate) fn unknown_fields(&mut self, allowed: &[&str]) {
        let unknown: Vec<String> = self.obj.keys().filter(|k| !allowed.contains(&k.as_str())).cloned().collect();
        for k in unknown {
            self.err(&k, "Unexpected/invalid field in request", "invalid_field");
        }
    }

    pub(crate) fn string(&mut self, field: &str, max: Option<usize>) -> Option<String> {
        let v = self.get(field)?;
        let Some(s) = v.as_str() else {
            self.err(field, mismatch(v, "String"), "datatype_mismatch");
            return None;
        };
        let len = s.chars().count();
        if let Some(max) = max.filter(|m| len > *m) {
            self.err(field, format!("Has {len} characters, it can have maximum of {max} characters"), "invalid_value");
            return None;
        }
        Some(s.to_owned())
    }

    pub(crate) fn required_string(&mut self, field: &str, max: Option<usize>) -> String {
        if self.get(field).is_none() {
            self.err(field, "It should be a/an String", "missing_field");
            return String::new();
        }
        self.string(field, max).unwrap_or_default()
    }

    pub(crate) fn int(&mut self, field: &str) -> Option<u64> {
        let v = self.get(field)?;
        let n = v.as_u64();
        if n.is_none() {
            self.err(field, mismatch(v, "Positive Integer"), "datatype_mismatch");
        }
        n
    }

    pub(crate) fn bool(&mut self, field: &str) -> Option<bool> {
        let v = self.get(field)?;
        let b = v.as_bool();
        if b.is_none() {
            self.err(field, mismatch(v, "Boolean"), "datatype_mismatch");
        }
        b
    }

    pub(crate) fn choice(&mut self, field: &str, allowed: &[u64], default: u8) -> u8 {
        match self.int(field) {
            None => default,
            Some(n) if allowed.contains(&n) => u8::try_from(n).unwrap_or(default),
            Some(_) => {
                self.err(field, format!("It should be one of these values: '{}'", join(allowed)), "invalid_value");
                default
            }
        }
    }

    pub(crate) fn strings(&mut self, field: &str, max: Option<usize>, emails: bool) -> Vec<String> {
        let Some(v) = self.get(field) else {
            return Vec::new();
        };
        let Some(items) = v.as_array() else {
            self.err(field, mismatch(v, "Array"), "datatype_mismatch");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(s) = item.as_str() else {
                self.err(field, "It should contain elements of type String only", "datatype_mismatch");
                return Vec::new();
            };
            if let Some(max) = max.filter(|m| s.chars().count() > *m) {
                let msg = format!("It should only contain elements that have maximum of {max} characters");
                self.err(field, msg, "invalid_value");
                return Vec::new();
            }
            if emails && !is_email(s) {
                self.err(
                    field,
                    format!("It should contain elements that are in a valid email format ({s})"),
                    "invalid_value",
                );
                return Vec::new();
            }
            out.push(s.to_owned());
        }
        out
    }
}

/// A deliberately simple e-mail check: one `@`, a dotted domain, no blanks.
pub(crate) fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

pub(crate) fn mismatch(v: &Value, expected: &str) -> String {
    let given = match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "Number",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "key/value pair",
    };
    format!("Value set is of type {given}.It should be a/an {expected}")
}

fn join(values: &[u64]) -> String {
    values.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}
