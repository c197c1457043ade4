//! Tables of maintenance decisions (IC-10, IC-11, IC-17) and a model-based property test: random
//! sequences of requests, partner answers (accepted, refused, lost) and settlements never
//! capture more than authorised nor refund more than captured.

use kit::money::Currency;
use proptest::prelude::*;

use super::*;
use crate::domain::swissbilling::status::Status;
use crate::domain::swissbilling::transaction::{Level, PfEnv};

const ALL_OPTIONS: AccountOptions =
    AccountOptions { partial_maintenance: true, multiple_maintenance: true, refunds: true };

fn tx(pm: &str, authorised: i64) -> Transaction {
    Transaction {
        order_id: kit::OrderId::parse("SB-1").unwrap(),
        tenant: "shop".into(),
        env: PfEnv::Test,
        payid: 3_000_001,
        payment_method: pm.into(),
        currency: Currency::CHF,
        levels: vec![Level {
            payidsub: 0,
            kind: Kind::Order,
            operation: "RES".into(),
            amount: authorised,
            status: Status::of(5),
        }],
        in_flight: vec![],
    }
}

/// Applies an accepted plan as PostFinance would: a new pending level.
fn accept(t: &mut Transaction, p: Planned) {
    let status = match p.op.kind() {
        Kind::Capture => 91,
        Kind::Refund => 81,
        Kind::Deletion => 61,
        _ => 5,
    };
    let payidsub = t.last_payidsub() + 1;
    t.record(Level {
        payidsub,
        kind: p.op.kind(),
        operation: p.op.code().into(),
        amount: p.amount,
        status: Status::of(status),
    });
}

/// Settles every pending level (accepted by the acquirer).
fn settle(t: &mut Transaction) {
    for l in &mut t.levels {
        let next = match l.status.code {
            91 => 9,
            81 => 8,
            61 => 6,
            c => c,
        };
        l.status = Status::of(next);
    }
}

/// (operation, amount, settle first) → refusal reason or "" for accepted.
type Step = (OpCode, Option<i64>, bool);

fn run(mut t: Transaction, options: AccountOptions, steps: &[Step]) -> Vec<&'static str> {
    steps
        .iter()
        .map(|(op, amount, settle_first)| {
            if *settle_first {
                settle(&mut t);
            }
            match decide(&t, options, *op, *amount) {
                Ok(p) => {
                    accept(&mut t, p);
                    ""
                }
                Err(r) => r.reason,
            }
        })
        .collect()
}

#[test]
fn ic_10_swissbilling_takes_full_captures_only_and_no_renewal_or_manual_authorisation() {
    use OpCode::*;
    let cases: Vec<(&str, Vec<Step>, Vec<&str>)> = vec![
        ("full SAS", vec![(Sas, Some(14_900), false)], vec![""]),
        ("SAS without amount is the full amount", vec![(Sas, None, false)], vec![""]),
        ("SAS below the authorised amount", vec![(Sas, Some(10_000), false)], vec!["PARTIAL_CAPTURE_NOT_ALLOWED"]),
        ("SAL", vec![(Sal, Some(14_900), false)], vec!["PARTIAL_CAPTURE_NOT_ALLOWED"]),
        ("a second SAS", vec![(Sas, None, false), (Sas, None, false)], vec!["", "ALREADY_CAPTURED"]),
        ("REN", vec![(Ren, None, false)], vec!["CREDIT_CARD_ONLY"]),
        ("manual authorisation", vec![(ManualAuthorisation, None, false)], vec!["CREDIT_CARD_ONLY"]),
        ("RFD then RFS", vec![(Sas, None, false), (Rfd, Some(900), true), (Rfs, None, false)], vec!["", "", ""]),
        (
            "refund after RFS",
            vec![(Sas, None, false), (Rfs, Some(900), true), (Rfd, Some(100), false)],
            vec!["", "", "REFUNDS_CLOSED"],
        ),
        ("DES, then nothing to capture", vec![(Des, None, false), (Sas, None, false)], vec!["", "CAPTURE_CLOSED"]),
        (
            "DEL part then SAS is partial",
            vec![(Del, Some(900), false), (Sas, None, false)],
            vec!["", "PARTIAL_CAPTURE_NOT_ALLOWED"],
        ),
    ];
    for (name, steps, want) in cases {
        assert_eq!(run(tx("SwissBilling", 14_900), ALL_OPTIONS, &steps), want, "{name}");
    }
}

#[test]
fn ic_11_amounts_never_exceed_the_authorised_or_the_captured_amount() {
    use OpCode::*;
    let cases: Vec<(&str, &str, Vec<Step>, Vec<&str>)> = vec![
        (
            "capture above authorised",
            "SwissBilling",
            vec![(Sas, Some(14_901), false)],
            vec!["AMOUNT_EXCEEDS_AUTHORISED"],
        ),
        (
            "refund before the capture is final",
            "SwissBilling",
            vec![(Sas, None, false), (Rfd, Some(100), false)],
            vec!["", "CAPTURE_NOT_SETTLED"],
        ),
        (
            "refund above captured",
            "SwissBilling",
            vec![(Sas, None, false), (Rfd, Some(14_901), true)],
            vec!["", "AMOUNT_EXCEEDS_CAPTURED"],
        ),
        (
            "refunds add up to the captured amount, not beyond",
            "SwissBilling",
            vec![(Sas, None, false), (Rfd, Some(10_000), true), (Rfd, Some(4_900), false), (Rfd, Some(1), false)],
            vec!["", "", "", "NOTHING_LEFT"],
        ),
        ("refund with nothing captured", "SwissBilling", vec![(Rfd, Some(100), false)], vec!["NOTHING_LEFT"]),
        (
            "card: partial captures up to the authorised amount",
            "CreditCard",
            vec![(Sal, Some(10_000), false), (Sal, Some(5_000), false), (Sas, Some(4_900), false)],
            vec!["", "AMOUNT_EXCEEDS_AUTHORISED", ""],
        ),
        ("zero amount", "SwissBilling", vec![(Sas, Some(0), false)], vec!["AMOUNT_NOT_POSITIVE"]),
    ];
    for (name, pm, steps, want) in cases {
        assert_eq!(run(tx(pm, 14_900), ALL_OPTIONS, &steps), want, "{name}");
    }
}

#[test]
fn ic_17_account_options_refuse_what_they_do_not_allow_naming_the_option() {
    use OpCode::*;
    let none = AccountOptions::default();
    type Case<'a> = (&'a str, AccountOptions, Vec<Step>, Vec<&'a str>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "refunds off",
            AccountOptions { refunds: false, ..ALL_OPTIONS },
            vec![(Sas, None, false), (Rfs, None, true)],
            vec!["", "ACCOUNT_OPTION_DISABLED"],
            "refunds",
        ),
        (
            "multiple maintenance off: RFD",
            AccountOptions { multiple_maintenance: false, ..ALL_OPTIONS },
            vec![(Sas, None, false), (Rfd, Some(100), true)],
            vec!["", "ACCOUNT_OPTION_DISABLED"],
            "multiple maintenance",
        ),
        (
            "partial maintenance off: RFS of a part",
            AccountOptions { partial_maintenance: false, ..ALL_OPTIONS },
            vec![(Sas, None, false), (Rfs, Some(100), true)],
            vec!["", "ACCOUNT_OPTION_DISABLED"],
            "partial maintenance",
        ),
        ("nothing enabled: full SAS and full DES still work", none, vec![(Sas, None, false)], vec![""], ""),
        (
            "nothing enabled: DEL",
            none,
            vec![(Del, None, false)],
            vec!["ACCOUNT_OPTION_DISABLED"],
            "multiple maintenance",
        ),
    ];
    for (name, options, steps, want, option_named) in cases {
        assert_eq!(run(tx("SwissBilling", 14_900), options, &steps), want, "{name}");
        if !option_named.is_empty() {
            let mut t = tx("SwissBilling", 14_900);
            for (op, amount, settle_first) in &steps[..steps.len() - 1] {
                if *settle_first {
                    settle(&mut t);
                }
                let p = decide(&t, options, *op, *amount).unwrap();
                accept(&mut t, p);
            }
            let (op, amount, settle_first) = steps[steps.len() - 1];
            if settle_first {
                settle(&mut t);
            }
            let r = decide(&t, options, op, amount).unwrap_err();
            assert!(r.message.contains(option_named), "{name}: {}", r.message);
        }
    }
}

#[test]
fn in_flight_reservations_count_against_the_ceilings() {
    let t = tx("SwissBilling", 14_900);
    let p = decide(&t, ALL_OPTIONS, OpCode::Sas, None).unwrap();
    let reserved = reserve(&t, "r1", p);
    assert_eq!(decide(&reserved, ALL_OPTIONS, OpCode::Sas, None).unwrap_err().reason, "ALREADY_CAPTURED");
    assert_eq!(reserved.amounts().capture_committed, 14_900);
    // An order that was not authorised takes no maintenance.
    let mut refused = tx("SwissBilling", 14_900);
    refused.levels[0].status = Status::of(2);
    assert_eq!(decide(&refused, ALL_OPTIONS, OpCode::Sas, None).unwrap_err().reason, "ORDER_NOT_AUTHORISED");
}

/// One step of the model: a request and what the partner does with it, or a settlement.
#[derive(Debug, Clone)]
enum Action {
    /// Request `op` (by index) with an optional amount; the partner answers 0 accepted,
    /// 1 refused, 2 lost (stays in flight).
    Request(usize, Option<i64>, u8),
    /// The oldest lost request turns out accepted (true) or not done (false).
    Resolve(bool),
    /// Pending levels settle: 0 accepted, 1 refused by the acquirer, 2 uncertain.
    Settle(u8),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (0usize..8, proptest::option::of(1i64..20_000), 0u8..3).prop_map(|(o, a, r)| Action::Request(o, a, r)),
        1 => any::<bool>().prop_map(Action::Resolve),
        2 => (0u8..3).prop_map(Action::Settle),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ic_11_random_maintenance_sequences_never_capture_or_refund_more_than_authorised(
        swissbilling in any::<bool>(),
        authorised in 1i64..20_000,
        options in (any::<bool>(), any::<bool>(), any::<bool>()),
        actions in proptest::collection::vec(action(), 1..40),
    ) {
        let options = AccountOptions { partial_maintenance: options.0, multiple_maintenance: options.1, refunds: options.2 };
        let mut t = tx(if swissbilling { "SwissBilling" } else { "CreditCard" }, authorised);
        for (i, a) in actions.iter().enumerate() {
            match a {
                Action::Request(op, amount, answer) => {
                    if let Ok(p) = decide(&t, options, OpCode::ALL[*op], *amount) {
                        prop_assert!(p.amount > 0);
                        match answer {
                            0 => accept(&mut t, p),
                            1 => {}
                            _ => t = reserve(&t, &format!("r{i}"), p),
                        }
                    }
                }
                Action::Resolve(done) => {
                    if !t.in_flight.is_empty() {
                        let f = t.in_flight.remove(0);
                        if *done {
                            accept(&mut t, Planned { op: f.op, amount: f.amount });
                        }
                    }
                }
                Action::Settle(how) => {
                    for l in &mut t.levels {
                        let next = match (l.status.code, how) {
                            (91, 0) => 9, (81, 0) => 8, (61, 0) => 6,
                            (91, 1) => 93, (81, 1) => 83, (61, 1) => 63,
                            (91, _) => 92, (81, _) => 82, (61, _) => 62,
                            (c, _) => c,
                        };
                        l.status = Status::of(next);
                    }
                }
            }
            let a = t.amounts();
            prop_assert!(a.valid(), "ceilings broken after {:?}: {:?}", actions[..=i].to_vec(), a);
            prop_assert!(t.captured() <= authorised);
            prop_assert!(t.refunded() <= t.captured_final());
            if swissbilling {
                // Only ever one live capture, of the full amount.
                let captures: Vec<i64> = t.levels.iter()
                    .filter(|l| l.kind == Kind::Capture && l.status.live()).map(|l| l.amount).collect();
                prop_assert!(captures.len() <= 1 && captures.iter().all(|c| *c == authorised), "{captures:?}");
            }
        }
    }
}
