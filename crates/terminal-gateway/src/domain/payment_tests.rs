//! Tables of (state, command, expected) and a model-based check that states only move forward.

use proptest::prelude::*;

use super::*;

fn card() -> Card {
    Card {
        brand: "VISA".into(),
        masked_pan: "************1234".into(),
        acquirer_reference: "1".into(),
        ..Card::default()
    }
}

fn cancelled() -> TerminalOutcome {
    TerminalOutcome::Cancelled("Terminal / cancel key pressed".into())
}

fn waiting_with(cancel: Option<CancelBy>) -> Payment {
    Payment { cancel_requested: cancel, ..Payment::waiting() }
}

fn final_state(p: &Payment) -> (State, Option<Reason>) {
    (p.state, p.outcome.as_ref().map(|o| o.reason))
}

fn run(p: Payment, c: Command) -> Result<Payment, DecideError> {
    let events = decide(&p, c)?;
    Ok(events.iter().fold(p, apply))
}

#[test]
fn tg_10_observations_on_a_waiting_payment_table() {
    use TerminalOutcome as O;
    let cases: Vec<(Option<CancelBy>, TerminalOutcome, State, Option<Reason>)> = vec![
        (None, O::Approved(card()), State::Approved, Some(Reason::Approved)),
        (None, O::Declined("Declined".into()), State::Declined, Some(Reason::Declined)),
        (None, cancelled(), State::Cancelled, Some(Reason::CancelledAtTerminal)),
        (Some(CancelBy::Operator), cancelled(), State::Cancelled, Some(Reason::CancelledByGateway)),
        (Some(CancelBy::Timeout), cancelled(), State::TimedOut, Some(Reason::PaymentTimedOut)),
        (Some(CancelBy::Timeout), O::Approved(card()), State::Approved, Some(Reason::Approved)),
        (Some(CancelBy::Operator), O::Approved(card()), State::Approved, Some(Reason::Approved)),
        (None, O::Refused(Refusal::Busy, "Terminal busy".into()), State::Failed, Some(Reason::TerminalBusy)),
        (None, O::Refused(Refusal::NotConnected, "x".into()), State::Failed, Some(Reason::TerminalNotConnected)),
        (None, O::Refused(Refusal::UnknownTerminal, "x".into()), State::Failed, Some(Reason::TerminalUnknownAtNets)),
        (None, O::Refused(Refusal::Rejected, "x".into()), State::Failed, Some(Reason::RejectedByNets)),
        (None, O::Unknown("99".into()), State::Waiting, None),
    ];
    for (cancel, outcome, state, reason) in cases {
        let p = run(waiting_with(cancel), Command::Observe(outcome.clone())).unwrap();
        assert_eq!(final_state(&p), (state, reason), "{cancel:?} {outcome:?}");
    }
}

#[test]
fn tg_13_unknown_outcome_detaches_without_a_visible_change() {
    let p = run(Payment::waiting(), Command::Observe(TerminalOutcome::Unknown("Result 99".into()))).unwrap();
    assert!(p.detached);
    assert_eq!(p.version, 1, "not a visible change");
    assert_eq!(decide(&p, Command::Observe(TerminalOutcome::Unknown("again".into()))).unwrap(), vec![]);
}

#[test]
fn tg_12_cancel_requests_are_recorded_once_and_refused_after_the_end() {
    let p = run(Payment::waiting(), Command::RequestCancel(CancelBy::Operator)).unwrap();
    assert_eq!(p.cancel_requested, Some(CancelBy::Operator));
    assert_eq!(p.version, 2);
    assert_eq!(decide(&p, Command::RequestCancel(CancelBy::Timeout)).unwrap(), vec![]);
    let done = run(p, Command::Observe(cancelled())).unwrap();
    assert_eq!(decide(&done, Command::RequestCancel(CancelBy::Operator)), Err(DecideError::Finished(State::Cancelled)));
    assert_eq!(decide(&done, Command::RequestCancel(CancelBy::Timeout)).unwrap(), vec![]);
}

#[test]
fn tg_22_giving_up_times_out_unconfirmed_and_a_late_approval_never_reopens() {
    let p = run(waiting_with(Some(CancelBy::Timeout)), Command::GiveUp).unwrap();
    assert_eq!(final_state(&p), (State::TimedOut, Some(Reason::OutcomeUnconfirmed)));
    let late = run(p.clone(), Command::Observe(TerminalOutcome::Approved(card()))).unwrap();
    assert_eq!(late.state, State::TimedOut, "states only move forward");
    assert_eq!(late.late_approval, Some(card()));
    assert_eq!(late.version, p.version + 1);
    assert_eq!(decide(&late, Command::Observe(TerminalOutcome::Approved(card()))).unwrap(), vec![], "recorded once");
    assert_eq!(decide(&late, Command::GiveUp).unwrap(), vec![]);
    assert!(late.holds_terminal, "the late approval still holds the terminal until it is voided");
}

#[test]
fn tg_30_a_payment_holds_its_terminal_until_nets_told_how_its_transaction_ended() {
    // Any answer of the terminal releases it; giving up does not.
    for outcome in [TerminalOutcome::Approved(card()), cancelled(), TerminalOutcome::Declined("d".into())] {
        assert!(!run(Payment::waiting(), Command::Observe(outcome)).unwrap().holds_terminal);
    }
    let busy = TerminalOutcome::Refused(Refusal::Busy, "Terminal busy".into());
    assert!(!run(Payment::waiting(), Command::Observe(busy)).unwrap().holds_terminal, "ours never ran");
    let unknown = run(Payment::waiting(), Command::Observe(TerminalOutcome::Unknown("lost".into()))).unwrap();
    assert!(unknown.holds_terminal && unknown.detached);
    let given_up = run(waiting_with(Some(CancelBy::Timeout)), Command::GiveUp).unwrap();
    assert!(given_up.holds_terminal, "the terminal may still run it");
    // Nets' later word releases it: a matched non-approval, another transaction, the hold limit.
    let cases = [
        (Command::Observe(cancelled()), Some(Release::Confirmed)),
        (Command::Observe(TerminalOutcome::Unknown("99".into())), None),
        (Command::NotOurs { maybe_later: false }, Some(Release::NeverRan)),
        (Command::NotOurs { maybe_later: true }, Some(Release::Overwritten)),
        (Command::HoldLimit, Some(Release::HoldLimit)),
    ];
    for (c, want) in cases {
        let events = decide(&given_up, c.clone()).unwrap();
        assert_eq!(events, want.map(Event::Released).into_iter().collect::<Vec<_>>(), "{c:?}");
        assert_eq!(events.iter().fold(given_up.clone(), apply).holds_terminal, want.is_none(), "{c:?}");
        assert!(events.iter().all(|e| !e.is_visible()), "no state change others see");
    }
    assert_eq!(decide(&unknown, Command::NotOurs { maybe_later: true }).unwrap(), vec![], "waiting: keep asking");
}

#[test]
fn tg_32_a_late_approval_is_voided_once_and_then_releases_the_terminal() {
    let given_up = run(waiting_with(Some(CancelBy::Timeout)), Command::GiveUp).unwrap();
    assert_eq!(decide(&given_up, Command::RequestVoid).unwrap(), vec![], "nothing to void yet");
    let late = run(given_up, Command::Observe(TerminalOutcome::Approved(card()))).unwrap();
    let requested = run(late, Command::RequestVoid).unwrap();
    assert_eq!((requested.void, requested.holds_terminal), (Some(VoidState::Requested), true));
    assert_eq!(decide(&requested, Command::RequestVoid).unwrap(), vec![], "a void is sent once");
    for v in [VoidState::Voided, VoidState::Refused, VoidState::Unknown] {
        let done = run(requested.clone(), Command::VoidAnswered(v)).unwrap();
        assert_eq!((done.void, done.holds_terminal, done.state), (Some(v), false, State::TimedOut));
        assert_eq!(done.version, requested.version + 1, "the void's end is on the timeline");
        assert_eq!(decide(&done, Command::VoidAnswered(VoidState::Voided)).unwrap(), vec![]);
    }
}

#[test]
fn final_states_ignore_further_observations() {
    for outcome in
        [TerminalOutcome::Declined("x".into()), cancelled(), TerminalOutcome::Refused(Refusal::Busy, "x".into())]
    {
        let p = run(Payment::waiting(), Command::Observe(outcome)).unwrap();
        for later in [TerminalOutcome::Approved(card()), cancelled(), TerminalOutcome::Unknown("x".into())] {
            assert_eq!(decide(&p, Command::Observe(later)).unwrap(), vec![]);
        }
    }
}

#[test]
fn stored_names_round_trip() {
    for s in [State::Waiting, State::Approved, State::Declined, State::Cancelled, State::TimedOut, State::Failed] {
        assert_eq!(State::parse(s.as_str()), Some(s));
    }
    for r in [Reason::Approved, Reason::CancelledAtTerminal, Reason::PaymentTimedOut, Reason::OutcomeUnconfirmed] {
        assert_eq!(Reason::parse(r.as_str()), Some(r));
    }
    assert_eq!(CancelBy::parse("timeout"), Some(CancelBy::Timeout));
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Observe(TerminalOutcome::Approved(card()))),
        Just(Command::Observe(TerminalOutcome::Declined("d".into()))),
        Just(Command::Observe(cancelled())),
        Just(Command::NotOurs { maybe_later: true }),
        Just(Command::HoldLimit),
        Just(Command::RequestVoid),
        Just(Command::VoidAnswered(VoidState::Voided)),
        Just(Command::Observe(TerminalOutcome::Unknown("u".into()))),
        Just(Command::Observe(TerminalOutcome::Refused(Refusal::Busy, "b".into()))),
        Just(Command::RequestCancel(CancelBy::Operator)),
        Just(Command::RequestCancel(CancelBy::Timeout)),
        Just(Command::GiveUp),
    ]
}

proptest! {
    /// Model check: whatever arrives in whatever order, a payment ends at most once, its
    /// final state never changes, versions only grow, and only approvals carry card data.
    #[test]
    fn states_only_move_forward(commands in proptest::collection::vec(command(), 0..12)) {
        let mut p = Payment::waiting();
        let mut ended_as: Option<State> = None;
        for c in commands {
            let before = p.clone();
            let Ok(events) = decide(&p, c) else { prop_assert!(p.state.is_final()); continue };
            p = events.iter().fold(p, apply);
            prop_assert!(p.version >= before.version);
            if let Some(s) = ended_as { prop_assert_eq!(p.state, s); }
            if p.state.is_final() { ended_as.get_or_insert(p.state); }
            prop_assert_eq!(p.card.is_some(), p.state == State::Approved);
            prop_assert!(p.late_approval.is_none() || p.state == State::TimedOut);
            prop_assert!(p.void.is_none() || p.late_approval.is_some(), "only late approvals are voided");
            prop_assert!(!before.holds_terminal.lt(&p.holds_terminal), "a released terminal is never taken back");
        }
    }
}
