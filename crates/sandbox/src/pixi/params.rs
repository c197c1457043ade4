//! Binding SOAP parameters to a call's stored-procedure signature, the way SQL Server does:
//! names are case-insensitive, unknown or repeated names and missing required ones are errors,
//! values convert to `int`, `bit`, `money`, `datetime` or `varchar`. Failures are SQL errors
//! answered as `SqlMessage` in an HTTP 200 answer (pixi's SDK expects a result error, not a
//! SOAP fault, for an unknown parameter), with SQL Server's numbers: 8145 unknown parameter,
//! 8143 repeated, 201 missing, 8114/241 conversion. A parameter newer than the installation's
//! revision (pixi-api-docs.de "Available from") does not exist there yet.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::wire::Fault;

/// A parameter's SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Bit,
    Money,
    DateTime,
    Str,
}

/// A pixi revision (`23.3.0.36397`), compared part by part.
pub(crate) type Revision = [u32; 4];

/// Parses `a.b.c.d` (missing parts are 0); `None` when it is not a dotted number.
pub(crate) fn revision(text: &str) -> Option<Revision> {
    let mut out = [0u32; 4];
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.len() < 2 || parts.len() > 4 {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        out[i] = p.parse().ok()?;
    }
    Some(out)
}

/// One parameter of a call's signature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct P {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    /// The revision that introduced the parameter (`None`: every supported revision has it).
    pub(crate) since: Option<Revision>,
}

/// An optional parameter.
pub(crate) const fn opt(name: &'static str, ty: Ty) -> P {
    P { name, ty, required: false, since: None }
}

/// A required parameter (no default in the procedure).
pub(crate) const fn req(name: &'static str, ty: Ty) -> P {
    P { name, ty, required: true, since: None }
}

/// An optional parameter that exists from revision `since` on.
pub(crate) const fn opt_since(name: &'static str, ty: Ty, since: Revision) -> P {
    P { name, ty, required: false, since: Some(since) }
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Int(i64),
    Bit(bool),
    Money(i64),
    DateTime(NaiveDateTime),
    Str(String),
}

/// Bound arguments, looked up by the signature's spelling of the name.
#[derive(Debug, Default)]
pub(crate) struct Args(HashMap<&'static str, Val>);

impl Args {
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(Val::Int(v)) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn bit(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(Val::Bit(v)) => Some(*v),
            _ => None,
        }
    }

    /// Money in minor units.
    pub(crate) fn money(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(Val::Money(v)) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn datetime(&self, name: &str) -> Option<NaiveDateTime> {
        match self.0.get(name) {
            Some(Val::DateTime(v)) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Val::Str(v)) => Some(v.as_str()),
            _ => None,
        }
    }

    /// A string that is present and not blank.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.str(name).map(str::trim).filter(|s| !s.is_empty())
    }
}

/// Binds `raw` to `call`'s signature as installed at revision `at`.
pub(crate) fn bind(call: &str, spec: &[P], raw: &[(String, Option<String>)], at: Revision) -> Result<Args, Fault> {
    let procedure = format!("pipi{}", call.strip_prefix("pixi").unwrap_or(call));
    let mut args = Args::default();
    let mut seen: Vec<&'static str> = Vec::new();
    for (name, value) in raw {
        let p = spec
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name) && p.since.is_none_or(|s| s <= at))
            .ok_or_else(|| Fault::sql(16, 8145, format!("@{name} is not a parameter for procedure {procedure}.")))?;
        if seen.contains(&p.name) {
            return Err(Fault::sql(16, 8143, format!("Parameter '@{}' was supplied multiple times.", p.name)));
        }
        seen.push(p.name);
        if let Some(v) = convert(p.ty, value.as_deref())? {
            args.0.insert(p.name, v);
        }
    }
    if let Some(p) = spec.iter().find(|p| p.required && !seen.contains(&p.name)) {
        return Err(Fault::sql(
            16,
            201,
            format!("Procedure or function '{procedure}' expects parameter '@{}', which was not supplied.", p.name),
        ));
    }
    Ok(args)
}

/// Converts one value; `None` (NULL) stays absent, so does an empty non-string value.
fn convert(ty: Ty, value: Option<&str>) -> Result<Option<Val>, Fault> {
    let Some(v) = value else { return Ok(None) };
    let t = v.trim();
    if ty != Ty::Str && t.is_empty() {
        return Ok(None);
    }
    let val = match ty {
        Ty::Str => Val::Str(v.to_owned()),
        Ty::Int => Val::Int(
            t.parse()
                .map_err(|_| Fault::sql(16, 8114, format!("Error converting data type nvarchar to int. ('{t}')")))?,
        ),
        Ty::Bit => Val::Bit(match t.to_ascii_lowercase().as_str() {
            "1" | "true" => true,
            "0" | "false" => false,
            _ => return Err(Fault::sql(16, 8114, format!("Error converting data type nvarchar to bit. ('{t}')"))),
        }),
        Ty::Money => {
            Val::Money(parse_money(t).ok_or_else(|| {
                Fault::sql(16, 8114, format!("Error converting data type nvarchar to money. ('{t}')"))
            })?)
        }
        Ty::DateTime => Val::DateTime(parse_datetime(t).ok_or_else(|| {
            Fault::sql(
                16,
                241,
                format!("Conversion failed when converting date and/or time from character string. ('{t}')"),
            )
        })?),
    };
    Ok(Some(val))
}

/// `46.18`, `-12.5`, `46.1800` → minor units; sub-cent digits round half away from zero.
pub(crate) fn parse_money(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 4
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut f = frac.to_owned();
    while f.len() < 4 {
        f.push('0');
    }
    let ten_thousandths: i64 = f.parse().ok()?;
    let cents = whole.checked_mul(100)?.checked_add((ten_thousandths + 50) / 100)?;
    Some(if neg { -cents } else { cents })
}

/// The datetime forms SQL Server accepts from pixi clients.
pub(crate) fn parse_datetime(t: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y%m%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"];
    FORMATS.iter().find_map(|f| NaiveDateTime::parse_from_str(t, f).ok()).or_else(|| {
        ["%Y-%m-%d", "%Y%m%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixi::wire::FaultCode;

    #[test]
    fn money_is_parsed_without_floats() {
        let cases = [
            ("46.18", Some(4618)),
            ("46.1800", Some(4618)),
            ("46", Some(4600)),
            ("-12.5", Some(-1250)),
            (".5", Some(50)),
            ("0.005", Some(1)),
            ("1.2345", Some(123)),
            ("1,5", None),
            ("abc", None),
            ("1.23456", None),
            ("-", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_money(text), want, "{text}");
        }
    }

    #[test]
    fn datetimes_in_the_forms_clients_send() {
        for t in ["2024-03-01 09:05:07", "2024-03-01T09:05:07.123", "20240301 09:05:07", "2024-03-01"] {
            assert!(parse_datetime(t).is_some(), "{t}");
        }
        assert!(parse_datetime("01.03.2024").is_none());
    }

    #[test]
    fn binding_follows_sql_server_rules() {
        const SPEC: &[P] = &[
            req("OrderNr", Ty::Int),
            opt("Locked", Ty::Bit),
            opt("Sum", Ty::Money),
            opt_since("Reason", Ty::Str, [23, 3, 0, 36397]),
        ];
        const NOW: Revision = [24, 1, 0, 0];
        let raw = |v: &[(&str, &str)]| -> Vec<(String, Option<String>)> {
            v.iter().map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned()))).collect()
        };
        let a = bind("pixiX", SPEC, &raw(&[("ordernr", "7"), ("Locked", "true"), ("Sum", "")]), NOW).unwrap();
        assert_eq!((a.int("OrderNr"), a.bit("Locked"), a.money("Sum")), (Some(7), Some(true), None));
        assert!(bind("pixiX", SPEC, &raw(&[("OrderNr", "1"), ("Reason", "r")]), NOW).is_ok());
        type Case<'a> = (&'a [(&'a str, &'a str)], Revision, i32, &'a str);
        let cases: [Case<'_>; 6] = [
            (&[("Locked", "1")], NOW, 201, "'pipiX' expects parameter '@OrderNr'"),
            (&[("OrderNr", "x")], NOW, 8114, "to int"),
            (&[("OrderNr", "1"), ("Foo", "1")], NOW, 8145, "@Foo is not a parameter for procedure pipiX"),
            (&[("OrderNr", "1"), ("ORDERNR", "2")], NOW, 8143, "supplied multiple times"),
            (&[("OrderNr", "1"), ("Locked", "2")], NOW, 8114, "to bit"),
            (&[("OrderNr", "1"), ("Reason", "r")], [22, 6, 0, 28129], 8145, "@Reason is not a parameter"),
        ];
        for (params, at, number, msg) in cases {
            let f = bind("pixiX", SPEC, &raw(params), at).unwrap_err();
            assert_eq!(f.code, FaultCode::Sql { class: 16, number });
            assert!(f.message.contains(msg), "{} / {msg}", f.message);
        }
        assert_eq!(revision("23.3.0.36397"), Some([23, 3, 0, 36397]));
        assert_eq!(revision("22.06"), Some([22, 6, 0, 0]));
        assert_eq!(revision("36397"), None);
    }
}
