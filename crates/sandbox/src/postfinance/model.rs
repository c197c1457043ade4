//! PostFinance state: merchant accounts per environment and transactions with their full
//! maintenance history (PAYIDSUB levels). Amounts are integer minor units; every derived
//! amount (captured, refunded, what is left) is computed from the history, so the history is
//! the single truth and "no operation applied twice" can be checked on it.

use chrono::{DateTime, Utc};
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
    /// The "Direct HTTP server-to-server request" URL of the back office (post-sale request
    /// after each payment-page transaction); `None` = "No request".
    #[serde(default)]
    pub postsale_url: Option<String>,
    /// Wait before a failed post-sale request is sent again (the platform: "every 10 minutes up
    /// to a maximum of four times").
    #[serde(default = "default_postsale_retry")]
    pub postsale_retry_ms: u64,
}

fn default_postsale_retry() -> u64 {
    600_000
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
