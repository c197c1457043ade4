//! PostFinance transaction STATUS codes mapped to named states (IC-13; the cases in
//! `crates/sandbox/contracts/postfinance/query.json`).
//! An unknown code is kept as received and flagged — never guessed into a known state — and
//! counts as "uncertain": money may have moved, so nothing is released or retried on it.
//!
//! Sources of the table: the platform's status list as public clients copy it
//! (`whatwedo/PostFinanceEPayment: src/whatwedo/PostFinanceEPayment/Model/PaymentStatus.php @
//! dcf6ed0fc00e5a01d24d302a2ce0d9711c656caa` L28-74; `open-formulieren/open-forms:
//! src/openforms/payments/contrib/ogone/constants.py @ 44ee2ef9572ccee44099488eba9bb120f35b6a90`
//! L19-55; `digitickets/omnipay-barclays-epdq: src/Omnipay/BarclaysEpdq/Message/
//! EssentialCompletePurchaseResponse.php @ d93c1500353085a9e05aa88f1419e07aeafc0749`) and the
//! DirectLink guide §4.3/§5.3. **84** is "Payment declined by the acquirer (will be debited)":
//! a capture the acquirer turned down, not a refund. **97/98** are "being processed
//! (intermediate technical status)", like 99. **88** ("the query on querydirect.asp failed") is
//! not a transaction status; the adapter treats it as a failed query (`postfinance::wire`).

/// What a status means for the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the acquirer or the customer (91, 81, 61, 41, 51 …): will change.
    Pending,
    /// Done (5, 9, 8, 6 …).
    Final,
    /// Refused or invalid (2, 93, 83, 63, 0 …): nothing moved.
    Refused,
    /// Not known (52, 92, 82, 62, and every unknown code): never treat as failed.
    Uncertain,
    /// Cancelled by the customer (1).
    Cancelled,
}

/// Which kind of history level a status belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Level 0: the order (authorisation).
    Order,
    /// SAL / SAS.
    Capture,
    /// RFD / RFS.
    Refund,
    /// DEL / DES.
    Deletion,
    /// REN.
    Renewal,
    /// Anything else (payment deletions 7x, unknown codes).
    Other,
}

impl Kind {
    /// Stable name for storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Order => "order",
            Kind::Capture => "capture",
            Kind::Refund => "refund",
            Kind::Deletion => "deletion",
            Kind::Renewal => "renewal",
            Kind::Other => "unknown",
        }
    }

    /// Parses [`Kind::as_str`].
    pub fn parse(s: &str) -> Kind {
        match s {
            "order" => Kind::Order,
            "capture" => Kind::Capture,
            "refund" => Kind::Refund,
            "deletion" => Kind::Deletion,
            "renewal" => Kind::Renewal,
            _ => Kind::Other,
        }
    }
}

/// A STATUS with its meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// The code as received.
    pub code: u16,
    /// Named state; `unknown` for a code not in the table.
    pub name: &'static str,
    /// What it means for the money.
    pub phase: Phase,
    /// False when the code is not in the table (flagged).
    pub known: bool,
}

/// The table: code, name, phase.
const TABLE: &[(u16, &str, Phase)] = &[
    (0, "invalid_or_incomplete", Phase::Refused),
    (1, "cancelled_by_customer", Phase::Cancelled),
    (2, "authorisation_refused", Phase::Refused),
    (4, "order_stored", Phase::Pending),
    (40, "stored_waiting_external_result", Phase::Pending),
    (41, "waiting_for_client_payment", Phase::Pending),
    (46, "waiting_authentication", Phase::Pending),
    (5, "authorised", Phase::Final),
    (50, "authorised_waiting_external_result", Phase::Pending),
    (51, "authorisation_waiting", Phase::Pending),
    (52, "authorisation_not_known", Phase::Uncertain),
    (55, "standby", Phase::Pending),
    (56, "ok_with_scheduled_payments", Phase::Final),
    (57, "not_ok_with_scheduled_payments", Phase::Refused),
    (59, "authorisation_to_be_requested_manually", Phase::Pending),
    (6, "authorised_and_cancelled", Phase::Final),
    (61, "authorisation_deletion_waiting", Phase::Pending),
    (62, "authorisation_deletion_uncertain", Phase::Uncertain),
    (63, "authorisation_deletion_refused", Phase::Refused),
    (64, "authorised_and_cancelled", Phase::Final),
    (7, "payment_deleted", Phase::Final),
    (71, "payment_deletion_pending", Phase::Pending),
    (72, "payment_deletion_uncertain", Phase::Uncertain),
    (73, "payment_deletion_refused", Phase::Refused),
    (74, "payment_deleted", Phase::Final),
    (75, "deletion_handled_by_merchant", Phase::Final),
    (8, "refund", Phase::Final),
    (81, "refund_pending", Phase::Pending),
    (82, "refund_uncertain", Phase::Uncertain),
    (83, "refund_refused", Phase::Refused),
    (84, "payment_declined_by_acquirer", Phase::Refused),
    (85, "refund_handled_by_merchant", Phase::Final),
    (9, "payment_requested", Phase::Final),
    (91, "payment_processing", Phase::Pending),
    (92, "payment_uncertain", Phase::Uncertain),
    (93, "payment_refused", Phase::Refused),
    (94, "refund_declined_by_acquirer", Phase::Refused),
    (95, "payment_handled_by_merchant", Phase::Final),
    (96, "refund_reversed", Phase::Final),
    (97, "being_processed", Phase::Pending),
    (98, "being_processed", Phase::Pending),
    (99, "being_processed", Phase::Pending),
];

impl Status {
    /// The meaning of `code`; unknown codes are kept and flagged as uncertain.
    pub fn of(code: u16) -> Status {
        match TABLE.iter().find(|(c, _, _)| *c == code) {
            Some((code, name, phase)) => Status { code: *code, name, phase: *phase, known: true },
            None => Status { code, name: "unknown", phase: Phase::Uncertain, known: false },
        }
    }

    /// Whether money is (or may be) bound by a level in this status: pending, final or
    /// uncertain, but not refused.
    pub fn live(self) -> bool {
        matches!(self.phase, Phase::Pending | Phase::Final | Phase::Uncertain)
    }

    /// The kind of maintenance level this status belongs to, by its family (9x capture, 8x
    /// refund, 6x deletion). Used for levels this service did not request itself.
    pub fn maintenance_kind(self) -> Kind {
        match self.code {
            9 | 84 | 91 | 92 | 93 | 95 => Kind::Capture,
            8 | 81 | 82 | 83 | 85 | 94 | 96 => Kind::Refund,
            6 | 61 | 62 | 63 | 64 => Kind::Deletion,
            5 => Kind::Renewal,
            _ => Kind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ic_13_status_codes_map_to_named_states_and_unknown_codes_are_kept_and_flagged() {
        let cases = [
            (5, "authorised", Phase::Final, true),
            (91, "payment_processing", Phase::Pending, true),
            (9, "payment_requested", Phase::Final, true),
            (92, "payment_uncertain", Phase::Uncertain, true),
            (93, "payment_refused", Phase::Refused, true),
            (81, "refund_pending", Phase::Pending, true),
            (8, "refund", Phase::Final, true),
            (83, "refund_refused", Phase::Refused, true),
            (61, "authorisation_deletion_waiting", Phase::Pending, true),
            (6, "authorised_and_cancelled", Phase::Final, true),
            (2, "authorisation_refused", Phase::Refused, true),
            (1, "cancelled_by_customer", Phase::Cancelled, true),
            (52, "authorisation_not_known", Phase::Uncertain, true),
            (0, "invalid_or_incomplete", Phase::Refused, true),
            (3, "unknown", Phase::Uncertain, false),
            (88, "unknown", Phase::Uncertain, false),
            (12345, "unknown", Phase::Uncertain, false),
        ];
        for (code, name, phase, known) in cases {
            let s = Status::of(code);
            assert_eq!((s.code, s.name, s.phase, s.known), (code, name, phase, known), "{code}");
        }
        // Unknown codes bind money (never released on a guess).
        assert!(Status::of(3).live());
        assert!(!Status::of(93).live());
    }

    #[test]
    fn ic_13_status_families_name_the_level_kind() {
        let cases = [
            (91, Kind::Capture),
            (9, Kind::Capture),
            (93, Kind::Capture),
            (81, Kind::Refund),
            (8, Kind::Refund),
            (61, Kind::Deletion),
            (6, Kind::Deletion),
            (5, Kind::Renewal),
            (74, Kind::Other),
            (97, Kind::Other),
            (84, Kind::Capture),
        ];
        for (code, kind) in cases {
            assert_eq!(Status::of(code).maintenance_kind(), kind, "{code}");
        }
    }

    #[test]
    fn ic_13_status_84_is_a_payment_declined_by_the_acquirer_and_97_98_are_being_processed() {
        let s = Status::of(84);
        assert_eq!(
            (s.name, s.phase, s.maintenance_kind()),
            ("payment_declined_by_acquirer", Phase::Refused, Kind::Capture)
        );
        for code in [97, 98, 99] {
            let s = Status::of(code);
            assert_eq!((s.name, s.phase, s.known), ("being_processed", Phase::Pending, true), "{code}");
        }
    }
}
