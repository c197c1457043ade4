//! DirectLink reply fields and their meaning (`external-apis.md` §5.3, §5.5): the typed
//! [`Reply`] read from an `ncresponse`, and the [`Verdict`] of its NCERROR. An NCERROR we do not
//! understand is "uncertain, find out" — never success.

use kit::money::{Currency, Money};

use super::xml::NcResponse;

/// NCERROR of a maintenance that is not possible now because the order's status already changed
/// — in particular the answer to a repeated maintenance (IC-14).
pub const NOT_IN_CORRECT_STATUS: &str = "50001127";

/// A DirectLink reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `orderID`.
    pub order_id: String,
    /// `PAYID` (absent or 0 on many refusals).
    pub payid: Option<u64>,
    /// `PAYIDSUB` (history level).
    pub payidsub: Option<u32>,
    /// `NCERROR` ("" and "0" mean OK).
    pub ncerror: String,
    /// `NCERRORPLUS` (the human text; "!" on success).
    pub ncerror_plus: String,
    /// `STATUS`.
    pub status: Option<u16>,
    /// `amount` (decimal on the wire, minor units here).
    pub amount: Option<i64>,
    /// `currency`.
    pub currency: String,
    /// `PM`.
    pub pm: String,
    /// `BRAND`.
    pub brand: String,
}

/// What a reply means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Accepted (NCERROR empty or 0).
    Ok,
    /// NCERROR 50001127: the order is not in a state that allows it (often: already done).
    NotInCorrectStatus,
    /// Refused: nothing happened (NCSTATUS 5 invalid request, 3 refused by the acquirer).
    Refused,
    /// Uncertain or not understood (NCSTATUS 2, unknown codes): it may have happened.
    Uncertain,
}

/// A reply that does not carry what a DirectLink reply must.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable DirectLink reply: {0}")]
pub struct WireError(pub String);

/// Parses a decimal amount as PostFinance prints it (`15`, `15.5`, `17.89`) into minor units.
pub fn parse_amount(text: &str, currency: Currency) -> Option<i64> {
    Money::parse(text.trim(), currency).ok().map(|m| m.minor())
}

impl Reply {
    /// Reads the reply; `currency` is used when the reply names none.
    pub fn from_xml(x: &NcResponse, currency: Currency) -> Result<Reply, WireError> {
        let text = |n: &str| x.get(n).unwrap_or_default().trim().to_owned();
        let number = |n: &str| -> Result<Option<u64>, WireError> {
            match x.get(n).map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) => v.parse::<u64>().map(Some).map_err(|_| WireError(format!("{n}={v:?} is not a number"))),
            }
        };
        let reply_currency = Currency::parse(&text("CURRENCY")).unwrap_or(currency);
        let amount = match x.get("AMOUNT").map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(a) => Some(parse_amount(a, reply_currency).ok_or_else(|| WireError(format!("amount={a:?}")))?),
        };
        let status =
            number("STATUS")?.map(|s| u16::try_from(s).map_err(|_| WireError(format!("STATUS={s}")))).transpose()?;
        let payidsub = number("PAYIDSUB")?
            .map(|s| u32::try_from(s).map_err(|_| WireError(format!("PAYIDSUB={s}"))))
            .transpose()?;
        if x.get("NCERROR").is_none() && status.is_none() {
            return Err(WireError("neither NCERROR nor STATUS".into()));
        }
        Ok(Reply {
            order_id: text("ORDERID"),
            payid: number("PAYID")?.filter(|p| *p != 0),
            payidsub,
            ncerror: text("NCERROR"),
            ncerror_plus: text("NCERRORPLUS"),
            status,
            amount,
            currency: text("CURRENCY"),
            pm: text("PM"),
            brand: text("BRAND"),
        })
    }

    /// The meaning of NCERROR.
    pub fn verdict(&self) -> Verdict {
        classify(&self.ncerror)
    }
}

/// Classifies an NCERROR (§5.5): first digit 0 or empty OK, 5 invalid, 3 refused, 2 uncertain.
pub fn classify(ncerror: &str) -> Verdict {
    let e = ncerror.trim();
    if e.is_empty() || e == "0" {
        return Verdict::Ok;
    }
    if e == NOT_IN_CORRECT_STATUS {
        return Verdict::NotInCorrectStatus;
    }
    if !e.chars().all(|c| c.is_ascii_digit()) {
        return Verdict::Uncertain;
    }
    match e.chars().next() {
        Some('5' | '3') => Verdict::Refused,
        _ => Verdict::Uncertain,
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
            ("50001126", Verdict::Refused),
            ("50001129", Verdict::Refused),
            ("50001093", Verdict::Refused),
            ("50001184", Verdict::Refused),
            ("30001001", Verdict::Refused),
            ("20002001", Verdict::Uncertain),
            ("90000000", Verdict::Uncertain),
            ("abc", Verdict::Uncertain),
        ];
        for (e, v) in cases {
            assert_eq!(classify(e), v, "{e:?}");
        }
    }

    #[test]
    fn replies_read_decimal_amounts_and_tolerate_attribute_case() {
        let x = parse(br#"<ncresponse orderID="SB-1" PAYID="301" PAYIDSUB="2" NCERROR="0" NCERRORPLUS="!" STATUS="81" amount="17.5" currency="CHF"/>"#).unwrap();
        let r = Reply::from_xml(&x, Currency::CHF).unwrap();
        assert_eq!((r.payid, r.payidsub, r.status, r.amount), (Some(301), Some(2), Some(81), Some(1750)));
        assert_eq!(r.verdict(), Verdict::Ok);
        let x = parse(br#"<ncresponse ORDERID="SB-1" PAYID="0" PAYIDSUB="" NCERROR="50001127" NCERRORPLUS="This order is not authorised" STATUS="0" AMOUNT="" CURRENCY=""/>"#).unwrap();
        let r = Reply::from_xml(&x, Currency::CHF).unwrap();
        assert_eq!((r.payid, r.payidsub, r.amount), (None, None, None));
        assert_eq!(r.verdict(), Verdict::NotInCorrectStatus);
        for bad in
            [r#"<ncresponse STATUS="x"/>"#, r#"<ncresponse NCERROR="0" amount="1,5"/>"#, r#"<ncresponse ORDERID="a"/>"#]
        {
            let x = parse(bad.as_bytes()).unwrap();
            assert!(Reply::from_xml(&x, Currency::CHF).is_err(), "{bad}");
        }
        assert_eq!(parse_amount("15", Currency::CHF), Some(1500));
        assert_eq!(parse_amount("0.05", Currency::CHF), Some(5));
        assert_eq!(parse_amount("1.234", Currency::CHF), None);
    }
}
