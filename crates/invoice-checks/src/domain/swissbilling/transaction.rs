//! A SwissBilling transaction (PAYID) with its history levels (PAYIDSUB) and the maintenance
//! requests still in flight. Every amount (captured, refunded, what is left) is derived from the
//! levels and the in-flight reservations, so the history is the single truth; [`Amounts`] is
//! what the database row mirrors and constrains (IC-11).

use kit::money::Currency;

use super::status::{Kind, Phase, Status};

/// The platform environment of a tenant's account (IC-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PfEnv {
    /// `/ncol/test/`.
    Test,
    /// `/ncol/prod/`.
    Prod,
}

impl PfEnv {
    /// `test` or `prod`.
    pub fn as_str(self) -> &'static str {
        match self {
            PfEnv::Test => "test",
            PfEnv::Prod => "prod",
        }
    }

    /// Parses `test` / `prod` (any case).
    pub fn parse(s: &str) -> Option<PfEnv> {
        match s.to_ascii_lowercase().as_str() {
            "test" => Some(PfEnv::Test),
            "prod" => Some(PfEnv::Prod),
            _ => None,
        }
    }
}

/// A DirectLink maintenance operation (IC-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// Last (or full) capture.
    Sas,
    /// Partial capture, more may follow.
    Sal,
    /// Refund, more may follow.
    Rfd,
    /// Last refund.
    Rfs,
    /// Delete the authorisation, more may follow.
    Del,
    /// Delete the authorisation and close.
    Des,
    /// Renew the authorisation.
    Ren,
    /// Manual authorisation (a back-office action for credit cards).
    ManualAuthorisation,
}

impl OpCode {
    /// Every operation.
    pub const ALL: [OpCode; 8] = [
        OpCode::Sas,
        OpCode::Sal,
        OpCode::Rfd,
        OpCode::Rfs,
        OpCode::Del,
        OpCode::Des,
        OpCode::Ren,
        OpCode::ManualAuthorisation,
    ];

    /// The `OPERATION` code sent.
    pub fn code(self) -> &'static str {
        match self {
            OpCode::Sas => "SAS",
            OpCode::Sal => "SAL",
            OpCode::Rfd => "RFD",
            OpCode::Rfs => "RFS",
            OpCode::Del => "DEL",
            OpCode::Des => "DES",
            OpCode::Ren => "REN",
            OpCode::ManualAuthorisation => "MANUAL",
        }
    }

    /// Parses [`OpCode::code`].
    pub fn parse(code: &str) -> Option<OpCode> {
        OpCode::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The level kind it produces.
    pub fn kind(self) -> Kind {
        match self {
            OpCode::Sas | OpCode::Sal => Kind::Capture,
            OpCode::Rfd | OpCode::Rfs => Kind::Refund,
            OpCode::Del | OpCode::Des => Kind::Deletion,
            OpCode::Ren | OpCode::ManualAuthorisation => Kind::Renewal,
        }
    }

    /// Whether it carries the "last" flag (closes further operations of its kind).
    pub fn last(self) -> bool {
        matches!(self, OpCode::Sas | OpCode::Rfs | OpCode::Des)
    }
}

/// One history level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// PAYIDSUB (0 = the order).
    pub payidsub: u32,
    /// What it is.
    pub kind: Kind,
    /// Operation code when known (empty for levels found at PostFinance without one).
    pub operation: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Current STATUS.
    pub status: Status,
}

/// A maintenance request whose outcome is not recorded yet: its amount stays reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    /// The caller's request id.
    pub request_id: String,
    /// Operation.
    pub op: OpCode,
    /// Amount.
    pub amount: i64,
}

/// A transaction as this service knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// `ORDERID`.
    pub order_id: kit::OrderId,
    /// Tenant.
    pub tenant: String,
    /// Environment the transaction lives in.
    pub env: PfEnv,
    /// `PAYID`.
    pub payid: u64,
    /// `PM` / `BRAND`.
    pub payment_method: String,
    /// Currency (CHF for SwissBilling).
    pub currency: Currency,
    /// Levels in PAYIDSUB order.
    pub levels: Vec<Level>,
    /// Requests in flight.
    pub in_flight: Vec<InFlight>,
}

/// The committed amounts the database row mirrors; its CHECK constraints are [`Amounts::valid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    /// The authorised amount.
    pub authorised: i64,
    /// Captures live or in flight.
    pub capture_committed: i64,
    /// Deletions live or in flight.
    pub delete_committed: i64,
    /// Captures final (what refunds may draw on).
    pub captured_final: i64,
    /// Refunds live or in flight.
    pub refund_committed: i64,
}

impl Amounts {
    /// The money ceilings: captured + deleted ≤ authorised, refunded ≤ captured (final).
    pub fn valid(&self) -> bool {
        self.capture_committed >= 0
            && self.delete_committed >= 0
            && self.refund_committed >= 0
            && self.captured_final >= 0
            && self.capture_committed + self.delete_committed <= self.authorised
            && self.captured_final <= self.capture_committed
            && self.refund_committed <= self.captured_final
    }
}

impl Transaction {
    /// The order level (PAYIDSUB 0).
    pub fn order_level(&self) -> Option<&Level> {
        self.levels.iter().find(|l| l.payidsub == 0)
    }

    /// The authorised amount.
    pub fn authorised(&self) -> i64 {
        self.order_level().map_or(0, |l| l.amount)
    }

    /// Whether the order was authorised (5) or sold (9).
    pub fn is_authorised(&self) -> bool {
        self.order_level().is_some_and(|l| matches!(l.status.code, 5 | 9))
    }

    /// Whether this is a SwissBilling transaction.
    pub fn swissbilling(&self) -> bool {
        self.payment_method.eq_ignore_ascii_case("SwissBilling")
    }

    /// Status of the latest level.
    pub fn latest_status(&self) -> Status {
        self.levels.iter().max_by_key(|l| l.payidsub).map_or(Status::of(0), |l| l.status)
    }

    /// Whether some level carries an unknown STATUS code.
    pub fn flagged(&self) -> bool {
        self.levels.iter().any(|l| !l.status.known)
    }

    /// The highest PAYIDSUB known.
    pub fn last_payidsub(&self) -> u32 {
        self.levels.iter().map(|l| l.payidsub).max().unwrap_or(0)
    }

    fn sale(&self) -> i64 {
        self.order_level().filter(|l| l.status.code == 9).map_or(0, |l| l.amount)
    }

    fn sum(&self, kind: Kind, pred: impl Fn(Status) -> bool) -> i64 {
        self.levels.iter().filter(|l| l.payidsub > 0 && l.kind == kind && pred(l.status)).map(|l| l.amount).sum()
    }

    fn in_flight_sum(&self, kind: Kind) -> i64 {
        self.in_flight.iter().filter(|f| f.op.kind() == kind).map(|f| f.amount).sum()
    }

    /// Captured: pending, final or uncertain.
    pub fn captured(&self) -> i64 {
        self.sale() + self.sum(Kind::Capture, Status::live)
    }

    /// Captured and final.
    pub fn captured_final(&self) -> i64 {
        self.sale() + self.sum(Kind::Capture, |s| s.phase == Phase::Final)
    }

    /// Refunded: pending, final or uncertain.
    pub fn refunded(&self) -> i64 {
        self.sum(Kind::Refund, Status::live)
    }

    /// Authorisation deleted: pending, final or uncertain.
    pub fn deleted(&self) -> i64 {
        self.sum(Kind::Deletion, Status::live)
    }

    /// Amounts reserved by requests in flight (all kinds).
    pub fn in_flight_total(&self) -> i64 {
        self.in_flight.iter().map(|f| f.amount).sum()
    }

    /// The committed amounts (levels plus in-flight reservations).
    pub fn amounts(&self) -> Amounts {
        Amounts {
            authorised: self.authorised(),
            capture_committed: self.captured() + self.in_flight_sum(Kind::Capture),
            delete_committed: self.deleted() + self.in_flight_sum(Kind::Deletion),
            captured_final: self.captured_final(),
            refund_committed: self.refunded() + self.in_flight_sum(Kind::Refund),
        }
    }

    fn live_or_in_flight(&self, op: OpCode) -> bool {
        self.levels.iter().any(|l| l.operation == op.code() && l.status.live())
            || self.in_flight.iter().any(|f| f.op == op)
    }

    /// No further capture: a last capture or closing deletion (live or in flight), a direct
    /// sale, or — for SwissBilling — any capture at all (full captures only).
    pub fn capture_closed(&self) -> bool {
        self.sale() > 0
            || self.live_or_in_flight(OpCode::Sas)
            || self.live_or_in_flight(OpCode::Des)
            || (self.swissbilling() && (self.captured() > 0 || self.in_flight_sum(Kind::Capture) > 0))
    }

    /// No further refund: a last refund, live or in flight.
    pub fn refund_closed(&self) -> bool {
        self.live_or_in_flight(OpCode::Rfs)
    }

    /// Records a level: replaces the level of the same PAYIDSUB or inserts it in order.
    /// Returns the previous status when it changed, `None` when new or unchanged.
    pub fn record(&mut self, level: Level) -> Option<Status> {
        match self.levels.iter_mut().find(|l| l.payidsub == level.payidsub) {
            Some(l) => {
                let before = l.status;
                if l.operation.is_empty() {
                    l.operation = level.operation;
                }
                l.status = level.status;
                l.amount = level.amount;
                (before != l.status).then_some(before)
            }
            None => {
                let at = self.levels.iter().position(|l| l.payidsub > level.payidsub).unwrap_or(self.levels.len());
                self.levels.insert(at, level);
                None
            }
        }
    }
}
