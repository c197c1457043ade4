//! unzer payment API simulator (REST/JSON, `crates/sandbox/contracts/unzer/`) and its webhook
//! sender. Stateful (SB-02): a charge reduces what can still be charged, a refund what can be
//! refunded; the payment state moves pending → partly/completed/canceled (payment review,
//! chargeback) as the payment-states page describes.
//!
//! # Authentication
//! HTTP Basic with the private key as user name and an empty password. No/empty header → 401
//! `COR.100.300.600`; another scheme (e.g. Bearer) → 401 `API.710.000.007`; unknown or
//! malformed key → 401 `API.710.000.002`; a public key on anything but `POST /v1/types/…` →
//! 403 `API.710.000.005`. Keys come from the admin API (`POST /admin/unzer/merchants`);
//! `s-` keys produce `s-` ids, `p-` keys `p-` ids.
//!
//! # Endpoints
//! | endpoint | fault operation | real documentation |
//! |---|---|---|
//! | `POST /v1/types/{kind}` (public key allowed) | `create_type` | <https://docs.unzer.com/server-side-integration/direct-api-integration/> |
//! | `GET /v1/types/{typeId}` | `get_type` | same |
//! | `POST /v1/payments/authorize` | `authorize` | <https://docs.unzer.com/server-side-integration/direct-api-integration/manage-api-resources/api-authorize-payment/> |
//! | `POST /v1/payments/charges` (direct charge) | `charge` | <https://docs.unzer.com/server-side-integration/direct-api-integration/manage-api-resources/api-charge-payment/> |
//! | `POST /v1/payments/{id}/charges` (empty body = the rest) | `charge` | <https://docs.unzer.com/accept-payments/manage-payments/payment-charges/> |
//! | `POST /v1/payments/{id}/authorize/cancels`, `…/authorize/{autId}/cancels` | `cancel` | <https://docs.unzer.com/payment-methods/applepay/manage-applepay-payment> |
//! | `POST /v1/payments/{id}/charges/{chgId}/cancels` | `refund` | same |
//! | `POST /v1/payments/{id}/charges/cancels` (paylater, needs `reasonCode`) | `refund` | `unzerdev/php-sdk` `CancelService.php` |
//! | `POST /v1/payments/{id}/shipments` (invoice secured only) | `shipment` | <https://docs.unzer.com/payment-methods/unzer-invoice-secured/manage-unzer-invoice-secured/> |
//! | `PATCH /v1/payments/{id}/authorize` (paylater types: re-authorisation) | `reauthorize` | <https://docs.unzer.com/payment-methods/unzer-invoice-upl/manage-unzer-invoice-upl/> |
//! | `GET /v1/keypair` (public or private key) | `keypair` | `unzerdev/php-sdk` `Keypair.php` |
//! | `GET /v1/payments/{id or orderId}` | `get_payment` | <https://docs.unzer.com/server-side-integration/api-basics/payment-states/> |
//! | `GET /v1/payments/{id}/authorize/{autId}`, `…/charges/{chgId}`, `…/charges/{chgId}/cancels/{cnlId}`, `…/authorize/{autId}/cancels/{cnlId}`, `…/authorize/cancels/{cnlId}`, `…/charges/cancels/{cnlId}`, `…/shipments/{shpId}`, `…/charges/{chgId}/chargebacks/{cbkId}`, `…/charges/chargebacks/{cbkId}` | `get_transaction` | same |
//! | `GET /v1/errors/{errorId}` | `get_error` | <https://docs.unzer.com/server-side-integration/api-basics/error-handling/> |
//! | `POST/GET/DELETE /v1/webhooks`, `GET/PUT/DELETE /v1/webhooks/{id}` | `webhooks` | <https://docs.unzer.com/server-side-integration/api-basics/notifications> |
//! | `GET /v1/redirect/{paymentId}[?outcome=failure]` (simulated customer page) | `redirect` | – |
//! | webhook POSTs sent to registered URLs | `webhook` | <https://docs.unzer.com/get-started/basics/notifications/> |
//!
//! Types: card, paypal, sepa-direct-debit-secured, paylater-invoice, paylater-installment,
//! paylater-direct-debit, invoice, invoice-secured, prepayment, sofort, eps, ideal, giropay,
//! alipay, przelewy24, applepay (ids `s-crd-…`, `s-ppl-…`, `s-dds-…`, `s-piv-…`, `s-pit-…`,
//! `s-pdd-…`, `s-ivc-…`, `s-ivs-…`, `s-ppy-…`, `s-sft-…`, `s-eps-…`, `s-idl-…`, `s-gro-…`,
//! `s-ali-…`, `s-p24-…`, `s-apl-…`). Card needs `number`, `expiryDate`, `cvc`; SEPA needs
//! `iban`; the others accept any body.
//!
//! # Errors
//! Body of §1.6 (`id` `s-err-<hex>`, `isError`, `url`, `timestamp`, `traceId`,
//! `errors[{code, merchantMessage, customerMessage}]`; no `merchantMessage` for public-key
//! calls; German `customerMessage` for `Accept-Language: de`). Codes: over-capture
//! `API.330.100.007`; nothing left to charge, authorization pending or **expired**
//! `API.330.000.004`; reversal/refund exhausted `API.340.100.014` (already cancelled),
//! `…018` (authorization already charged in full), `…015` (charged back); cancel amount above
//! what is open, or cancel on a failed charge `API.340.000.004`; paylater payment-level cancel
//! without `reasonCode` `API.340.100.024`; orderId reused by the same merchant
//! `API.320.200.138`; shipment on a type without shipments or a cancelled payment
//! `API.360.000.004` (SEPA direct debit secured: `COR.700.400.800`); shipment of invoice
//! secured without any invoiceId `API.360.100.025`; re-authorisation of a type without it
//! `API.320.000.004`; unknown payment (or one of another merchant) 404
//! `API.310.100.003`; unknown transaction/type/error 404 `API.000.000.999`; typeId unknown or
//! of another merchant `API.320.200.145`; authorize on a charge-only type `API.320.000.004`;
//! missing `amount`/`currency`/`resources.typeId`/`returnUrl` (redirect types)
//! `API.710.200.100`; missing customer on secured types `API.320.100.008`; unsupported
//! currency `API.330.100.202`; invalid JSON or amount `API.500.300.999` (non-JSON content 415).
//! The admin switch `errors_with_http_200` sends every one of these with HTTP 200.
//!
//! # Contracts chosen where unzer documents nothing [INF]
//! - Successful POSTs answer 200. Dates are `YYYY-MM-DD HH:MM:SS` in UTC. Amounts accept a
//!   JSON number or a decimal string with at most two significant decimals.
//! - Payment amounts (see `ledger.rs`): `total` = authorized (or the initial charge) minus
//!   reversals, `charged` = collected minus refunds and chargebacks, `canceled` = refunds +
//!   chargebacks, `remaining = total − charged − canceled`; a reversal shrinks `total` as the
//!   SDK's integration tests show. An authorized, uncharged payment is `pending`.
//! - Charge-only types: sofort, eps, ideal, giropay, alipay, przelewy24, prepayment, invoice,
//!   invoice-secured, sepa-direct-debit-secured. Redirect types (paypal and the bank
//!   redirects) stay pending with a `redirectUrl` until the customer finishes
//!   (`GET /v1/redirect/…` or the admin route).
//! - Prepayment/invoice/invoice-secured: the initial charge is pending (with
//!   `processing.iban/bic/holder/descriptor`) and stays pending; each transfer the admin route
//!   reports is its own successful charge (`s-chg-2`, …) with `charge.succeeded`, the payment
//!   `partly` until the transfers cover it, then `completed` (overpaid:
//!   `payment.payment_review`). A cancel of the initial charge reverses what is still owed
//!   (type `cancel-authorize` under `charges/s-chg-1/cancels`, at most initial − receipts −
//!   cancelled, `CancelService::calculateMaxReversalAmount`); refunds go on the receipts.
//! - Authorizations stay chargeable for `authorization_days` (7) of sandbox time; then a
//!   charge answers `API.330.000.004` "authorization expired" and `authorize.expired` is sent
//!   once. Reversals still work. A paylater re-authorisation (`PATCH …/authorize`) sets the
//!   authorised total and renews the chargeable life (the docs do not say what it does to
//!   the expiry); cards have none.
//! - The shipment of invoice secured starts its payment term (`term_started_at` in the admin
//!   view); the first paylater charge does too.
//! - A failed transaction (seeded `failed`, abandoned redirect) carries message code
//!   `COR.300.100.101`; the payment is then `canceled` (nothing authorized).
//! - Cancel and chargeback ids are numbered per parent transaction (`s-cnl-1` under the
//!   authorization and under each charge; paylater cancels at payment level), as the SDK's
//!   fixtures show; a GET names the transaction by its whole path.
//! - Every answer carries a `Date` header in sandbox time; the admin switch `omit_fields`
//!   drops named fields from every successful answer (preflight and contract tests).
//! - orderId uniqueness is per merchant. `GET /v1/payments/{x}` also finds a payment by orderId.
//! - Customers, baskets and metadata are not simulated; their ids are taken as opaque strings.
//! - Webhooks: see `delivery.rs` (text/plain JSON body, 200 = ack, fast default retry
//!   schedule 1/2/5/10/30 s of sandbox time, then given up; real cadence settable).
//!
//! # Admin routes (`/admin/unzer`)
//! `POST|GET /merchants`; `POST /payments` (seed: kind, amount, currency, orderId, outcome
//! natural/authorized/charged/pending/failed, `charged_minor`, backdating `at`);
//! `GET /payments[?order_id=&public_key=]`, `GET /payments/{id}` (state, amounts, expiry,
//! every transaction with amount, parent, orderId/invoiceId/paymentReference/reasonCode);
//! `POST /payments/{id}/receive` (transfer arrived), `/chargeback`, `/redirect`;
//! `GET /deliveries`, `POST /deliveries/run` (send what is due now); `GET|POST /config`.

mod actors;
mod admin;
mod auth;
mod cancels;
mod delivery;
mod demo;
mod http;
mod keypair;
mod kind;
mod ledger;
mod model;
mod money;
mod ops;
mod payments;
mod types;
mod views;
mod webhooks;
mod wire;

use axum::Router;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use crate::shared::Shared;

pub use demo::{DEMO_PRIVATE_KEY, DEMO_PUBLIC_KEY};
pub use kind::PayKind;
pub use ledger::{Amounts, PaymentState};
pub use model::{Attempt, Delivery, State, TxnStatus, TxnType, UnzerConfig, Webhook};
pub use views::{
    ChargebackReq, ConfigPatch, MerchantView, NewMerchant, PaymentView, Receive, RedirectReq, SeedOutcome, SeedPayment,
    TxnView,
};
pub use webhooks::EVENTS;

/// The partner-facing API.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .merge(payments::routes())
        .merge(keypair::routes())
        .merge(types::routes())
        .merge(webhooks::routes())
        .fallback(fallback)
        .with_state(shared)
}

async fn fallback(AxumState(s): AxumState<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = http::Ctx::new(&s, headers, &uri);
    http::not_found(&s, &ctx)
}

/// Admin routes under `/admin/unzer`.
pub fn admin(shared: Shared) -> Router {
    admin::router(shared)
}

/// Loads the demo merchant and payments (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}

/// Starts the webhook delivery task.
pub fn start_webhook_sender(shared: &Shared) {
    delivery::start(shared);
}
