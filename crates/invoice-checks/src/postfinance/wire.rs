//! DirectLink answers and their meaning (contract cases
//! `crates/sandbox/contracts/postfinance/{maintenance,query}.json`): the typed [`Reply`] read
//! from an `ncresponse` **fail-closed** through `kit::contract::Fields` — a field the logic needs
//! that is missing or unreadable is a counted contract error, never a default — and the
//! [`Verdict`] of its NCERROR. An NCERROR we do not understand is "uncertain, find out", never
//! success and never a refusal of a money movement.

use kit::contract::{ContractError, Fields, Problem, decimal_minor};
use kit::money::{Currency, Money};

use super::SYSTEM;
use super::xml::NcResponse;

/// NCERROR of a maintenance that is not possible now because the order's status already changed
/// — in particular the answer to a repeated maintenance (IC-14).
pub const NOT_IN_CORRECT_STATUS: &str = "50001127";
/// NCERROR "unknown order" (no transaction with that PAYID or ORDERID).
pub const UNKNOWN_ORDER: &str = "50001130";
/// NCERROR "Original history item access error" (no level with that PAYIDSUB).
pub const UNKNOWN_LEVEL: &str = "50001131";
/// STATUS of a query that itself failed (DirectLink guide §5.3: "The query on querydirect.asp
/// failed") — not a transaction status.
pub const QUERY_FAILED: u16 = 88;

/// A DirectLink answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `orderID`.
    pub order_id: String,
    /// `PAYID` (absent or 0 on refusals).
    pub payid: Option<u64>,
    /// `PAYIDSUB` (history level; a PAYID-only query may leave it empty).
    pub payidsub: Option<u32>,
    /// `NCERROR` ("" and "0" mean OK).
    pub ncerror: String,
    /// `NCERRORPLUS` (the human text).
    pub ncerror_plus: String,
    /// `STATUS` (required when accepted).
    pub status: Option<u16>,
    /// `amount` (decimal on the wire, minor units here; required when accepted).
    pub amount: Option<i64>,
    /// `currency`.
    pub currency: String,
    /// `PM`.
    pub pm: String,
    /// `BRAND`.
    pub brand: String,
}

/// An order found by ORDERID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundOrder {
    /// `orderID`.
    pub order_id: String,
    /// `PAYID`.
    pub payid: u64,
    /// `STATUS` of its latest level.
    pub status: u16,
    /// Order amount.
    pub amount: Money,
    /// `PM`.
    pub pm: String,
    /// `BRAND`.
    pub brand: String,
}

/// What an answer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted (NCERROR empty or 0).
    Ok,
    /// NCERROR 50001127: the order is not in a state that allows it (often: already done).
    NotInCorrectStatus,
    /// Refused: nothing happened (NCSTATUS 5 invalid request, 3 refused by the acquirer).
    Refused,
    /// The account refused the caller: PSPID, IP, user/password or SHA-IN signature (nothing
    /// happened; the configuration must be fixed).
    Unauthorized,
    /// No such order (50001130) or level (50001131).
    NotFound,
    /// Uncertain or not understood (NCSTATUS 2, class 1, unknown codes, query status 88): it
    /// may have happened.
    Uncertain,
}

impl Verdict {
    /// The class name of contract cases (CT-04).
    pub fn class(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NotInCorrectStatus => "already_done",
            Verdict::Refused => "refused",
            Verdict::Unauthorized => "unauthorized",
            Verdict::NotFound => "not_found",
            Verdict::Uncertain => "unknown",
        }
    }
}

/// Classifies an NCERROR (§5.5): empty or 0 OK; 50001127 not in the right status; unknown order
/// or level; the account's checks; first digit 5 invalid or 3 refused; everything else
/// uncertain.
pub fn classify(ncerror: &str) -> Verdict {
    match ncerror.trim() {
        "" | "0" => Verdict::Ok,
        NOT_IN_CORRECT_STATUS => Verdict::NotInCorrectStatus,
        UNKNOWN_ORDER | UNKNOWN_LEVEL => Verdict::NotFound,
        // IP not allowed, PSPID unknown, user/password wrong, SHA-IN signature missing/wrong.
        "50001116" | "50001118" | "50001119" | "50001184" => Verdict::Unauthorized,
        e if e.starts_with(['5', '3']) => Verdict::Refused,
        _ => Verdict::Uncertain,
    }
}

/// Which answer is read (the operation in contract-violation metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `maintenancedirect.asp`.
    Maintenance,
    /// `querydirect.asp`.
    Query,
}

impl Answer {
    /// Operation name in metrics and contract cases.
    pub fn operation(self) -> &'static str {
        match self {
            Answer::Maintenance => "maintenance",
            Answer::Query => "query",
        }
    }
}

impl Reply {
    /// Reads an answer fail-closed. Always needed: `NCERROR` (empty or digits). When accepted:
    /// `STATUS` and `amount`, and for maintenance the new level's `PAYIDSUB`, for a query the
    /// `PAYID`.
    pub fn read(x: &NcResponse, answer: Answer) -> Result<Reply, ContractError> {
        let f = Fields::new(SYSTEM, answer.operation(), |n| x.get(n));
        let ncerror = f.str("NCERROR")?.trim().to_owned();
        if !ncerror.bytes().all(|b| b.is_ascii_digit()) {
            return Err(f.error("NCERROR", Problem::Invalid("empty or a number".into())));
        }
        let number = |name: &str| -> Result<Option<u64>, ContractError> {
            match f.opt(name).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse().map(Some).map_err(|_| f.error(name, Problem::WrongType("a number"))),
            }
        };
        let mut reply = Reply {
            order_id: f.opt("orderID").unwrap_or_default().to_owned(),
            payid: number("PAYID")?.filter(|p| *p != 0),
            payidsub: number("PAYIDSUB")?.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
            ncerror_plus: f.opt("NCERRORPLUS").unwrap_or_default().to_owned(),
            status: number("STATUS")?.map(|s| u16::try_from(s).unwrap_or(u16::MAX)),
            amount: None,
            currency: f.opt("currency").unwrap_or_default().to_owned(),
            pm: f.opt("PM").unwrap_or_default().to_owned(),
            brand: f.opt("BRAND").unwrap_or_default().to_owned(),
            ncerror,
        };
        if reply.verdict() != Verdict::Ok {
            return Ok(reply);
        }
        let status = f.int("STATUS")?;
        reply.status = Some(u16::try_from(status).map_err(|_| f.error("STATUS", Problem::WrongType("a status")))?);
        reply.amount = Some(
            decimal_minor(f.text("amount")?, 2)
                .ok_or_else(|| f.error("amount", Problem::Invalid("an amount with 2 decimals".into())))?,
        );
        match answer {
            Answer::Maintenance => {
                let sub = f.int("PAYIDSUB")?;
                reply.payidsub =
                    Some(u32::try_from(sub).map_err(|_| f.error("PAYIDSUB", Problem::WrongType("a level")))?);
            }
            Answer::Query => {
                let payid = f.int("PAYID")?;
                reply.payid = Some(u64::try_from(payid).map_err(|_| f.error("PAYID", Problem::WrongType("a PAYID")))?);
            }
        }
        Ok(reply)
    }

    /// The order a query by ORDERID found (the answer must be accepted): its order id must be
    /// the one asked for, and its currency readable.
    pub fn found_order(&self, asked: &str) -> Result<FoundOrder, ContractError> {
        let error = |field: &str, problem| ContractError::new(SYSTEM, Answer::Query.operation(), field, problem);
        if self.order_id.is_empty() {
            return Err(error("orderID", Problem::Missing));
        }
        if self.order_id != asked {
            return Err(error("orderID", Problem::Invalid(format!("the order asked for ({asked})"))));
        }
        if self.currency.is_empty() {
            return Err(error("currency", Problem::Missing));
        }
        let currency =
            Currency::parse(&self.currency).map_err(|_| error("currency", Problem::Invalid("a currency".into())))?;
        match (self.payid, self.status, self.amount) {
            (Some(payid), Some(status), Some(amount)) => Ok(FoundOrder {
                order_id: self.order_id.clone(),
                payid,
                status,
                amount: Money::new(amount, currency),
                pm: self.pm.clone(),
                brand: self.brand.clone(),
            }),
            _ => Err(error("STATUS", Problem::Missing)),
        }
    }

    /// The meaning of the answer: its NCERROR, and for a query also STATUS 88.
    pub fn verdict(&self) -> Verdict {
        match classify(&self.ncerror) {
            Verdict::Ok if self.status == Some(QUERY_FAILED) => Verdict::Uncertain,
            v => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postfinance::xml::parse;

    #[test]
    fn ncerror_classification_table() {
        let cases = [
            ("", Verdict::Ok),
            ("0", Verdict::Ok),
            ("50001127", Verdict::NotInCorrectStatus),
            ("50001130", Verdict::NotFound),
            ("50001131", Verdict::NotFound),
            ("50001184", Verdict::Unauthorized),
            ("50001119", Verdict::Unauthorized),
            ("50001126", Verdict::Refused),
            ("50001129", Verdict::Refused),
            ("50001093", Verdict::Refused),
            ("30001001", Verdict::Refused),
            ("20002001", Verdict::Uncertain),
            ("10001016", Verdict::Uncertain),
            ("90000000", Verdict::Uncertain),
        ];
        for (e, v) in cases {
            assert_eq!(classify(e), v, "{e:?}");
        }
    }

    #[test]
    fn ct_05_accepted_answers_need_status_amount_and_their_level_or_payid() {
        let ok = parse(br#"<ncresponse orderID="SB-1" PAYID="301" PAYIDSUB="2" NCERROR="0" NCERRORPLUS="!" STATUS="81" amount="17.5" currency="CHF"/>"#).unwrap();
        let r = Reply::read(&ok, Answer::Maintenance).unwrap();
        assert_eq!((r.payid, r.payidsub, r.status, r.amount), (Some(301), Some(2), Some(81), Some(1750)));
        let q = parse(br#"<ncresponse orderID="SB-1" PAYID="301" PAYIDSUB="" NCERROR="0" STATUS="91" amount="4.5" currency="CHF"/>"#).unwrap();
        let r = Reply::read(&q, Answer::Query).unwrap();
        assert_eq!((r.payidsub, r.amount), (None, Some(450)), "a PAYID-only query may leave PAYIDSUB empty");
        assert!(Reply::read(&q, Answer::Maintenance).is_err(), "an accepted maintenance needs its level");
        for bad in [
            r#"<ncresponse NCERROR="0" STATUS="9" PAYIDSUB="1"/>"#,
            r#"<ncresponse NCERROR="0" STATUS="x" PAYIDSUB="1" amount="1"/>"#,
            r#"<ncresponse NCERROR="0" STATUS="9" PAYIDSUB="1" amount="1,5"/>"#,
            r#"<ncresponse STATUS="9" PAYIDSUB="1" amount="1"/>"#,
            r#"<ncresponse NCERROR="not-a-value" STATUS="9" PAYIDSUB="1" amount="1"/>"#,
        ] {
            let x = parse(bad.as_bytes()).unwrap();
            let e = Reply::read(&x, Answer::Maintenance).unwrap_err();
            assert!(!e.field.is_empty(), "{bad}");
        }
        let refused = parse(br#"<ncresponse orderID="SB-1" PAYID="0" PAYIDSUB="" NCERROR="50001127" NCERRORPLUS="This order is not authorised" STATUS="0" amount="" currency=""/>"#).unwrap();
        let r = Reply::read(&refused, Answer::Maintenance).unwrap();
        assert_eq!((r.payid, r.verdict()), (None, Verdict::NotInCorrectStatus));
        let failed = parse(br#"<ncresponse PAYID="301" NCERROR="0" STATUS="88" amount="1"/>"#).unwrap();
        assert_eq!(Reply::read(&failed, Answer::Query).unwrap().verdict(), Verdict::Uncertain, "status 88");
    }
}
