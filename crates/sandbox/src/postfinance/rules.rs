//! The maintenance rules (`maintenancedirect.asp`): what each operation may do on a
//! transaction under the merchant's account options, which NCERROR refuses it, and the history
//! level an accepted one adds. Pure: the caller passes the time in.

use chrono::{DateTime, Duration, Utc};

use super::model::{HistoryItem, Kind, Merchant, Transaction, final_status, is_swissbilling};

/// A refused DirectLink request: `NCERROR` and `NCERRORPLUS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// NCERROR.
    pub code: &'static str,
    /// NCERRORPLUS.
    pub plus: String,
}

fn refuse(code: &'static str, plus: &str) -> Refusal {
    Refusal { code, plus: plus.into() }
}

/// What an accepted maintenance adds to the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Kind of the new level.
    pub kind: Kind,
    /// Its amount.
    pub amount: i64,
    /// Its immediate STATUS (91/81/61 pending, 5 for REN).
    pub status: u16,
}

/// Decides a maintenance request (`op`, optional `amount`) on `tx` under `m`'s options.
pub fn decide(
    tx: &Transaction,
    m: &Merchant,
    op: &str,
    amount: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Accepted, Refusal> {
    const NOT_AUTHORISED: &str = "This order is not authorised";
    let swissbilling = is_swissbilling(&tx.pm, &tx.brand);
    if !tx.authorised() {
        return Err(refuse("50001127", NOT_AUTHORISED));
    }
    let last = matches!(op, "SAS" | "RFS" | "DES");
    if !last && op != "REN" && !m.multiple_maintenance {
        return Err(refuse("50001186", "Operation not permitted: multiple maintenance is not enabled"));
    }
    match op {
        "REN" => {
            if swissbilling {
                return Err(refuse("50001186", "Operation not permitted for this payment method"));
            }
            if tx.status() != 5 || tx.captured() > 0 || tx.deleted() > 0 || now < tx.authorised_until {
                return Err(refuse("50001127", NOT_AUTHORISED));
            }
            Ok(Accepted { kind: Kind::Renewal, amount: tx.amount, status: 5 })
        }
        "SAL" | "SAS" => {
            let left = tx.capturable();
            if left == 0 {
                return Err(refuse("50001127", NOT_AUTHORISED));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                return Err(refuse("50001126", "Overflow in data capture requests for the original order"));
            }
            if swissbilling && (amount != tx.amount || tx.captured() > 0) {
                return Err(refuse("50001093", "Partial capture not allowed"));
            }
            if !m.partial_maintenance && amount != left {
                return Err(refuse("50001093", "Partial capture not allowed"));
            }
            Ok(Accepted { kind: Kind::Capture, amount, status: 91 })
        }
        "DEL" | "DES" => {
            let left = tx.capturable();
            if left == 0 {
                return Err(refuse("50001127", NOT_AUTHORISED));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                return Err(refuse("50001126", "Overflow in data capture requests for the original order"));
            }
            if !m.partial_maintenance && amount != left {
                return Err(refuse("50001186", "Operation not permitted: partial maintenance is not enabled"));
            }
            Ok(Accepted { kind: Kind::Deletion, amount, status: 61 })
        }
        "RFD" | "RFS" => {
            if !m.refunds_enabled {
                return Err(refuse("50001218", "No Refunds allowed"));
            }
            let left = tx.refundable();
            if left == 0 {
                return Err(refuse("50001127", NOT_AUTHORISED));
            }
            let amount = amount.unwrap_or(left);
            if amount > left {
                return Err(refuse("50001129", "Overflow in refunds requests"));
            }
            if !m.partial_maintenance && amount != left {
                return Err(refuse("50001186", "Operation not permitted: partial maintenance is not enabled"));
            }
            Ok(Accepted { kind: Kind::Refund, amount, status: 81 })
        }
        _ => Err(refuse("50001111", "unknown operation")),
    }
}

/// Applies an accepted maintenance: a new history level; REN also renews the authorisation.
pub fn apply(tx: &mut Transaction, m: &Merchant, op: &str, a: &Accepted, now: DateTime<Utc>) -> u32 {
    let payidsub = u32::try_from(tx.history.len()).unwrap_or(u32::MAX);
    let pending = final_status(a.status, true).is_some();
    let due = if pending {
        m.settle_delay_secs.map(|s| now + Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2)))
    } else {
        None
    };
    if a.kind == Kind::Renewal {
        tx.authorised_until = now + Duration::days(i64::from(m.auth_validity_days));
    }
    tx.history.push(HistoryItem {
        payidsub,
        kind: a.kind,
        operation: op.to_owned(),
        amount: a.amount,
        status: a.status,
        at: now,
        due,
        settled_at: (!pending).then_some(now),
        source: "directlink".into(),
    });
    payidsub
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postfinance::model::Env;

    fn merchant() -> Merchant {
        serde_json::from_value(serde_json::json!({
            "env": "test", "pspid": "M", "users": [], "directlink_sha_in": "a", "ecom_sha_in": "b", "ecom_sha_out": "c",
        }))
        .unwrap()
    }

    fn tx(pm: &str, amount: i64) -> Transaction {
        let now = Utc::now();
        Transaction {
            env: Env::Test,
            pspid: "M".into(),
            payid: 1,
            orderid: "o".into(),
            amount,
            currency: "CHF".into(),
            pm: pm.into(),
            brand: pm.into(),
            cardno: String::new(),
            ed: String::new(),
            cn: String::new(),
            ip: String::new(),
            acceptance: "a".into(),
            authorised_until: now + Duration::days(7),
            history: vec![HistoryItem {
                payidsub: 0,
                kind: Kind::Order,
                operation: "RES".into(),
                amount,
                status: 5,
                at: now,
                due: None,
                settled_at: Some(now),
                source: "admin".into(),
            }],
        }
    }

    /// One maintenance step: operation, amount, settle everything pending first.
    type Step<'a> = (&'a str, Option<i64>, bool);

    /// Runs `steps` and returns each NCERROR ("" = accepted).
    fn run(mut t: Transaction, m: &Merchant, steps: &[Step<'_>]) -> Vec<&'static str> {
        let now = Utc::now();
        steps
            .iter()
            .map(|(op, amount, settle)| {
                if *settle {
                    t.settle_all(now, true);
                }
                match decide(&t, m, op, *amount, now) {
                    Ok(a) => {
                        apply(&mut t, m, op, &a, now);
                        ""
                    }
                    Err(r) => r.code,
                }
            })
            .collect()
    }

    #[test]
    fn maintenance_state_machine_table() {
        let m = merchant();
        let cases: Vec<(&str, Transaction, Vec<Step<'_>>, Vec<&str>)> = vec![
            (
                "repeat SAS",
                tx("CreditCard", 1000),
                vec![("SAS", Some(1000), false), ("SAS", Some(1000), false)],
                vec!["", "50001127"],
            ),
            (
                "over-capture",
                tx("CreditCard", 1000),
                vec![("SAL", Some(600), false), ("SAL", Some(600), false)],
                vec!["", "50001126"],
            ),
            (
                "SAL twice then SAS rest",
                tx("CreditCard", 1000),
                vec![("SAL", Some(300), false), ("SAL", Some(300), false), ("SAS", None, false)],
                vec!["", "", ""],
            ),
            (
                "refund before settlement",
                tx("CreditCard", 1000),
                vec![("SAS", None, false), ("RFD", Some(100), false)],
                vec!["", "50001127"],
            ),
            (
                "over-refund",
                tx("CreditCard", 1000),
                vec![("SAS", None, false), ("RFD", Some(700), true), ("RFD", Some(400), false)],
                vec!["", "", "50001129"],
            ),
            (
                "repeat RFS",
                tx("CreditCard", 1000),
                vec![("SAS", None, false), ("RFS", Some(100), true), ("RFS", Some(100), false)],
                vec!["", "", "50001127"],
            ),
            (
                "DES closes",
                tx("CreditCard", 1000),
                vec![("DES", None, false), ("SAS", None, false), ("DES", None, false)],
                vec!["", "50001127", "50001127"],
            ),
            (
                "DEL part, capture rest",
                tx("CreditCard", 1000),
                vec![("DEL", Some(400), false), ("SAS", Some(700), false), ("SAS", Some(600), false)],
                vec!["", "50001126", ""],
            ),
            (
                "SwissBilling partial",
                tx("SwissBilling", 1000),
                vec![("SAS", Some(500), false), ("SAL", Some(500), false), ("SAS", Some(1000), false)],
                vec!["50001093", "50001093", ""],
            ),
            ("SwissBilling REN", tx("SwissBilling", 1000), vec![("REN", None, false)], vec!["50001186"]),
            ("REN while valid", tx("CreditCard", 1000), vec![("REN", None, false)], vec!["50001127"]),
            ("unknown op", tx("CreditCard", 1000), vec![("XYZ", None, false)], vec!["50001111"]),
        ];
        for (name, t, steps, want) in cases {
            assert_eq!(run(t, &m, &steps), want, "{name}");
        }
    }

    #[test]
    fn account_options_refuse_what_they_do_not_allow() {
        let mut m = merchant();
        m.partial_maintenance = false;
        assert_eq!(
            run(tx("CreditCard", 1000), &m, &[("SAS", Some(500), false), ("SAS", None, false)]),
            ["50001093", ""]
        );
        let mut m = merchant();
        m.multiple_maintenance = false;
        assert_eq!(
            run(tx("CreditCard", 1000), &m, &[("SAL", Some(500), false), ("SAS", Some(500), false)]),
            ["50001186", ""]
        );
        let mut m = merchant();
        m.refunds_enabled = false;
        assert_eq!(run(tx("CreditCard", 1000), &m, &[("SAS", None, false), ("RFS", None, true)]), ["", "50001218"]);
    }

    #[test]
    fn a_refused_capture_frees_the_amount_again() {
        let m = merchant();
        let mut t = tx("CreditCard", 1000);
        let now = Utc::now();
        let a = decide(&t, &m, "SAS", None, now).unwrap();
        apply(&mut t, &m, "SAS", &a, now);
        assert_eq!((t.status(), t.capturable()), (91, 0));
        t.settle_all(now, false);
        assert_eq!((t.status(), t.capturable()), (93, 1000));
    }
}
