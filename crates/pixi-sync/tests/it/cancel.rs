//! Cancellations of whole orders (PX-17) and of lines (PX-18), returns (PX-19).

use proto::payops::pixi_sync::v1 as pb;
use sandbox::pixi::{Cancel, CreditNoteRequest};
use sandbox::unzer::{PayKind, SeedOutcome, TxnType};

use crate::capture::ship;
use crate::helpers::{METHODS, PIXI_USER, Tenant, TestApp, txns};

async fn cancel(app: &TestApp, nr: i64, lines: &[usize]) {
    let o = app.admin.pixi_order(PIXI_USER, nr).await.unwrap();
    let keys = if lines.is_empty() { None } else { Some(lines.iter().map(|i| o.lines[*i].key).collect()) };
    app.admin.pixi_cancel(PIXI_USER, nr, &Cancel { lines: keys, ..Cancel::default() }).await.unwrap();
}

#[tokio::test]
async fn px_17_whole_order_cancel_per_mode_and_payment_type() {
    for mode in [pb::Mode::Standard, pb::Mode::Expert] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let (card, card_pay) = t.order(&app, "UNZERCC", PayKind::Card, &[6000, 4000], SeedOutcome::Authorized).await;
        let (pre, pre_pay) = t.order(&app, "VORKASSE", PayKind::Prepayment, &[3000], SeedOutcome::Pending).await;
        let (paid_pre, paid_pre_pay) =
            t.order(&app, "VORKASSE", PayKind::Prepayment, &[2000], SeedOutcome::Pending).await;
        let (piv, piv_pay) =
            t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[5000], SeedOutcome::Authorized).await;
        let (sdd, sdd_pay) =
            t.order(&app, "UNZERDD", PayKind::SepaDirectDebitSecured, &[4000], SeedOutcome::Charged).await;
        app.settle(5).await;
        app.admin.unzer_receive_transfer(&paid_pre_pay, None).await.unwrap();
        for nr in [card, pre, paid_pre, piv, sdd] {
            cancel(&app, nr, &[]).await;
        }
        app.advance(700).await;
        app.settle(6).await;

        let c = t.unzer(&app, &card_pay).await;
        match mode {
            pb::Mode::Standard => {
                let refunds = txns(&c, TxnType::CancelCharge);
                assert_eq!(refunds.len(), 1, "standard: refund what was captured");
                assert_eq!(refunds[0].amount_minor, 10_000);
            }
            _ => {
                let rev = txns(&c, TxnType::CancelAuthorize);
                assert_eq!((rev.len(), rev[0].amount_minor), (1, 10_000), "expert: cancel the authorisation");
                assert!(txns(&c, TxnType::Charge).is_empty());
            }
        }
        let p = t.unzer(&app, &pre_pay).await;
        let cancels = txns(&p, TxnType::CancelAuthorize);
        assert_eq!(
            (cancels.len(), cancels[0].path.as_str()),
            (1, "charges/s-chg-1/cancels/s-cnl-1"),
            "{mode:?}: prepayment before the money: the initial charge is reversed"
        );
        assert!(txns(&p, TxnType::CancelCharge).is_empty(), "{mode:?}: nothing was paid, nothing refunded");
        let p = t.unzer(&app, &paid_pre_pay).await;
        let refunds = txns(&p, TxnType::CancelCharge);
        assert_eq!(
            (refunds.len(), refunds[0].path.as_str(), refunds[0].amount_minor),
            (1, "charges/s-chg-2/cancels/s-cnl-1", 2000),
            "{mode:?}: after the transfer: refunded on the receipt"
        );
        let p = t.unzer(&app, &piv_pay).await;
        let rev = txns(&p, TxnType::CancelAuthorize);
        assert_eq!((rev.len(), rev[0].amount_minor), (1, 5000), "{mode:?}: paylater before the period: cancel");
        assert!(p.term_started_at.is_none());
        let s = t.unzer(&app, &sdd_pay).await;
        assert_eq!(txns(&s, TxnType::CancelCharge)[0].amount_minor, 4000, "{mode:?}: SEPA secured before shipment");
        let d = t.dashboard_order(&app, card).await;
        assert_eq!(d.order.unwrap().state, pb::SyncState::Completed as i32, "{mode:?}");
    }
}

#[tokio::test]
async fn px_18_partial_cancellations_are_refunded_in_standard_and_aggregated_in_expert_mode() {
    for mode in [pb::Mode::Standard, pb::Mode::Expert] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let (nr, pay) =
            t.order(&app, "UNZERCC", PayKind::Card, &[5000, 2000, 1500, 1000], SeedOutcome::Authorized).await;
        let (piv, piv_pay) =
            t.order(&app, "UNZERINV", PayKind::PaylaterInvoice, &[5000, 2000, 1000], SeedOutcome::Authorized).await;
        app.settle(5).await;
        ship(&app, nr, &[0]).await;
        cancel(&app, nr, &[1]).await;
        app.advance(5).await;
        app.settle(5).await;
        let p = t.unzer(&app, &pay).await;
        assert!(
            txns(&p, TxnType::CancelCharge).is_empty() && txns(&p, TxnType::CancelAuthorize).is_empty(),
            "{mode:?}: not CLOSED yet"
        );
        cancel(&app, nr, &[2]).await;
        ship(&app, nr, &[3]).await; // last shipment: CLOSED
        app.advance(5).await;
        app.settle(5).await;
        let p = t.unzer(&app, &pay).await;
        match mode {
            pb::Mode::Standard => {
                let r = txns(&p, TxnType::CancelCharge);
                assert_eq!(
                    r.iter().map(|x| x.amount_minor).collect::<Vec<_>>(),
                    [3500],
                    "standard: refund the cancelled amount"
                );
            }
            _ => {
                let charges: Vec<i64> = txns(&p, TxnType::Charge).iter().map(|c| c.amount_minor).collect();
                assert_eq!(charges, [5000, 1000]);
                let rev = txns(&p, TxnType::CancelAuthorize);
                assert_eq!(
                    rev.iter().map(|x| x.amount_minor).collect::<Vec<_>>(),
                    [3500],
                    "expert: one aggregated cancel"
                );
            }
        }
        // Paylater invoice: once the payment period started, cancelled lines go aggregated.
        ship(&app, piv, &[0]).await;
        cancel(&app, piv, &[1]).await;
        app.advance(5).await;
        app.settle(5).await;
        let p = t.unzer(&app, &piv_pay).await;
        let rev = txns(&p, TxnType::CancelAuthorize);
        assert_eq!(rev.iter().map(|x| x.amount_minor).collect::<Vec<_>>(), [2000], "{mode:?}");
        assert!(t.dashboard_order(&app, nr).await.incidents.is_empty(), "{mode:?}");
    }
}

#[tokio::test]
async fn px_19_returns_are_refunded_per_credit_note_and_booked_with_the_returns_event() {
    for (method, kind, mode) in [
        ("UNZERCC", PayKind::Card, pb::Mode::Expert),
        ("UNZERCC", PayKind::Card, pb::Mode::Standard),
        ("UNZERPP", PayKind::Paypal, pb::Mode::Expert),
        ("UNZERINV", PayKind::PaylaterInvoice, pb::Mode::Expert),
        ("UNZERDD", PayKind::SepaDirectDebitSecured, pb::Mode::Standard),
    ] {
        let app = TestApp::spawn().await;
        let t = Tenant::setup(&app, mode, &METHODS).await;
        let outcome =
            if kind == PayKind::SepaDirectDebitSecured { SeedOutcome::Charged } else { SeedOutcome::Authorized };
        let (nr, pay) = t.order(&app, method, kind, &[6000, 4000], outcome).await;
        app.settle(5).await;
        ship(&app, nr, &[]).await;
        app.advance(5).await;
        app.settle(5).await;
        let o = t.pixi(&app, nr).await;
        let first = app
            .admin
            .pixi_credit_note(PIXI_USER, nr, &CreditNoteRequest { lines: vec![o.lines[0].key], ..Default::default() })
            .await
            .unwrap();
        app.advance(5).await;
        app.settle(5).await;
        let second = app
            .admin
            .pixi_credit_note(PIXI_USER, nr, &CreditNoteRequest { lines: vec![o.lines[1].key], ..Default::default() })
            .await
            .unwrap();
        app.advance(5).await;
        app.settle(5).await;
        let p = t.unzer(&app, &pay).await;
        let refunds: Vec<i64> = txns(&p, TxnType::CancelCharge).iter().map(|r| r.amount_minor).collect();
        assert_eq!(refunds, [6000, 4000], "{kind:?} {mode:?}: one refund per credit note");
        let o = t.pixi(&app, nr).await;
        for cn in [&first, &second] {
            let b: Vec<_> =
                o.bookings.iter().filter(|b| b.match_invoice_nr.as_deref() == Some(cn.nr.as_str())).collect();
            assert_eq!(b.len(), 1, "{kind:?}: one returns booking per credit note");
            assert_eq!((b[0].event_id.as_str(), b[0].amount_minor), ("UZR", cn.total_minor));
        }
        assert_eq!(o.customer_balance_minor, 0, "{kind:?} {mode:?}");
        assert!(t.dashboard_order(&app, nr).await.incidents.is_empty(), "{kind:?} {mode:?}");
    }
}
