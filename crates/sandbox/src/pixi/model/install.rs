//! One installation (one pixi database behind one API user) and its number sequences.

use std::collections::{BTreeMap, BTreeSet};

use chrono_tz::Tz;

use super::{Booking, BookingEvent, Change, Customer, DocKind, Document, Item, Order, PaymentMethod, QuietCall};

/// Number sequences of an installation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seq {
    pub(crate) order_nr: i64,
    pub(crate) line_key: i64,
    pub(crate) doc_key: i64,
    pub(crate) cust_key: i64,
    pub(crate) item_key: i64,
    pub(crate) addr_key: i64,
    pub(crate) comment_key: i64,
    pub(crate) booking_key: i64,
    pub(crate) change: u64,
}

/// One pixi installation, reached through its API user.
#[derive(Debug, Clone)]
pub struct Install {
    /// API user.
    pub user: String,
    /// API password.
    pub password: String,
    /// Local time zone of the installation.
    pub tz: Tz,
    /// Refuse calls between 00:00 and 04:00 local (database backup) with HTTP 503.
    pub enforce_quiet_window: bool,
    /// Payment methods by code.
    pub payment_methods: BTreeMap<String, PaymentMethod>,
    /// Booking events by id.
    pub booking_events: BTreeMap<String, BookingEvent>,
    /// Customers by key.
    pub customers: BTreeMap<i64, Customer>,
    /// Items by `ItemNrInt`.
    pub items: BTreeMap<String, Item>,
    /// Orders by number.
    pub orders: BTreeMap<i64, Order>,
    /// Invoices and credit notes by key.
    pub docs: BTreeMap<i64, Document>,
    /// Customer-account bookings, oldest first.
    pub bookings: Vec<Booking>,
    /// The change feed, oldest first.
    pub changes: Vec<Change>,
    /// Calls received in the quiet window.
    pub quiet_calls: Vec<QuietCall>,
    /// The API revision installed (`pixiSysGetCurrentRevision`); parameters documented as
    /// "available from" a later revision do not exist here.
    pub revision: String,
    /// Calls not installed on this database (answered like unknown operations).
    pub uninstalled: BTreeSet<String>,
    /// Result columns left out of a call's answers, as `(call, column)` (CT-06 tests: an
    /// installation whose procedure lacks a column pixi-sync reads).
    pub dropped_columns: BTreeSet<(String, String)>,
    /// SQL errors the next calls answer with (deadlocks, `RAISERROR`s), oldest first.
    pub sql_errors: Vec<SqlErrorSpec>,
    /// Documented refusals the next calls answer with (`ReturnCode` ERROR), oldest first.
    pub refusals: Vec<RefusalSpec>,
    pub(crate) seq: Seq,
}

/// A SQL error one call answers with instead of its result (or after acting).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlErrorSpec {
    /// The call.
    pub call: String,
    /// Severity class (13 for a deadlock victim, 16 for a procedure error).
    pub class: u8,
    /// SQL Server error number (1205 deadlock victim, 50000 RAISERROR, …).
    pub number: i32,
    /// Message text (a default per number when absent).
    #[serde(default)]
    pub message: Option<String>,
    /// How many calls get it (default 1).
    #[serde(default = "one")]
    pub times: u32,
    /// The procedure did its work before the error (the write happened, the answer says
    /// error); otherwise nothing happened, as for a deadlock victim.
    #[serde(default)]
    pub after_acting: bool,
}

/// A call that refuses the way it documents it (`ReturnCode` ERROR with `ErrorMessage`) and does
/// nothing, e.g. pixi refusing a shipping lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusalSpec {
    /// The call (one answering `ReturnCode`).
    pub call: String,
    /// `ErrorMessage`.
    pub message: String,
    /// How many calls refuse (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// The newest revision the simulator knows parameters of (pixiGetOrderComments' Since and
/// RowCount, 26.6.0.11854).
pub const NEWEST_REVISION: &str = "26.6.0.11854";

impl Install {
    /// An empty installation.
    pub fn new(user: &str, password: &str, tz: Tz) -> Self {
        Install {
            user: user.to_owned(),
            password: password.to_owned(),
            tz,
            enforce_quiet_window: false,
            payment_methods: BTreeMap::new(),
            booking_events: BTreeMap::new(),
            customers: BTreeMap::new(),
            items: BTreeMap::new(),
            orders: BTreeMap::new(),
            docs: BTreeMap::new(),
            bookings: Vec::new(),
            changes: Vec::new(),
            quiet_calls: Vec::new(),
            revision: NEWEST_REVISION.to_owned(),
            uninstalled: BTreeSet::new(),
            dropped_columns: BTreeSet::new(),
            sql_errors: Vec::new(),
            refusals: Vec::new(),
            seq: Seq { order_nr: 100_000, ..Seq::default() },
        }
    }

    /// The document numbered `nr`.
    pub fn doc_by_nr(&self, nr: &str) -> Option<&Document> {
        self.docs.values().find(|d| d.nr == nr)
    }

    /// The order with shop order number `nr_external` in `shop_id` (any shop when `None`).
    pub fn order_by_external(&self, nr_external: &str, shop_id: Option<&str>) -> Option<&Order> {
        self.orders
            .values()
            .find(|o| o.order_nr_external == nr_external && shop_id.is_none_or(|s| s.eq_ignore_ascii_case(&o.shop_id)))
    }

    /// Customer balance: bookings minus invoices plus credit notes (0 = balanced). A document
    /// pixi marked paid by itself counts as balanced by pixi's own automatic booking.
    pub fn balance_minor(&self, cust_key: i64) -> i64 {
        let booked: i64 = self.bookings.iter().filter(|b| b.cust_key == cust_key).map(|b| b.effect_minor).sum();
        let docs: i64 = self
            .docs
            .values()
            .filter(|d| d.cust_key == cust_key && !d.paid_by_pixi)
            .map(|d| match d.kind {
                DocKind::Invoice => -d.total_minor,
                DocKind::CreditNote => d.total_minor,
            })
            .sum();
        booked + docs
    }
}
