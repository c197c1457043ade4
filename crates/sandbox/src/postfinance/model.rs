//! PostFinance state: merchant accounts per environment and transactions with their full
//! maintenance history (PAYIDSUB levels). Amounts are integer minor units; every derived
//! amount (captured, refunded, what is left) is computed from the history, so the history is
//! the single truth and "no operation applied twice" can be checked on it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::sha::ShaAlgorithm;

/// `test` or `prod` (path segment); a PSPID exists in one of them only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Env {
    /// `/ncol/test/`.
    Test,
    /// `/ncol/prod/`.
    Prod,
}

impl Env {
    /// Parses the path segment.
    pub fn parse(s: &str) -> Option<Env> {
        match s {
            "test" => Some(Env::Test),
            "prod" => Some(Env::Prod),
            _ => None,
        }
    }
}

/// A user of the merchant account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// `USERID`.
    pub userid: String,
    /// `PSWD`.
    pub pswd: String,
    /// The "Special user for API" flag.
    #[serde(default = "yes")]
    pub api: bool,
}

fn yes() -> bool {
    true
}

/// A merchant account (PSPID) in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    /// Environment the account lives in.
    pub env: Env,
    /// `PSPID`.
    pub pspid: String,
    /// Users (API users carry the API flag).
    pub users: Vec<User>,
    /// Hash algorithm for every signature of the account.
    #[serde(default)]
    pub sha_algorithm: ShaAlgorithm,
    /// SHA-IN passphrase of "Checks for DirectLink".
    pub directlink_sha_in: String,
    /// SHA-IN passphrase of "Checks for e-Commerce" (hosted page).
    pub ecom_sha_in: String,
    /// SHA-OUT passphrase (feedback).
    pub ecom_sha_out: String,
    /// Allowed caller IPs for DirectLink; `*` allows any.
    #[serde(default = "loopback")]
    pub allowed_ips: Vec<String>,
    /// Partial maintenance option (amounts below what is left).
    #[serde(default = "yes")]
    pub partial_maintenance: bool,
    /// Multiple maintenance option (the non-final SAL/RFD/DEL).
    #[serde(default = "yes")]
    pub multiple_maintenance: bool,
    /// Refunds option.
    #[serde(default = "yes")]
    pub refunds_enabled: bool,
    /// Seconds until pending maintenance (91/81/61) becomes final (9/8/6); `null` = only the
    /// admin `settle` call finalises.
    #[serde(default = "default_delay")]
    pub settle_delay_secs: Option<u64>,
    /// How long an authorisation stays valid (REN is accepted only after that).
    #[serde(default = "default_validity")]
    pub auth_validity_days: u32,
}

fn loopback() -> Vec<String> {
    vec!["127.0.0.1".into(), "::1".into()]
}

fn default_delay() -> Option<u64> {
    Some(300)
}

fn default_validity() -> u32 {
    7
}

/// What a history level is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The order itself (level 0): authorisation (RES) or direct sale (SAL).
    Order,
    /// SAL / SAS.
    Capture,
    /// RFD / RFS.
    Refund,
    /// DEL / DES.
    Deletion,
    /// REN.
    Renewal,
}

/// One history level of a PAYID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// Level (0 = the order).
    pub payidsub: u32,
    /// What it is.
    pub kind: Kind,
    /// Operation code as sent (`RES`, `SAL`, `SAS`, `RFD`, …).
    pub operation: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Current STATUS of this level.
    pub status: u16,
    /// When it was requested.
    pub at: DateTime<Utc>,
    /// When a pending level becomes final by itself (sandbox clock).
    pub due: Option<DateTime<Utc>>,
    /// When it became final.
    pub settled_at: Option<DateTime<Utc>>,
    /// `directlink`, `hosted_page` or `admin`.
    pub source: String,
}

/// A transaction (PAYID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// Environment.
    pub env: Env,
    /// Merchant.
    pub pspid: String,
    /// `PAYID`.
    pub payid: u64,
    /// Merchant order id.
    pub orderid: String,
    /// Order amount in minor units.
    pub amount: i64,
    /// Currency.
    pub currency: String,
    /// `PM`.
    pub pm: String,
    /// `BRAND`.
    pub brand: String,
    /// Masked card number (empty for SwissBilling).
    pub cardno: String,
    /// Expiry `MMYY`.
    pub ed: String,
    /// Card holder / customer name.
    pub cn: String,
    /// Customer IP.
    pub ip: String,
    /// Acquirer acceptance code.
    pub acceptance: String,
    /// Until when the authorisation holds.
    pub authorised_until: DateTime<Utc>,
    /// Every level, in order.
    pub history: Vec<HistoryItem>,
}

/// Whether `pm`/`brand` is SwissBilling (invoice on account).
pub fn is_swissbilling(pm: &str, brand: &str) -> bool {
    pm.eq_ignore_ascii_case("SwissBilling") || brand.eq_ignore_ascii_case("SwissBilling")
}

fn live(status: u16) -> bool {
    // Pending or final (not refused / uncertain).
    matches!(status, 91 | 9 | 81 | 8 | 61 | 6)
}

impl Transaction {
    /// STATUS of the order as a whole: the status of its latest level.
    pub fn status(&self) -> u16 {
        self.history.last().map_or(0, |h| h.status)
    }

    /// Whether the order was authorised (or sold) at all.
    pub fn authorised(&self) -> bool {
        self.history.first().is_some_and(|h| matches!(h.status, 5 | 9))
    }

    /// Whether the order itself failed (invalid, cancelled or refused): its ORDERID may be
    /// used again.
    pub fn refused_order(&self) -> bool {
        self.history.first().is_none_or(|h| h.status <= 2)
    }

    fn sum(&self, kind: Kind, pred: fn(u16) -> bool) -> i64 {
        self.history.iter().filter(|h| h.kind == kind && pred(h.status)).map(|h| h.amount).sum()
    }

    fn sale(&self) -> i64 {
        self.history.first().filter(|h| h.kind == Kind::Order && h.status == 9).map_or(0, |h| h.amount)
    }

    /// Captured, pending or final.
    pub fn captured(&self) -> i64 {
        self.sale() + self.sum(Kind::Capture, live)
    }

    /// Captured and final (status 9): what can be refunded from.
    pub fn captured_final(&self) -> i64 {
        self.sale() + self.sum(Kind::Capture, |s| s == 9)
    }

    /// Refunded, pending or final.
    pub fn refunded(&self) -> i64 {
        self.sum(Kind::Refund, live)
    }

    /// Authorisation deleted, pending or final.
    pub fn deleted(&self) -> i64 {
        self.sum(Kind::Deletion, live)
    }

    fn closed_by(&self, kind: Kind, op: &str) -> bool {
        self.history.iter().any(|h| h.kind == kind && h.operation == op && live(h.status))
    }

    /// No more captures: a last capture (SAS), a closing deletion (DES) or a direct sale.
    pub fn capture_closed(&self) -> bool {
        self.sale() > 0 || self.closed_by(Kind::Capture, "SAS") || self.closed_by(Kind::Deletion, "DES")
    }

    /// No more refunds: a last refund (RFS).
    pub fn refund_closed(&self) -> bool {
        self.closed_by(Kind::Refund, "RFS")
    }

    /// What can still be captured or deleted.
    pub fn capturable(&self) -> i64 {
        if !self.authorised() || self.capture_closed() {
            return 0;
        }
        (self.amount - self.captured() - self.deleted()).max(0)
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> i64 {
        if self.refund_closed() {
            return 0;
        }
        (self.captured_final() - self.refunded()).max(0)
    }

    /// Finalises pending levels whose time has come; returns how many changed.
    pub fn settle_due(&mut self, now: DateTime<Utc>) -> usize {
        let mut n = 0;
        for h in &mut self.history {
            if h.due.is_some_and(|d| d <= now)
                && let Some(f) = final_status(h.status, true)
            {
                h.status = f;
                h.settled_at = Some(now);
                n += 1;
            }
        }
        n
    }

    /// Finalises every pending level now, accepted or refused by the acquirer.
    pub fn settle_all(&mut self, now: DateTime<Utc>, accept: bool) -> usize {
        let mut n = 0;
        for h in &mut self.history {
            if let Some(f) = final_status(h.status, accept) {
                h.status = f;
                h.settled_at = Some(now);
                n += 1;
            }
        }
        n
    }
}

/// Final STATUS of a pending one: 91 → 9 / 93, 81 → 8 / 83, 61 → 6 / 63.
pub fn final_status(pending: u16, accept: bool) -> Option<u16> {
    match (pending, accept) {
        (91, true) => Some(9),
        (91, false) => Some(93),
        (81, true) => Some(8),
        (81, false) => Some(83),
        (61, true) => Some(6),
        (61, false) => Some(63),
        _ => None,
    }
}

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
