//! Transition tables of the manual-payment state machine.

use chrono::{Duration, NaiveDate};

use super::*;
use crate::domain::manual::fixtures::merchant;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z").unwrap().to_utc()
}

fn payment(state: State) -> Payment {
    Payment {
        order_id: kit::OrderId::parse("mp-1").unwrap(),
        offer_id: "course-42".into(),
        merchant_id: "cash-desk".into(),
        customer_id: "c-7".into(),
        price: Money::new(9_900, Currency::CHF),
        payment_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        customer_comment: "bar bezahlt".into(),
        state,
        deadline: t0() + Duration::days(30),
        created_by: "customer".into(),
        manager_comment: String::new(),
        fees: None,
        created_at: t0(),
    }
}

fn outcome(p: &Payment, c: Command<'_>) -> Result<Vec<&'static str>, &'static str> {
    match decide(p, c) {
        Ok(events) => Ok(events.iter().map(Event::event_type).collect()),
        Err(DecideError::Refused(r)) => Err(r.reason),
        Err(DecideError::Invalid(_)) => Err("INVALID"),
    }
}

#[test]
fn mp_04_mp_06_mp_10_every_command_in_every_state() {
    let m = merchant();
    let now = t0() + Duration::days(1);
    let approve = || Command::Approve { actor: "maria", adjust: Adjust::default(), merchant: &m, now };
    let reject = || Command::Reject { actor: "maria", adjust: Adjust::default() };
    let refund = || Command::Refund { actor: "maria", comment: None };
    let expire = || Command::Expire { now: t0() + Duration::days(30) };
    use State::*;
    // A customer's payment: approved (Разрешен); one a manager recorded is also completed (below).
    let ok_approve = Ok(vec!["manual_payment_approved"]);
    let ok_reject = Ok(vec!["manual_payment_rejected"]);
    let ok_refund = Ok(vec!["manual_payment_refunded"]);
    let illegal = Err("ILLEGAL_TRANSITION");
    let cases = [
        (Open, ok_approve.clone(), ok_reject.clone(), illegal.clone(), ok_reject.clone()),
        (Approved, illegal.clone(), illegal.clone(), ok_refund.clone(), illegal.clone()),
        (Completed, illegal.clone(), illegal.clone(), ok_refund.clone(), illegal.clone()),
        (Rejected, illegal.clone(), illegal.clone(), illegal.clone(), illegal.clone()),
        (Refunded, illegal.clone(), illegal.clone(), illegal.clone(), illegal.clone()),
    ];
    for (state, a, r, f, e) in cases {
        let p = payment(state);
        assert_eq!(outcome(&p, approve()), a, "approve {state:?}");
        assert_eq!(outcome(&p, reject()), r, "reject {state:?}");
        assert_eq!(outcome(&p, refund()), f, "refund {state:?}");
        assert_eq!(outcome(&p, expire()), e, "expire {state:?}");
    }
}

#[test]
fn mp_10_refusals_name_the_transition_and_change_nothing() {
    let p = payment(State::Rejected);
    let before = p.clone();
    let Err(DecideError::Refused(r)) = decide(&p, Command::Refund { actor: "maria", comment: None }) else {
        panic!("refund of a rejected payment must be refused");
    };
    assert_eq!(r.message, "cannot refund a payment that is rejected");
    assert_eq!(p, before);
}

#[test]
fn mp_04_approval_applies_adjustments_and_books_the_fees() {
    let m = merchant();
    let p = payment(State::Open);
    let adjust = Adjust {
        price: Some(Money::new(10_000, Currency::CHF)),
        payment_date: NaiveDate::from_ymd_opt(2026, 1, 3),
        comment: Some("Betrag korrigiert".into()),
        rates: vec![],
    };
    let events =
        decide(&p, Command::Approve { actor: "maria", adjust: adjust.clone(), merchant: &m, now: t0() }).unwrap();
    let recorded = Payment { created_by: "maria".into(), ..p.clone() };
    let p = events.iter().fold(p, apply);
    assert_eq!(p.state, State::Approved, "a customer's payment confirmed by a manager is approved (Разрешен)");
    let completed = decide(&recorded, Command::Approve { actor: "maria", adjust, merchant: &m, now: t0() }).unwrap();
    assert_eq!(completed.iter().fold(recorded, apply).state, State::Completed, "one the manager recorded: Завершен");
    assert_eq!(p.price.minor(), 10_000);
    assert_eq!(p.payment_date.to_string(), "2026-01-03");
    assert_eq!(p.manager_comment, "Betrag korrigiert");
    assert_eq!(p.fees.as_ref().map(|f| f.net.minor()), Some(10_000 - 250 - 30));
    // A currency the merchant does not support is refused as input.
    let adjust = Adjust { price: Some(Money::new(100, Currency::USD)), ..Default::default() };
    let err = decide(&payment(State::Open), Command::Approve { actor: "m", adjust, merchant: &m, now: t0() });
    assert!(matches!(err, Err(DecideError::Invalid(_))), "{err:?}");
    // EUR needs a rate.
    let adjust = Adjust { price: Some(Money::new(100, Currency::EUR)), ..Default::default() };
    let err = decide(&payment(State::Open), Command::Approve { actor: "m", adjust, merchant: &m, now: t0() });
    assert!(matches!(err, Err(DecideError::Invalid(v)) if v.items()[0].0 == "adjustments.rates"));
}

#[test]
fn mp_05_the_deadline_decides_between_approval_and_automatic_rejection() {
    let m = merchant();
    let p = payment(State::Open);
    let just_before = p.deadline - Duration::seconds(1);
    assert_eq!(outcome(&p, Command::Expire { now: just_before }), Err("NOT_DUE"));
    assert_eq!(
        outcome(&p, Command::Approve { actor: "m", adjust: Adjust::default(), merchant: &m, now: p.deadline }),
        Err("DEADLINE_PASSED")
    );
    let events = decide(&p, Command::Expire { now: p.deadline }).unwrap();
    assert!(events[0].automatic());
    assert_eq!(events[0].actor(), "system");
    assert_eq!(events.iter().fold(p, apply).state, State::Rejected);
}
