//! Demo data (SB-08): one merchant with fixed keys and a dozen payments in assorted types and
//! states, with order ids `demo-1001`… (same seed → same ids).

use super::admin::{add_merchant, seed};
use super::model::PayKind;
use super::ops::Env;
use super::views::{NewMerchant, SeedOutcome, SeedPayment};
use crate::shared::Shared;
use crate::system::System;

/// Private key of the demo merchant.
pub const DEMO_PRIVATE_KEY: &str = "s-priv-2a10demo0pixisync0sandbox00000";
/// Public key of the demo merchant.
pub const DEMO_PUBLIC_KEY: &str = "s-pub-2a10demo0pixisync0sandbox00000";

/// Loads the demo merchant and payments.
pub(crate) fn load(shared: &Shared) {
    let env = Env { now: shared.now(), base: shared.url(System::Unzer), seed: shared.0.seed };
    let mut st = Shared::lock(&shared.0.unzer);
    let keys = NewMerchant { private_key: Some(DEMO_PRIVATE_KEY.into()), public_key: Some(DEMO_PUBLIC_KEY.into()) };
    if let Err(e) = add_merchant(&mut st, shared.0.seed, &keys) {
        tracing::warn!(error = %e.1, "unzer demo merchant not created");
        return;
    }
    let rows: [(PayKind, i64, SeedOutcome, Option<i64>); 12] = [
        (PayKind::Card, 12_990, SeedOutcome::Authorized, None),
        (PayKind::Card, 4_500, SeedOutcome::Authorized, Some(4_500)),
        (PayKind::Paypal, 8_800, SeedOutcome::Authorized, None),
        (PayKind::Paypal, 2_000, SeedOutcome::Pending, None),
        (PayKind::Prepayment, 15_000, SeedOutcome::Pending, None),
        (PayKind::Prepayment, 7_990, SeedOutcome::Charged, None),
        (PayKind::PaylaterInvoice, 23_450, SeedOutcome::Authorized, None),
        (PayKind::PaylaterInstallment, 59_900, SeedOutcome::Authorized, None),
        (PayKind::InvoiceSecured, 3_990, SeedOutcome::Natural, None),
        (PayKind::SepaDirectDebitSecured, 6_400, SeedOutcome::Charged, None),
        (PayKind::Sofort, 1_250, SeedOutcome::Charged, None),
        (PayKind::Card, 9_900, SeedOutcome::Failed, None),
    ];
    for (i, (kind, amount, outcome, charged)) in rows.into_iter().enumerate() {
        let req = SeedPayment {
            private_key: DEMO_PRIVATE_KEY.into(),
            kind,
            amount_minor: amount,
            currency: "EUR".into(),
            order_id: format!("demo-{}", 1001 + i),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome,
            charged_minor: charged,
            at: None,
        };
        if let Err(e) = seed(&mut st, &env, &req) {
            tracing::warn!(error = %e.1, "unzer demo payment not created");
        }
    }
}
