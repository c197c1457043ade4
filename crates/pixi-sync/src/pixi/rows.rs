//! Reading pixi result rows fail-closed (CT-05): every column the logic needs goes through
//! `kit::contract::Fields`, so a missing, empty or malformed one is a counted contract error,
//! never a default.
//!
//! NULL columns are left out of DataSet rows (the SDK's recorded answers show rows with
//! varying columns), so "absent" can mean NULL. Where a column may legitimately be NULL it is
//! read with [`Cols::opt`] and the meaning of NULL is stated at the call site (ccpPayID: no
//! KK-ID; ShipDate: not shipped; the bank fields: never written); every other column is
//! required.

use chrono::NaiveDateTime;
use kit::contract::{ContractError, Fields, Problem};

use super::wire::Row;

/// Looks a column up in a row.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<&'a str> + 'a>;

/// The columns of one row of `operation`.
pub(crate) struct Cols<'a> {
    f: Fields<'a, Lookup<'a>>,
}

impl<'a> Cols<'a> {
    /// The row's columns as answered by `operation`.
    pub(crate) fn new(operation: &'static str, row: &'a Row) -> Self {
        let get: Lookup<'a> = Box::new(move |k| row.get(k).map(String::as_str));
        Cols { f: Fields::new("pixi", operation, get) }
    }

    /// A violation of `name`.
    pub(crate) fn error(&self, name: &str, problem: Problem) -> ContractError {
        self.f.error(name, problem)
    }

    /// Free text, present (possibly empty).
    pub(crate) fn str(&self, name: &str) -> Result<String, ContractError> {
        self.f.str(name).map(|s| s.trim().to_owned())
    }

    /// Free text, present and not blank.
    pub(crate) fn text(&self, name: &str) -> Result<String, ContractError> {
        self.f.text(name).map(str::to_owned)
    }

    /// A column that may be NULL (absent); present, trimmed and not blank, else `None`.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.f.opt(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// An integer.
    pub(crate) fn int(&self, name: &str) -> Result<i64, ContractError> {
        self.f.int(name)
    }

    /// SQL `money` (`46.1800`) as minor units.
    pub(crate) fn money(&self, name: &str) -> Result<i64, ContractError> {
        self.f.minor(name, 2)
    }

    /// A bit: `0` or `1`.
    pub(crate) fn bit(&self, name: &str) -> Result<bool, ContractError> {
        self.f.one_of(name, &["0", "1"]).map(|v| v == "1")
    }

    /// A `Y`/`N` flag.
    pub(crate) fn yes_no(&self, name: &str) -> Result<bool, ContractError> {
        self.f.one_of(name, &["Y", "N"]).map(|v| v == "Y")
    }

    /// One of `allowed`, compared without regard to case; returned upper-case.
    pub(crate) fn code(&self, name: &str, allowed: &[&str]) -> Result<String, ContractError> {
        let v = self.f.text(name)?.to_ascii_uppercase();
        if allowed.contains(&v.as_str()) {
            Ok(v)
        } else {
            Err(self.error(name, Problem::Invalid(format!("one of {allowed:?}"))))
        }
    }

    /// A status code of 1 to `max` letters (`HAL`, `AUS`, …), upper-case.
    pub(crate) fn status(&self, name: &str, max: usize) -> Result<String, ContractError> {
        let v = self.f.text(name)?.to_ascii_uppercase();
        if v.len() <= max && v.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(v)
        } else {
            Err(self.error(name, Problem::Invalid(format!("a status code of at most {max} letters"))))
        }
    }

    /// An ISO currency code (three letters).
    pub(crate) fn currency(&self, name: &str) -> Result<String, ContractError> {
        let v = self.f.text(name)?.to_ascii_uppercase();
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(v)
        } else {
            Err(self.error(name, Problem::Invalid("a three-letter currency code".into())))
        }
    }

    /// A datetime as pixi writes it (`2026-01-05T11:00:00.000`), returned as sent.
    pub(crate) fn datetime(&self, name: &str) -> Result<String, ContractError> {
        let v = self.f.text(name)?;
        let ok = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .any(|f| NaiveDateTime::parse_from_str(v, f).is_ok());
        if ok { Ok(v.to_owned()) } else { Err(self.error(name, Problem::Invalid("a datetime".into()))) }
    }
}

/// The first result set (a call without result set answers an empty one).
pub(crate) fn first_set(mut sets: Vec<Vec<Row>>) -> Vec<Row> {
    if sets.is_empty() { Vec::new() } else { sets.swap_remove(0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct_05_pixi_columns_are_typed_and_null_only_where_allowed() {
        let row: Row = [("Total", "-59.9500"), ("Locked", "Y"), ("IsMerged", "0"), ("Currency", "eur"), ("Bad", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let c = Cols::new("unit", &row);
        assert_eq!(c.money("Total").unwrap(), -5995);
        assert!(c.yes_no("Locked").unwrap());
        assert!(!c.bit("IsMerged").unwrap());
        assert_eq!(c.currency("Currency").unwrap(), "EUR");
        assert_eq!(c.opt("ccpPayID"), None);
        assert_eq!(c.money("Missing").unwrap_err().problem, Problem::Missing);
        assert!(matches!(c.bit("Bad").unwrap_err().problem, Problem::Invalid(_)));
        assert!(matches!(c.datetime("Bad").unwrap_err().problem, Problem::Invalid(_)));
    }
}
