//! Request and response bodies of the unzer admin API (`/admin/unzer/…`) and the admin view
//! of a payment with every transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ledger::{Amounts, PaymentState};
use super::model::{PayKind, Payment, State as UnzerState, TxnStatus, TxnType, Webhook};
use super::wire;

/// `POST /admin/unzer/merchants`: both keys optional (generated when absent).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewMerchant {
    /// `s-priv-…` or `p-priv-…`.
    pub private_key: Option<String>,
    /// `s-pub-…` or `p-pub-…`.
    pub public_key: Option<String>,
}

/// A merchant's keys and webhook registrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantView {
    /// Private key (HTTP Basic user name).
    pub private_key: String,
    /// Public key (payment types only; appears in webhook bodies).
    pub public_key: String,
    /// Registered webhooks.
    pub webhooks: Vec<Webhook>,
}

/// What a seeded payment looks like after the shop's checkout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOutcome {
    /// Authorized for authorize types, pending charge for prepayment/invoice, charged otherwise.
    #[default]
    Natural,
    /// Authorization succeeded (authorize types only).
    Authorized,
    /// Charged in full (prepayment/invoice: the transfer arrived).
    Charged,
    /// Waiting: redirect not finished, or transfer not arrived.
    Pending,
    /// The authorization (or charge) failed.
    Failed,
}

/// `POST /admin/unzer/payments`: a payment as a shop would have left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPayment {
    /// Merchant's private key.
    pub private_key: String,
    /// Payment type.
    pub kind: PayKind,
    /// Authorized (or charged) amount in minor units.
    pub amount_minor: i64,
    /// ISO currency (default EUR).
    #[serde(default = "eur")]
    pub currency: String,
    /// Shop order id (unique per merchant when not empty).
    #[serde(default)]
    pub order_id: String,
    /// Invoice id.
    #[serde(default)]
    pub invoice_id: String,
    /// Payment reference.
    #[serde(default)]
    pub payment_reference: String,
    /// Outcome of the checkout.
    #[serde(default)]
    pub outcome: SeedOutcome,
    /// With an authorization: charge this much of it right away (the shop captured).
    #[serde(default)]
    pub charged_minor: Option<i64>,
    /// Backdate the checkout (e.g. to an authorization about to expire).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

fn eur() -> String {
    "EUR".into()
}

/// One transaction as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnView {
    /// `s-chg-2` etc.
    pub id: String,
    /// Type.
    pub kind: TxnType,
    /// Status.
    pub status: TxnStatus,
    /// The transaction a cancel or chargeback is nested under (`None`: payment level).
    pub parent: Option<String>,
    /// Minor units.
    pub amount_minor: i64,
    /// orderId carried.
    pub order_id: String,
    /// invoiceId carried.
    pub invoice_id: String,
    /// paymentReference carried.
    pub payment_reference: String,
    /// reasonCode carried.
    pub reason_code: Option<String>,
    /// A cancel-charge: money received went back.
    pub refund: bool,
    /// Sandbox time.
    pub at: DateTime<Utc>,
    /// Path below the payment, e.g. `charges/s-chg-1/cancels/s-cnl-2`.
    pub path: String,
    /// `processing.uniqueId` (what pixi's `PayID` names).
    #[serde(default)]
    pub unique_id: String,
}

/// A payment with every transaction (for invariant checks such as "no charge applied twice").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// `s-pay-N`.
    pub id: String,
    /// Merchant's public key.
    pub public_key: String,
    /// Payment type.
    pub kind: PayKind,
    /// Type id.
    pub type_id: String,
    /// Currency.
    pub currency: String,
    /// Shop order id.
    pub order_id: String,
    /// Invoice id of the payment.
    pub invoice_id: String,
    /// State.
    pub state: PaymentState,
    /// Amounts in minor units.
    pub amounts: Amounts,
    /// Money received by transfer (prepayment, invoice).
    pub received_minor: i64,
    /// When the authorization succeeded.
    pub authorized_at: Option<DateTime<Utc>>,
    /// When it stops being chargeable.
    pub expires_at: Option<DateTime<Utc>>,
    /// Expired (sandbox clock).
    pub expired: bool,
    /// When the buyer's payment term started.
    pub term_started_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Every transaction, oldest first.
    pub transactions: Vec<TxnView>,
}

/// `POST /admin/unzer/payments/{id}/receive`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Receive {
    /// Amount received (default: what is still open).
    pub amount_minor: Option<i64>,
}

/// `POST /admin/unzer/payments/{id}/chargeback`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChargebackReq {
    /// Charge (default: the last successful one).
    pub charge_id: Option<String>,
    /// Amount (default: all still refundable on it).
    pub amount_minor: Option<i64>,
}

/// `POST /admin/unzer/payments/{id}/redirect`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectReq {
    /// The customer finished (true) or abandoned (false) the redirect.
    pub success: bool,
}

/// `POST /admin/unzer/config`: only the given switches change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigPatch {
    /// See `UnzerConfig::errors_with_http_200`.
    pub errors_with_http_200: Option<bool>,
    /// See `UnzerConfig::retry_delays_secs`.
    pub retry_delays_secs: Option<Vec<u64>>,
    /// See `UnzerConfig::timeout_ms`.
    pub timeout_ms: Option<u64>,
    /// See `UnzerConfig::duplicate_per_mille`.
    pub duplicate_per_mille: Option<u16>,
    /// See `UnzerConfig::auto_deliver`.
    pub auto_deliver: Option<bool>,
    /// See `UnzerConfig::authorization_days`.
    pub authorization_days: Option<i64>,
    /// See `UnzerConfig::omit_fields`.
    pub omit_fields: Option<Vec<String>>,
}

/// The admin view of one payment.
pub(crate) fn payment_view(st: &UnzerState, p: &Payment, now: DateTime<Utc>) -> PaymentView {
    let expires_at = p.expires_at(st.config.authorization_days);
    PaymentView {
        id: p.id.clone(),
        public_key: st.merchants.get(p.merchant).map(|m| m.public_key.clone()).unwrap_or_default(),
        kind: p.kind,
        type_id: p.type_id.clone(),
        currency: p.currency.clone(),
        order_id: p.order_id.clone(),
        invoice_id: p.invoice_id.clone(),
        state: p.state(),
        amounts: p.amounts(),
        received_minor: p.received(),
        authorized_at: p.authorization().filter(|a| a.status == TxnStatus::Success).map(|a| a.at),
        expires_at,
        expired: expires_at.is_some_and(|e| now >= e),
        term_started_at: p.term_started_at,
        created_at: p.created_at,
        transactions: p
            .txns
            .iter()
            .map(|t| TxnView {
                id: t.id.clone(),
                kind: t.kind,
                status: t.status,
                parent: t.parent.clone(),
                amount_minor: t.amount,
                order_id: t.order_id.clone(),
                invoice_id: t.invoice_id.clone(),
                payment_reference: t.payment_reference.clone(),
                reason_code: t.reason_code.clone(),
                refund: t.refund,
                at: t.at,
                path: wire::txn_path(p, t),
                unique_id: t.unique_id.clone(),
            })
            .collect(),
    }
}
