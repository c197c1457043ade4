//! The unzer simulator's state: merchants (key pairs), payment types, payments with their
//! transactions, webhook registrations, the webhook outbox, stored errors and the admin switches.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

pub use super::kind::PayKind;

/// Simulator state (lives in `Shared.0.unzer`).
#[derive(Debug, Default)]
pub struct State {
    /// Generator of keys, type ids, unique ids and error ids; seeded with the sandbox seed on
    /// first use so a run replays.
    pub(crate) rng: Option<StdRng>,
    /// Merchants, each with one private and one public key.
    pub(crate) merchants: Vec<Merchant>,
    /// Payment types by id (`s-crd-…`).
    pub(crate) types: BTreeMap<String, PayType>,
    /// Payments by their number N (`s-pay-N`).
    pub(crate) payments: BTreeMap<u64, Payment>,
    /// Last payment number handed out.
    pub(crate) last_payment: u64,
    /// Last webhook number handed out (`s-whk-N`).
    pub(crate) last_webhook: u64,
    /// Error bodies by error id, for `GET /v1/errors/{id}`.
    pub(crate) errors: BTreeMap<String, serde_json::Value>,
    /// Webhook deliveries, oldest first.
    pub(crate) deliveries: Vec<Delivery>,
    /// Admin switches.
    pub(crate) config: UnzerConfig,
    /// Wakes the webhook sender when a delivery is queued.
    pub(crate) wake: Arc<Notify>,
}

impl State {
    /// The seeded generator.
    pub(crate) fn rng(&mut self, seed: u64) -> &mut StdRng {
        self.rng.get_or_insert_with(|| StdRng::seed_from_u64(seed ^ 0x0075_6e7a_6572))
    }

    /// `n` random characters from `alphabet`.
    pub(crate) fn random_string(&mut self, seed: u64, alphabet: &[u8], n: usize) -> String {
        let rng = self.rng(seed);
        (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
    }
}

/// Lower-case letters and digits, as unzer uses in resource ids.
pub(crate) const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Hex digits.
pub(crate) const HEX: &[u8] = b"0123456789abcdef";

/// Admin switches of the unzer simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnzerConfig {
    /// Answer every API error with HTTP 200 and the usual `errors[]` body (§1.6: real unzer
    /// sometimes does).
    pub errors_with_http_200: bool,
    /// Delays between webhook attempts, in seconds of sandbox time; after the last one the
    /// delivery is given up. Default: fast (1, 2, 5, 10, 30) so tests need not move the clock
    /// far; the real cadence is roughly (90, 330, 630, 1800, 3600).
    pub retry_delays_secs: Vec<u64>,
    /// Per-attempt timeout of a webhook POST in milliseconds (real: 20 s).
    pub timeout_ms: u64,
    /// Chance per mille that an event is queued twice (real unzer may deliver duplicates).
    pub duplicate_per_mille: u16,
    /// Deliver webhooks from the background task; when false only
    /// `POST /admin/unzer/deliveries/run` sends them (step-by-step tests).
    pub auto_deliver: bool,
    /// Days an authorization stays chargeable (real: "at least 7 days").
    pub authorization_days: i64,
    /// Answer fields removed from every successful JSON answer (`publicKey`,
    /// `transactions.amount`, …): lets tests see how a client copes with a missing field.
    pub omit_fields: Vec<String>,
}

impl Default for UnzerConfig {
    fn default() -> Self {
        UnzerConfig {
            errors_with_http_200: false,
            retry_delays_secs: vec![1, 2, 5, 10, 30],
            timeout_ms: 20_000,
            duplicate_per_mille: 0,
            auto_deliver: true,
            authorization_days: 7,
            omit_fields: Vec::new(),
        }
    }
}

/// One merchant account.
#[derive(Debug, Clone)]
pub(crate) struct Merchant {
    pub(crate) private_key: String,
    pub(crate) public_key: String,
    pub(crate) webhooks: Vec<Webhook>,
}

impl Merchant {
    /// `s` for sandbox keys, `p` for live keys: the prefix of every id this merchant sees.
    pub(crate) fn env(&self) -> &'static str {
        if self.private_key.starts_with("p-") { "p" } else { "s" }
    }
}

/// A webhook registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// `s-whk-N`.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// Event name or family (`all`, `payment`, `charge.succeeded`, …).
    pub event: String,
}

/// A payment type resource.
#[derive(Debug, Clone)]
pub(crate) struct PayType {
    pub(crate) kind: PayKind,
    pub(crate) merchant: usize,
    /// The wire representation returned on create and fetch.
    pub(crate) body: serde_json::Value,
}

/// Transaction types as they appear in `transactions[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TxnType {
    /// Reservation.
    Authorize,
    /// Capture or direct charge.
    Charge,
    /// Reversal of (part of) the authorization.
    CancelAuthorize,
    /// Refund of a charge (or cancel of an unpaid pending charge).
    CancelCharge,
    /// Shipment notice.
    Shipment,
    /// Chargeback.
    Chargeback,
}

impl TxnType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            TxnType::Authorize => "authorize",
            TxnType::Charge => "charge",
            TxnType::CancelAuthorize => "cancel-authorize",
            TxnType::CancelCharge => "cancel-charge",
            TxnType::Shipment => "shipment",
            TxnType::Chargeback => "chargeback",
        }
    }
}

/// Transaction status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TxnStatus {
    /// Done.
    Success,
    /// Waiting for the customer (redirect) or for money (prepayment).
    Pending,
    /// Failed.
    Error,
}

impl TxnStatus {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            TxnStatus::Success => "success",
            TxnStatus::Pending => "pending",
            TxnStatus::Error => "error",
        }
    }
}

/// One transaction of a payment.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    /// `s-aut-1`, `s-chg-N`, `s-cnl-N`, `s-shp-N`, `s-cbk-N`.
    pub(crate) id: String,
    pub(crate) kind: TxnType,
    /// The transaction a cancel or chargeback is nested under (`s-aut-1` for a card reversal,
    /// `s-chg-N` for a refund, a chargeback or the reversal of a transfer type's initial
    /// charge); `None`: at payment level (`authorize/cancels`, `charges/cancels`).
    pub(crate) parent: Option<String>,
    /// Minor units.
    pub(crate) amount: i64,
    pub(crate) status: TxnStatus,
    pub(crate) at: DateTime<Utc>,
    pub(crate) order_id: String,
    pub(crate) invoice_id: String,
    pub(crate) payment_reference: String,
    pub(crate) reason_code: Option<String>,
    /// For cancel-charge: money already received went back.
    pub(crate) refund: bool,
    pub(crate) unique_id: String,
    pub(crate) short_id: String,
    /// Message code of a failed transaction.
    pub(crate) error_code: Option<String>,
}

/// One payment.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: String,
    pub(crate) merchant: usize,
    pub(crate) kind: PayKind,
    pub(crate) type_id: String,
    pub(crate) currency: String,
    pub(crate) order_id: String,
    pub(crate) invoice_id: String,
    pub(crate) customer_id: String,
    pub(crate) basket_id: String,
    pub(crate) metadata_id: String,
    pub(crate) return_url: String,
    pub(crate) trace_id: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) txns: Vec<Txn>,
    /// When the buyer's payment term started (shipment, or the first paylater charge).
    pub(crate) term_started_at: Option<DateTime<Utc>>,
    /// `authorize.expired` was queued.
    pub(crate) expiry_notified: bool,
    /// Per-payment counters of charges, cancels, shipments, chargebacks.
    pub(crate) counters: Counters,
}

/// Transaction numbering: charges and shipments per payment, cancels and chargebacks per
/// parent transaction (`charges/s-chg-1/cancels/s-cnl-1` and `charges/s-chg-2/cancels/s-cnl-1`
/// in one payment, as unzer's SDK fixtures show).
#[derive(Debug, Clone, Default)]
pub(crate) struct Counters {
    pub(crate) chg: u32,
    pub(crate) shp: u32,
    /// Last cancel number per parent (`""` for payment-level cancels of a kind, see
    /// [`Counters::next_cancel`]).
    pub(crate) cnl: BTreeMap<String, u32>,
    /// Last chargeback number per charge.
    pub(crate) cbk: BTreeMap<String, u32>,
}

impl Counters {
    /// The next cancel number under `parent` (`authorize` or `charges` for payment level).
    pub(crate) fn next_cancel(&mut self, parent: &str) -> u32 {
        let n = self.cnl.entry(parent.to_owned()).or_insert(0);
        *n += 1;
        *n
    }

    /// The next chargeback number under charge `parent`.
    pub(crate) fn next_chargeback(&mut self, parent: &str) -> u32 {
        let n = self.cbk.entry(parent.to_owned()).or_insert(0);
        *n += 1;
        *n
    }
}

/// One queued webhook event for one registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Sequence number, from 1.
    pub id: u64,
    /// Registration it came from.
    pub webhook_id: String,
    /// Target URL.
    pub url: String,
    /// Event name, e.g. `payment.completed`.
    pub event: String,
    /// Payment concerned (absent for `types` events).
    pub payment_id: Option<String>,
    /// The exact body sent.
    pub body: String,
    /// Sandbox time it was queued.
    pub created_at: DateTime<Utc>,
    /// Attempts so far.
    pub attempts: Vec<Attempt>,
    /// Answered with 200.
    pub delivered: bool,
    /// No more attempts will be made.
    pub given_up: bool,
    /// When the next attempt is due (sandbox time).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Being sent right now.
    #[serde(skip)]
    pub(crate) in_flight: bool,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Sandbox time of the attempt.
    pub at: DateTime<Utc>,
    /// HTTP status received (absent when the request failed).
    pub status: Option<u16>,
    /// Transport error or injected fault.
    pub error: Option<String>,
}
