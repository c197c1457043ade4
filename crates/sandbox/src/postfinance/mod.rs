//! PostFinance e-payment simulator (the legacy Ogone platform): the hosted payment page
//! (e-Commerce) and DirectLink (server-to-server new order, maintenance, query), with merchant
//! accounts per environment, SHA-IN/SHA-OUT signatures, asynchronous maintenance with PAYIDSUB
//! history levels, and SwissBilling's rules (`crates/sandbox/contracts/postfinance/`;
//! `docs/rules/IC.md` IC-08 … IC-17).
//!
//! # Endpoints (base `/ncol/{test|prod}/`)
//!
//! | method | path | fault operation | documentation |
//! |---|---|---|---|
//! | POST | `maintenancedirect.asp` | `maintenance` | https://e-payment-postfinance.ecom-psp.com/integration/all-sales-channels/integrate-with-directlink-server-to-server/guide (§ maintenance); DirectLink guide v4.3.3 (`evaletolab/node-postfinance` `docs/PostFinance_DirectLink_EN.pdf`) |
//! | POST | `querydirect.asp` | `query` | same guide (§ direct query) |
//! | POST | `orderdirect.asp` | `order` | same guide (§ order request) |
//! | GET/POST | `orderstandard.asp`, `orderstandard_utf8.asp` | `hosted_page` | e-Commerce Advanced guide (`marlon-be/marlon-ogone` `documentation/Ogone_e-Com-ADV_EN.pdf`) |
//! | GET | `paymentpage.asp` | — | the payment page an accepted form redirects to |
//!
//! # Behaviour
//!
//! - Form-encoded requests; parameter names are case-insensitive (`orderID` = `ORDERID`).
//!   Replies are `text/xml` `<?xml version="1.0"?><ncresponse orderID PAYID PAYIDSUB NCSTATUS
//!   NCERROR NCERRORPLUS ACCEPTANCE STATUS amount currency PM BRAND/>`; `amount` is decimal
//!   (`15`, `15.5`, `17.89`), requests carry ×100. Success is `NCERROR="0" NCERRORPLUS="!"`
//!   (as in public client fixtures); `NCSTATUS` is the first digit of `NCERROR`.
//! - Merchant accounts live in **one** environment: a TEST PSPID on `/ncol/prod/` → 50001118.
//!   DirectLink checks, in order: PSPID (missing → 50001111 ` no PSPID`), caller IP
//!   (50001116 `unknown order/1/i/<ip>`; `*` allows any), SHA-IN with the DirectLink passphrase
//!   (50001184 `unknown order/0/s/` when missing, `unknown order/1/s/` when wrong; skipped when
//!   no passphrase is configured), USERID/PSWD (50001119), API flag (50001186 "Connection to
//!   API feature not allowed for this user"). The trailing slash / IP suffix of the
//!   `unknown order/…` texts is what integrators observe; match them by prefix.
//! - SHA-IN exactly as §5.4 over the parameters on the SHA-IN list ([`sha`]; `PAYIDSUB` and
//!   `SHASIGN` excluded; compared case-insensitively); the UTF-8 page hashes UTF-8 bytes, the
//!   ISO page ISO-8859-1 bytes.
//! - Maintenance on PAYID (preferred) or ORDERID (latest order with that id), rules in
//!   `rules::decide`: SAL/SAS → 91, DEL/DES → 61, RFD/RFS → 81 at once, each a new PAYIDSUB
//!   level; REN (only once the authorisation has expired, `auth_validity_days`, default 7) → 5.
//!   A repeated maintenance after it took effect (second SAS/RFS/DES, a capture when nothing is
//!   left, a refund when all is refunded) → **50001127** "This order is not authorised";
//!   over-capture → 50001126; over-refund → 50001129; refunds only from *settled* captures (a
//!   refund while the capture is still 91 → 50001127); refunds disabled → 50001218; partial
//!   maintenance disabled → 50001093 (captures) / 50001186; multiple maintenance disabled → the
//!   non-final SAL/RFD/DEL refused with 50001186; unknown PAYID/ORDERID → 50001130.
//! - **SwissBilling** (PM or BRAND `SwissBilling`): only full captures — SAS/SAL below the
//!   authorised amount, or after an earlier capture → **50001093** "Partial capture not allowed"
//!   [INF code]; REN → 50001186 [INF]; new orders only through the UTF-8 payment page
//!   (`orderdirect.asp` → 50001186, `orderstandard.asp` → error page) [INF]; CHF only (50001122);
//!   the seed's mandatory fields are checked on the page (`no <PARAM>` list); on "accept" the
//!   order is still refused (STATUS 2) when billing and shipping addresses differ or the
//!   country is not CH.
//! - **Settlement** [INF]: pending levels become final (9/8/6) by themselves once
//!   `settle_delay_secs` (default 300) of sandbox time passed — evaluated lazily on every read —
//!   or at once with the admin `settle` call, which can also make the acquirer refuse (93/83/63;
//!   a refused level frees its amount again).
//! - Query returns the current state (or the level given by `PAYIDSUB`, unknown → 50001131)
//!   plus `ECI`, masked `CARDNO` and `IP`.
//! - `orderdirect.asp`: RES (default) → 5, SAL → 9; missing fields → 50001111 ` no orderid|no
//!   amount|…`; expiry in the past → 50001183; a card number ending in `0002` is declined
//!   (STATUS 2, NCERROR 30001001) [INF]; a duplicate ORDERID of an order that was not refused →
//!   STATUS 0, NCERROR 50001113 with the existing PAYID and ACCEPTANCE.
//! - Payment page: errors render an HTML error page (HTTP 200) naming the NCERROR and text
//!   (`unknown order/1/s/`, `no orderid`, 50001113 for a duplicate ORDERID …). A valid form
//!   opens a session; `POST /admin/postfinance/customer` plays the customer and returns the
//!   redirect: ACCEPTURL for 5/9, DECLINEURL for 2, CANCELURL (else DECLINEURL) for 1,
//!   EXCEPTIONURL (else ACCEPTURL) for 52, with `orderID currency amount PM ACCEPTANCE STATUS
//!   CARDNO ED CN TRXDATE PAYID NCERROR BRAND IP` (+ `COMPLUS`) signed with SHA-OUT, then
//!   `PARAMPLUS` pairs (not signed) and `SHASIGN`. Decline/cancel/uncertain use NCERROR
//!   30001001 / 30031001 / 20002001 [INF].
//! - **Post-sale request** (e-Commerce Advanced §9.3): when the merchant has a `postsale_url`,
//!   the same feedback parameters (SHA-OUT signed) are POSTed there after the customer's action,
//!   in the background; a failed one (no 2xx) is sent again after `postsale_retry_ms`, at most
//!   four more times. Faults of operation `postsale` apply (fail-before loses an attempt).
//! - **Field lengths** of the parameter list: ORDERID longer than 30 characters and AMOUNT of more
//!   than 15 digits get the error page ("… too long"); an accepted form is answered HTTP 302 to
//!   `paymentpage.asp` (the platform's redirect to its payment page).
//! - **Signatures** cover exactly the published lists (`sha_lists.rs`, Ingenico 2019 list):
//!   `GENERIC_BL_DATA` is not signed; line items are sorted naturally (`ITEMID9` before
//!   `ITEMID10`).
//!
//! # Admin routes (`/admin/postfinance/…`)
//!
//! | method | path | body / answer |
//! |---|---|---|
//! | POST | `/merchants` | [`Merchant`] → 204 (options default: partial, multiple, refunds on; settle 300 s; IPs 127.0.0.1/::1) |
//! | POST | `/transactions` | [`PfTransaction`] → 201 [`Transaction`] |
//! | GET | `/transactions?env=&pspid=&orderid=` | every matching [`Transaction`] with its history |
//! | GET | `/transactions/{env}/{payid}` | one [`Transaction`] with every maintenance level |
//! | POST | `/settle` | [`PfSettle`] → `{"settled": n}` |
//! | POST | `/status` | [`PfForceStatus`] → 204 (a level reports any STATUS from now on, e.g. an unknown code) |
//! | GET | `/sessions` | open payment pages ([`Session`]) |
//! | POST | `/answers` | [`PfAnswers`] → 204 (query answers without some attributes, or `PAYIDSUB=""`) |
//! | POST | `/customer` | [`PfCustomer`] → [`CustomerOutcome`] (redirect URL, feedback parameters) |
//!
//! Demo data (SB-08): see [`demo::ACCOUNTS`] — TEST `smarpayTEST` and PROD `smarpay`, API user
//! `payops-api`, non-API user `backoffice`, SHA-256, any IP; authorised SwissBilling orders.

mod admin;
pub mod demo;
mod directlink;
pub mod form;
mod hosted;
mod maintenance;
pub mod model;
mod postsale;
mod rules;
pub mod sha;
mod sha_lists;
mod xml;

use std::collections::BTreeMap;

use axum::Router;
use axum::routing::{get, post};

pub use admin::{PfAnswers, PfCustomer, PfForceStatus, PfSettle, PfTransaction};
pub use hosted::{Action, CustomerOutcome, Session};
pub use model::{Env, HistoryItem, Kind, Merchant, Transaction, User};
pub use sha::ShaAlgorithm;

use crate::shared::Shared;

/// Simulator state: merchant accounts, transactions, open payment pages.
#[derive(Debug, Default)]
pub struct State {
    merchants: BTreeMap<(Env, String), Merchant>,
    transactions: Vec<Transaction>,
    sessions: BTreeMap<(Env, String, String), Session>,
    last_payid: u64,
    answers: PfAnswers,
}

impl State {
    fn merchant(&self, env: Env, pspid: &str) -> Option<&Merchant> {
        self.merchants.get(&(env, pspid.to_owned()))
    }

    fn index_by_payid(&self, env: Env, pspid: &str, payid: u64) -> Option<usize> {
        self.transactions.iter().position(|t| t.env == env && t.pspid == pspid && t.payid == payid)
    }

    /// The latest order with `orderid`, preferring one that was not refused.
    fn index_by_orderid(&self, env: Env, pspid: &str, orderid: &str) -> Option<usize> {
        let mine = |t: &&Transaction| t.env == env && t.pspid == pspid && t.orderid == orderid;
        let all: Vec<usize> = self.transactions.iter().enumerate().filter(|(_, t)| mine(t)).map(|(i, _)| i).collect();
        all.iter().rev().find(|i| self.transactions[**i].authorised()).or(all.last()).copied()
    }

    fn next_payid(&mut self) -> u64 {
        let used = self.transactions.iter().map(|t| t.payid).max().unwrap_or(0);
        self.last_payid = self.last_payid.max(used).max(3_012_345_000) + 1;
        self.last_payid
    }
}

/// The PostFinance endpoints on their own port.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/ncol/{env}/maintenancedirect.asp", post(maintenance::maintenance))
        .route("/ncol/{env}/querydirect.asp", post(directlink::query))
        .route("/ncol/{env}/orderdirect.asp", post(directlink::order))
        .route("/ncol/{env}/orderstandard.asp", get(hosted::page).post(hosted::page))
        .route("/ncol/{env}/orderstandard_utf8.asp", get(hosted::page).post(hosted::page))
        .route("/ncol/{env}/paymentpage.asp", get(hosted::payment_page))
        .with_state(shared)
}

/// Admin routes under `/admin/postfinance`.
pub fn admin(shared: Shared) -> Router {
    admin::routes(shared)
}

/// Loads the demo data (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}
