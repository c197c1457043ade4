//! Table tests of the terminal state machine: (steps, outcome of the first transaction, error
//! of the last step).

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::nets::state::{State, Terminal};

#[derive(Debug, Clone, Copy)]
enum Step {
    Start,
    Customer(CustomerAction),
    OperatorCancel,
    Lookup,
    Advance(i64),
    Void(Option<i64>),
}

fn state() -> State {
    let mut st = State::default();
    st.config.terminal_timeout_secs = 120;
    st.accounts.insert("acct".into(), "pw".into());
    st.terminals.insert(
        "T1".into(),
        Terminal {
            id: "T1".into(),
            name: "T1".into(),
            account: "acct".into(),
            connected: true,
            currency: "CHF".into(),
            time_zone: chrono_tz::Europe::Zurich,
            mode: AutoMode::Manual,
            current: None,
            last: None,
        },
    );
    st
}

/// Runs `steps`; returns the outcome of transaction 1 and the last step's error.
fn run(steps: &[Step]) -> (Option<TxOutcome>, Option<String>) {
    let mut st = state();
    let t0: DateTime<Utc> = "2025-03-01T10:00:00Z".parse().unwrap();
    let mut now = t0;
    let mut last_err = None;
    for step in steps {
        let err = match *step {
            Step::Start => {
                let req =
                    PurchaseRequest { transaction_type: "purchase".into(), amount: 100, order_id: Some("o".into()) };
                st.start("acct", "T1", req, now).err().map(|e| format!("{e:?}"))
            }
            Step::Customer(a) => st.drive("T1", a, None, now).err().map(|e| format!("{e:?}")),
            Step::OperatorCancel => st.operator_cancel("acct", "T1", now).err().map(|e| format!("{e:?}")),
            Step::Lookup => st.lookup("acct", "T1", now).err().map(|e| format!("{e:?}")),
            Step::Advance(secs) => {
                now += Duration::seconds(secs);
                st.expire(now);
                None
            }
            Step::Void(amount) => st.void("acct", "T1", amount, now).err().map(|e| format!("{e:?}")),
        };
        last_err = err;
    }
    (st.transactions.first().map(|t| t.outcome), last_err)
}

#[test]
fn terminal_transactions_end_as_the_actors_decide() {
    use CustomerAction::*;
    use Step::*;
    use TxOutcome::*;
    type Case = (&'static str, Vec<Step>, Option<TxOutcome>, Option<&'static str>);
    let cases: Vec<Case> = vec![
        ("nothing started", vec![Lookup], None, Some("NoTransaction")),
        ("waiting", vec![Start], Some(InProgress), None),
        ("second start is busy", vec![Start, Start], Some(InProgress), Some("Busy")),
        ("customer pays", vec![Start, Customer(Approve)], Some(Approved), None),
        ("issuer declines", vec![Start, Customer(Decline)], Some(Declined), None),
        ("customer cancels", vec![Start, Customer(Cancel)], Some(CancelledByCustomer), None),
        ("operator cancels", vec![Start, OperatorCancel], Some(CancelledByOperator), None),
        (
            "cancel after authorisation completes",
            vec![Start, Customer(Authorise), OperatorCancel],
            Some(Approved),
            None,
        ),
        (
            "customer cannot cancel once authorised",
            vec![Start, Customer(Authorise), Customer(Cancel)],
            Some(InProgress),
            Some("Authorised"),
        ),
        ("terminal timeout", vec![Start, Advance(119), Advance(1)], Some(TimedOut), None),
        ("not yet timed out", vec![Start, Advance(119)], Some(InProgress), None),
        ("timeout after authorisation completes", vec![Start, Customer(Authorise), Advance(121)], Some(Approved), None),
        ("lookup aborts", vec![Start, Lookup], Some(AbortedByLookup), None),
        ("nothing to drive", vec![Start, Customer(Approve), Customer(Approve)], Some(Approved), Some("Idle")),
        ("void the approved payment", vec![Start, Customer(Approve), Void(Some(100))], Some(Approved), None),
        (
            "void with the wrong amount",
            vec![Start, Customer(Approve), Void(Some(99))],
            Some(Approved),
            Some("AmountMismatch"),
        ),
        ("void twice", vec![Start, Customer(Approve), Void(None), Void(None)], Some(Approved), Some("NoTransaction")),
        ("void a decline", vec![Start, Customer(Decline), Void(None)], Some(Declined), Some("NoTransaction")),
        ("void while busy", vec![Start, Void(None)], Some(InProgress), Some("Busy")),
        ("a new start after the end", vec![Start, Customer(Cancel), Start], Some(CancelledByCustomer), None),
    ];
    for (name, steps, outcome, err) in cases {
        let (got_outcome, got_err) = run(&steps);
        assert_eq!(got_outcome, outcome, "{name}: outcome");
        assert_eq!(got_err.as_deref(), err, "{name}: error");
    }
}

#[test]
fn the_blocked_call_is_woken_with_the_result_and_the_deadline_index_is_cleaned() {
    let mut st = state();
    let now: DateTime<Utc> = "2025-03-01T10:00:00Z".parse().unwrap();
    let req = PurchaseRequest { transaction_type: "purchase".into(), amount: 1250, order_id: None };
    let mut rx = st.start("acct", "T1", req, now).unwrap();
    assert!(rx.try_recv().is_err(), "still waiting");
    assert_eq!(st.deadlines.len(), 1);
    st.drive("T1", CustomerAction::ApproveUnknown, None, now).unwrap();
    let tx = rx.try_recv().unwrap();
    assert_eq!((tx.outcome, tx.reported_unknown, tx.amount), (TxOutcome::Approved, true, 1250));
    assert!(tx.truncated_pan.is_some() && tx.stan_auth.is_some());
    assert!(st.deadlines.is_empty());
}

#[test]
fn other_accounts_and_offline_terminals_are_refused() {
    let mut st = state();
    let now = Utc::now();
    let req = || PurchaseRequest { transaction_type: "purchase".into(), amount: 1, order_id: None };
    assert_eq!(st.start("other", "T1", req(), now).err(), Some(TerminalError::NotFound));
    if let Some(t) = st.terminals.get_mut("T1") {
        t.connected = false;
    }
    assert_eq!(st.start("acct", "T1", req(), now).err(), Some(TerminalError::Offline));
    assert_eq!(st.lookup("acct", "T1", now).err(), Some(TerminalError::Offline));
}
