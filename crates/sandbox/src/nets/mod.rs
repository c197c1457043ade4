//! Nets / Nexi **Connect@Cloud** simulator: the cloud REST API a POS uses to run card payments
//! on Lane/Desk/Move terminals (external-apis.md §2 and §8.2). No official specification is
//! public; the behaviour follows integrator code that talks to production (NaviPartner
//! `npcore-partners`, DANOSOFT `saldi`), and the contracts chosen for the unknown parts are
//! listed below.
//!
//! | endpoint | what it does | documentation |
//! |---|---|---|
//! | `POST /v1/login` | `{username,password}` → 200 `{"token"}`; failures non-200 `{"error"}` | §2.1, GitHub `navipartner/npcore-partners` |
//! | `GET /v1/terminal` | the account's terminals `{"terminals":[…]}` | §2.2 |
//! | `GET /v1/terminal/{id}` | `{"terminal":{"terminalId","terminalName","terminalState","connected"}}` | §2.2 |
//! | `POST /v1/terminal/{id}/transaction` | `{"transactionType","amount","orderId"}`; **blocks** until the terminal finishes: 201 `{"result":[…]}` / 400 `{"failure":…}` | §2.3 |
//! | `GET /v1/terminal/{id}/transaction` | last result only; aborts a transaction in flight | §2.4 |
//! | `DELETE /v1/terminal/{id}/transaction` | voids the last approved transaction (`{"amount"}` optional) | §2.2 |
//! | `POST /v1/terminal/{id}/administration` | `{"action":"cancelAction"}` | §2.2 |
//!
//! Every call but login needs `Authorization: Bearer <token>` or `?auth_token=<token>`.
//!
//! **Fault operations** (SB-05): `login`, `start`, `status` (both terminal GETs), `last_result`,
//! `cancel`, `void`. The purchase call runs entirely inside its guard, so an act-then-fail on
//! `start` lets the terminal finish the payment and then loses the answer; the outcome stays
//! readable through the last-result lookup. A client that gives up (timeout, dropped
//! connection) never stops the terminal either.
//!
//! **Admin routes** (`/admin/nets`, SB-04):
//! `GET/POST /config` ([`NetsConfig`]: token lifetime, terminal timeout, busy status);
//! `POST /accounts` ([`NetsAccount`]); `GET/POST /terminals` ([`NetsTerminalSeed`] →
//! [`NetsTerminalView`]); `GET /terminals/{id}` (state, current, last, history);
//! `POST /terminals/{id}/customer` ([`NetsCustomer`]: `approve`, `decline`, `cancel`,
//! `authorise`, `approve_unknown`; 409 when nothing is in progress);
//! `POST /terminals/{id}/mode` and `POST /mode` (all terminals) ([`AutoMode`]: `manual`, or
//! `approve`/`decline` after `after_ms` real milliseconds — one actor task with a timer heap
//! serves any number of terminals); `POST /terminals/{id}/connection` ([`NetsConnection`]);
//! `GET /transactions` ([`NetsTransactions`]: every transaction started and the number still
//! in progress, for the invariant "no terminal payment left waiting").
//!
//! **Contracts chosen where the real behaviour is unknown [INF]:**
//! - Tokens expire after `token_lifetime_secs` (default 3600) on the sandbox clock → 401
//!   `{"error":"Token expired"}`; an unknown token → 401 `{"error":"Invalid token"}`; a missing
//!   one → 401 `{"error":"Missing authorization token"}`; bad credentials → 401
//!   `{"error":"Invalid username or password"}`; an unparsable login body → 400.
//! - `terminalState` is `idle`, `busy` (a transaction in flight) or `offline` (not connected).
//!   Starting, cancelling, voiding or looking up on an offline terminal → 400
//!   `{"failure":{"error":"Terminal not connected"}}`.
//! - An unknown terminal (or one of another account) → 404: `{"error":"Terminal not found"}` on
//!   `GET /v1/terminal/{id}`, `{"failure":{"error":"Terminal not found"}}` on the transaction
//!   and administration endpoints.
//! - A start while busy → `busy_status` (default 400) `{"failure":{"error":"Terminal busy"}}`.
//! - Only `purchase` and `returnOfGoods` are simulated; `amount` must be a positive integer
//!   (minor units); violations → 400 `{"failure":{"error":"Invalid request: …"}}`.
//! - Outcomes: approved → 201, `Result` 0, `ResponseCode` "00", card data; declined → 400
//!   `"Declined"`, `Result` 2, `ResponseCode` "05"; customer cancel → `"Cancelled by
//!   customer"`; operator cancel → `"Cancelled by operator"`; terminal timeout (default 180 s
//!   of sandbox time) → `"Timeout"`; aborted by a lookup → `"Transaction aborted"`; all with
//!   `Result` 2. `approve_unknown` answers 400 `"Transaction result unknown"` with `Result` 99
//!   while the payment is approved (the lookup shows `Result` 0 and the `orderId`).
//! - `cancelAction` answers 201 with `Result` 1 whether or not something was running. Before
//!   `authorise` it cancels the transaction; after it, the transaction completes as approved at
//!   that moment (the POS loses the race). Once authorised, the timeout and a lookup also
//!   complete it as approved, and the customer can no longer decline or cancel.
//! - The last-result lookup aborts a transaction in flight first, so the aborted transaction
//!   is what it reports; with no transaction ever → 404 `{"failure":{"error":"No transaction
//!   found"}}`. `orderId` is echoed only when the last transaction was approved.
//! - A void reverses the last transaction if it is an approved, not yet voided payment
//!   (else 404 "No transaction found"; a differing `amount` → 400); the reversal becomes the
//!   last result (without `orderId`). Voids complete at once.
//! - `TimeStamp` is ISO-8601 UTC (`…Z`); card data (PAN, STAN) is derived from the sequence
//!   number, so runs with the same requests are identical.
//! - `/v1/terminal/{id}/settings`, other administration actions and the WebSocket variant are
//!   not simulated.

mod actors;
mod admin;
mod auth;
mod demo;
mod handlers;
mod state;
mod terminal;
mod wire;

use axum::Router;
use axum::routing::{get, post};

pub use actors::start_terminal_actors;
pub use admin::{NetsAccount, NetsConnection, NetsCustomer, NetsTerminalSeed, NetsTerminalView, NetsTransactions};
pub use demo::{DEMO_PASSWORD, DEMO_USERNAME};
pub use state::{AutoMode, NetsConfig, NetsTransaction, State, TxOutcome};
pub use terminal::CustomerAction;

use crate::shared::Shared;

/// The Connect@Cloud routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/login", post(auth::login))
        .route("/v1/terminal", get(handlers::list_terminals))
        .route("/v1/terminal/{id}", get(handlers::get_terminal))
        .route("/v1/terminal/{id}/transaction", post(handlers::start).get(handlers::last_result).delete(handlers::void))
        .route("/v1/terminal/{id}/administration", post(handlers::administration))
        .with_state(shared)
}

/// Admin routes under `/admin/nets`.
pub fn admin(shared: Shared) -> Router {
    admin::routes(shared)
}

/// Loads the demo account and terminals (SB-08).
pub fn demo(shared: &Shared) {
    demo::load(shared);
}
