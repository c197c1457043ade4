//! The Nets simulator's state: configuration, accounts and their login sessions, terminals with
//! the transaction in flight, and the history of every transaction any terminal started.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::actors::Scheduled;

/// Tunable behaviour of the simulated Connect@Cloud service (admin `GET/POST /admin/nets/config`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetsConfig {
    /// Lifetime of a login token on the sandbox clock, in seconds.
    pub token_lifetime_secs: i64,
    /// The terminal's own timeout for a started transaction on the sandbox clock, in seconds.
    pub terminal_timeout_secs: i64,
    /// HTTP status answered to a start while the terminal is busy.
    pub busy_status: u16,
    /// Fields left out of the login answer (`token`, `username`, `terminals`): a broken
    /// partner for preflight tests (CT-06).
    pub omit_login_fields: Vec<String>,
}

impl Default for NetsConfig {
    fn default() -> Self {
        // Production tokens live 24 h (every JWT in the public wire log: exp - iat = 86400 s).
        NetsConfig {
            token_lifetime_secs: 86_400,
            terminal_timeout_secs: 180,
            busy_status: 400,
            omit_login_fields: vec![],
        }
    }
}

impl NetsConfig {
    /// Checks ranges; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.token_lifetime_secs <= 0 {
            return Err("token_lifetime_secs: must be positive".into());
        }
        if self.terminal_timeout_secs <= 0 {
            return Err("terminal_timeout_secs: must be positive".into());
        }
        if !(400..=499).contains(&self.busy_status) {
            return Err("busy_status: must be a 4xx status".into());
        }
        if let Some(f) =
            self.omit_login_fields.iter().find(|f| !["token", "username", "terminals"].contains(&f.as_str()))
        {
            return Err(format!("omit_login_fields: {f:?} is not a field of the login answer"));
        }
        Ok(())
    }
}

/// How a terminal's customer behaves without being driven through the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum AutoMode {
    /// Nothing happens until the admin API drives the customer (or the terminal times out).
    #[default]
    Manual,
    /// Every transaction is approved `after_ms` milliseconds of real time after it started.
    Approve {
        /// Delay in real milliseconds.
        after_ms: u64,
    },
    /// Every transaction is declined `after_ms` milliseconds of real time after it started.
    Decline {
        /// Delay in real milliseconds.
        after_ms: u64,
    },
    /// Every transaction ends as `action` does (with `code`, see [`super::NetsCustomer`])
    /// `after_ms` milliseconds of real time after it started (0: at once, in the start call).
    Act {
        /// What the customer (or the terminal) does.
        action: super::CustomerAction,
        /// The decline's response code or the rejection's reason code.
        #[serde(default)]
        code: Option<String>,
        /// Delay in real milliseconds.
        #[serde(default)]
        after_ms: u64,
    },
}

/// Where a terminal transaction ended (or that it has not ended yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxOutcome {
    /// The terminal still waits for the customer.
    InProgress,
    /// The card was charged.
    Approved,
    /// The issuer declined the card.
    Declined,
    /// The customer pressed cancel on the terminal.
    CancelledByCustomer,
    /// The POS sent `cancelAction` before the card was authorised.
    CancelledByOperator,
    /// The terminal's own timeout ended the transaction.
    TimedOut,
    /// A last-result lookup arrived while the transaction ran and aborted it.
    AbortedByLookup,
    /// The terminal refused it (duplicate, rejected, amount too low, menu open): see `code`.
    Rejected,
}

/// One transaction a terminal started, as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetsTransaction {
    /// Global sequence number, from 1.
    pub seq: u64,
    /// The terminal.
    pub terminal_id: String,
    /// `purchase`, `returnOfGoods` or `reversal` (a void).
    pub transaction_type: String,
    /// Amount in minor units.
    pub amount: i64,
    /// The terminal's currency.
    pub currency: String,
    /// The POS's order id, as sent.
    pub order_id: Option<String>,
    /// Sandbox time the terminal started.
    pub started_at: DateTime<Utc>,
    /// Sandbox time it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: TxOutcome,
    /// The issuer's response code of a decline (`51`, `Z3`, …) or the terminal's rejection
    /// reason (`3:3`, `3:0`, `4:1`, `1:2`).
    #[serde(default)]
    pub code: Option<String>,
    /// The card was authorised (a cancel can no longer stop it).
    pub authorised: bool,
    /// The purchase call answered `Result` 99 although the payment was approved.
    pub reported_unknown: bool,
    /// A later void reversed it.
    pub voided: bool,
    /// STAN and authorisation code (when a card was presented).
    pub stan_auth: Option<String>,
    /// Masked card number (when a card was presented).
    pub truncated_pan: Option<String>,
}

/// A login session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) username: String,
    pub(crate) expires_at: DateTime<Utc>,
}

/// A transaction the terminal is working on.
#[derive(Debug)]
pub(crate) struct InFlight {
    /// Index into [`State::transactions`].
    pub(crate) tx: usize,
    /// When the terminal's own timeout ends it (sandbox time).
    pub(crate) deadline: DateTime<Utc>,
    /// Wakes the blocked purchase call with the finished transaction; `None` once used.
    pub(crate) waiter: Option<oneshot::Sender<NetsTransaction>>,
}

/// One terminal bound to an account.
#[derive(Debug)]
pub(crate) struct Terminal {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) account: String,
    pub(crate) connected: bool,
    pub(crate) currency: String,
    /// Terminals report times in their local time (the public wire log: `TimeStamp` is the
    /// shop's clock, and the ISO `timeStamp` the same clock with a `Z`).
    pub(crate) time_zone: chrono_tz::Tz,
    pub(crate) mode: AutoMode,
    pub(crate) current: Option<InFlight>,
    /// Index of the transaction a last-result lookup reports.
    pub(crate) last: Option<usize>,
}

impl Terminal {
    /// `idle`, `busy` or `offline`, as `GET /v1/terminal/{id}` reports it.
    pub(crate) fn state_name(&self) -> &'static str {
        if !self.connected {
            "offline"
        } else if self.current.is_some() {
            "busy"
        } else {
            "idle"
        }
    }
}

impl State {
    /// The time zone terminal `id` reports times in (UTC for an unknown id).
    pub(crate) fn time_zone(&self, id: &str) -> chrono_tz::Tz {
        self.terminals.get(id).map_or(chrono_tz::UTC, |t| t.time_zone)
    }
}

/// Simulator state.
#[derive(Default)]
pub struct State {
    pub(crate) config: NetsConfig,
    /// Username → password.
    pub(crate) accounts: BTreeMap<String, String>,
    /// Token → session.
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) terminals: BTreeMap<String, Terminal>,
    /// Every transaction ever started, in order.
    pub(crate) transactions: Vec<NetsTransaction>,
    /// Deadlines of the transactions in flight, so expiry is a range scan, not a full sweep.
    pub(crate) deadlines: BTreeSet<(DateTime<Utc>, String)>,
    /// Hands auto-mode completions to the terminal actor task; `None` until it runs.
    pub(crate) scheduler: Option<mpsc::UnboundedSender<Scheduled>>,
    /// Counter for tokens and card data.
    pub(crate) counter: u64,
}
