//! Nets / Nexi **Connect@Cloud** simulator: the cloud REST API a POS uses to run card payments
//! on Lane/Desk/Move terminals. No official specification is public; every answer the gateway
//! reads is a contract case with its public source (`crates/sandbox/contracts/nets/`: the
//! DANOSOFT/saldi production wire log, NaviPartner's NETSCloud codeunits), and this simulator is
//! held to those cases (CT-03). What no source shows is listed below as the simulator's choice.
//!
//! | endpoint | what it does |
//! |---|---|
//! | `POST /v1/login` | `{username,password}` → 200 `{"token","username","terminals":[ids]}`; refused → 401 `{"error"}` |
//! | `GET /v1/terminal` | the account's terminals `{"terminals":[{"terminalId",…}]}` |
//! | `GET /v1/terminal/{id}` | `{"terminal":{"terminalId","terminalName","terminalState","connected"}}` (no public source) |
//! | `POST /v1/terminal/{id}/transaction` | `{"transactionType","amount","orderId"}` (`purchase`, `returnOfGoods`); **blocks** until the terminal finishes: 201 `{"result":[…]}` / 400 `{"failure":…}` |
//! | `GET /v1/terminal/{id}/transaction` | last result only, `{"result":{"latestTransactionResult","orderId"?}}`; aborts a transaction in flight |
//! | `DELETE /v1/terminal/{id}/transaction` | voids the last approved transaction (`{"amount"}` optional) |
//! | `POST /v1/terminal/{id}/administration` | `{"action":"cancelAction"}` |
//!
//! Every call but login needs `Authorization: Bearer <token>` (either case) or `?auth_token=`.
//!
//! **As the sources show:** codes are strings (`Result` "0"/"2"/"99", `RejectionSource` "0",
//! "03" terminal or "05" host, `RejectionReason` "2:1" cancel key, "3:3" duplicate, "3:0"
//! rejected, "4:1" amount too low, "1:2" menu open, "1:0:<rc>" host decline, "3:2:Z3" offline
//! decline); failure texts are production's (`Terminal / cancel key pressed`, `PSP / Not
//! sufficient funds`, …); `TimeStamp` is the terminal's **local** time (`YYYYMMDDhhmmss`, and the
//! ISO `timeStamp` is the same clock with a false `Z`) in the terminal's `time_zone`; an unknown
//! or offline terminal gets 400 `{"failure":{"error":"Invalid terminal ID or terminal not
//! connected"}}` on the transaction path; a purchase for a busy terminal gets 400
//! `{"failure":{"error":"Terminal busy"}}` at once and the running one goes on; `orderId` is
//! mirrored (in `result[0]` and in the lookup's `result`) only for approved transactions;
//! tokens are JWTs with `username`, `id`, `iat`, `exp` and live 24 h.
//!
//! **Fault operations** (SB-05): `login`, `start`, `status` (both terminal GETs), `last_result`,
//! `cancel`, `void`. The purchase call runs entirely inside its guard, so an act-then-fail on
//! `start` lets the terminal finish the payment and then loses the answer; the outcome stays
//! readable through the last-result lookup. A client that gives up never stops the terminal.
//!
//! **Admin routes** (`/admin/nets`, SB-04):
//! `GET/POST /config` ([`NetsConfig`]: token lifetime, terminal timeout, busy status, login
//! fields to leave out for preflight tests); `POST /accounts` ([`NetsAccount`]); `GET/POST
//! /terminals` ([`NetsTerminalSeed`] with currency and time zone → [`NetsTerminalView`]);
//! `GET /terminals/{id}` (state, current, last, history); `POST /terminals/{id}/customer`
//! ([`NetsCustomer`]: `approve`, `decline` with a response code, `cancel`, `reject` with a
//! reason code, `authorise`, `approve_unknown`; 409 when nothing is in progress);
//! `POST /terminals/{id}/mode` and `POST /mode` ([`AutoMode`]: `manual`, `approve`/`decline`
//! after `after_ms`, or any action with `act`); `POST /terminals/{id}/connection`
//! ([`NetsConnection`]); `GET /transactions` ([`NetsTransactions`]).
//!
//! **The simulator's choices where no source shows the behaviour [INF]:** the terminal state
//! call's shape and its 404 `{"error":"Terminal not found"}`; a token past its `exp` → 401
//! `{"error":"Token expired"}`; the purchase answer after our `cancelAction` is the cancel-key
//! answer; the terminal's own timeout (`terminal_timeout_secs`, 180 s of sandbox time) answers
//! `Terminal / timeout` ("2:2"), a purchase aborted by a lookup `Terminal / transaction aborted`
//! ("2:3"); `approve_unknown` answers `Result` "99" with `Transaction result unknown`;
//! `cancelAction` answers 201 `Result` "1" whether or not something ran; before `authorise` it
//! cancels, after it the payment completes as approved; a lookup on a terminal that never ran a
//! transaction → 404 `{"failure":{"error":"No transaction found"}}`; a void reverses the last
//! approved, not yet voided payment (else 404; another amount → 400) and becomes the last
//! result; card data is derived from the sequence number, so runs replay identically;
//! `/v1/terminal/{id}/settings`, other administration actions and WebSockets are not simulated.

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
