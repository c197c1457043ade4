//! The external-operation journal: the one pattern for every call that changes something at a
//! partner (a charge, a refund, a ticket, a code, a booking), because every such call may be
//! "done, answer lost".
//!
//! 1. Under a per-scope lock (the order id), the intent and its idempotency key are committed.
//! 2. The partner is called (with the key, where the partner accepts one).
//! 3. The outcome is recorded: `succeeded`, `failed` (the partner refused; nothing happened) or
//!    `unknown` (timeout, 5xx, reset: it may have happened).
//!
//! An entry that is `pending` (the process died mid-call) or `unknown` is never simply called
//! again: [`Journal::perform`] and the [`Resolver`] first ask the partner through the
//! operation's probe (a status read, a search by external reference). Only a probe that says
//! "not done" lets the call run again, under the same key.
//!
//! Per-scope serialisation uses Postgres session advisory locks, all held by one dedicated
//! session per journal (outside the pool, see [`ScopeLock`]), so two workers (or replicas)
//! never act on one order at once, a holder keeps no pooled connection while it calls the
//! partner, and a dead process's locks disappear with its session.

mod lock;
mod resolver;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{FromRow, PgPool};

use crate::fault::FaultPoints;
use crate::metrics as m;

pub use lock::ScopeLock;
pub use resolver::{Prober, ResolveReport, Resolver};

/// Fault point: the partner acted and answered, the process dies before recording it.
pub const AFTER_CALL: &str = "journal.after_call";

/// How a partner call ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The partner definitely refused; nothing happened there.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The outcome is unknown (timeout, 5xx, connection reset, unreadable answer).
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// What a probe found out at the partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe<T> {
    /// The operation took effect; here is its result.
    Done(T),
    /// The partner has no trace of it: it is safe to call again.
    NotDone,
    /// The partner refused it (e.g. a recorded error transaction).
    Failed(String),
}

/// A call that changes something at a partner.
pub trait Operation: Send + Sync {
    /// What a successful call yields (stored as JSON).
    type Output: Serialize + DeserializeOwned + Send + Sync;

    /// Operation name for metrics and the resolver registry, e.g. `unzer.charge`.
    fn name(&self) -> &'static str;
    /// Idempotency key, unique per business effect, e.g. `charge:4711:INV-1`.
    fn key(&self) -> String;
    /// Serialisation scope, normally the order id.
    fn scope(&self) -> String;
    /// The request, stored with the intent so a resolver can probe without the caller.
    fn request(&self) -> serde_json::Value;
    /// Calls the partner.
    fn execute(&self) -> impl Future<Output = Result<Self::Output, CallError>> + Send;
    /// Asks the partner whether the operation already took effect.
    fn probe(&self) -> impl Future<Output = Result<Probe<Self::Output>, CallError>> + Send;
}

/// The result of [`Journal::perform`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// Took effect (now, or earlier: `replayed` tells).
    Succeeded {
        /// The partner's result.
        output: T,
        /// True when the result came from the journal or a probe, not from a new call.
        replayed: bool,
    },
    /// The partner refused; nothing happened.
    Failed(String),
    /// Still unknown: try again later (the journal will probe first).
    Unknown(String),
}

/// Journal failures (our side, not the partner's).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A stored outcome no longer matches the operation's output type.
    #[error("journal entry {key} holds an outcome that cannot be read: {reason}")]
    Corrupt {
        /// The entry.
        key: String,
        /// Why.
        reason: String,
    },
    /// The lock passed in is for another scope.
    #[error("lock is for scope {held}, operation needs {wanted}")]
    WrongScope {
        /// Scope of the lock.
        held: String,
        /// Scope of the operation.
        wanted: String,
    },
    /// A fault point fired (tests only).
    #[error(transparent)]
    Crashed(#[from] crate::fault::Crashed),
}

/// One journal row.
#[derive(Debug, Clone, FromRow)]
pub struct Entry {
    /// Idempotency key.
    pub key: String,
    /// Operation name.
    pub operation: String,
    /// Serialisation scope.
    pub scope: String,
    /// pending, unknown, not_done, succeeded or failed.
    pub status: String,
    /// The stored request.
    pub request: serde_json::Value,
    /// The stored result, when succeeded.
    pub outcome: Option<serde_json::Value>,
    /// The last error.
    pub error: Option<String>,
    /// Calls made.
    pub attempts: i32,
    /// Probes made.
    pub probes: i32,
    /// Intent time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The journal of one service schema.
#[derive(Clone)]
pub struct Journal {
    pool: PgPool,
    faults: FaultPoints,
    /// The session holding this journal's scope locks (one per journal, outside the pool).
    locks: Arc<lock::Locks>,
}

impl Journal {
    /// The journal in `pool`'s schema.
    pub fn new(pool: PgPool) -> Self {
        let locks = lock::Locks::new(&pool);
        Journal { pool, faults: FaultPoints::new(), locks }
    }

    /// Uses `faults` for the journal's fault points.
    pub fn with_faults(mut self, faults: FaultPoints) -> Self {
        self.faults = faults;
        self
    }

    /// Takes the lock of `scope`, waiting while another worker holds it.
    pub async fn lock(&self, scope: &str) -> Result<ScopeLock, JournalError> {
        Ok(ScopeLock::acquire(&self.locks, scope).await?)
    }

    /// Takes the lock of `scope` if it is free.
    pub async fn try_lock(&self, scope: &str) -> Result<Option<ScopeLock>, JournalError> {
        Ok(ScopeLock::try_acquire(&self.locks, scope).await?)
    }

    /// Locks the operation's scope, performs it, and releases the lock.
    pub async fn perform<O: Operation>(&self, op: &O) -> Result<Outcome<O::Output>, JournalError> {
        let lock = self.lock(&op.scope()).await?;
        let result = self.perform_locked(&lock, op).await;
        lock.release().await;
        result
    }

    /// Performs `op` while the caller holds the lock of its scope (for callers that run
    /// several operations of one order in sequence).
    pub async fn perform_locked<O: Operation>(
        &self,
        lock: &ScopeLock,
        op: &O,
    ) -> Result<Outcome<O::Output>, JournalError> {
        let scope = op.scope();
        if lock.scope() != scope {
            return Err(JournalError::WrongScope { held: lock.scope().to_owned(), wanted: scope });
        }
        let key = op.key();
        let existing = self.get(&key).await?;
        let attempt_again = match existing {
            Some(e) => match e.status.as_str() {
                "succeeded" => {
                    let output = decode::<O::Output>(&key, e.outcome)?;
                    return Ok(Outcome::Succeeded { output, replayed: true });
                }
                "failed" => return Ok(Outcome::Failed(e.error.unwrap_or_default())),
                "not_done" => true,
                // pending or unknown: reconcile before any retry.
                _ => match self.probe_and_record(op, &key).await? {
                    Some(outcome) => return Ok(outcome),
                    None => true,
                },
            },
            None => {
                sqlx::query(
                    "INSERT INTO journal (key, operation, scope, status, request) VALUES ($1, $2, $3, 'pending', $4) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(&key)
                .bind(op.name())
                .bind(&scope)
                .bind(op.request())
                .execute(&self.pool)
                .await?;
                false
            }
        };
        if attempt_again {
            self.set_status(&key, "pending", None, None).await?;
        }
        sqlx::query("UPDATE journal SET attempts = attempts + 1, updated_at = now() WHERE key = $1")
            .bind(&key)
            .execute(&self.pool)
            .await?;
        let result = op.execute().await;
        self.faults.check(AFTER_CALL)?;
        let outcome = match result {
            Ok(output) => {
                let json = serde_json::to_value(&output)
                    .map_err(|e| JournalError::Corrupt { key: key.clone(), reason: e.to_string() })?;
                self.set_status(&key, "succeeded", Some(json), None).await?;
                Outcome::Succeeded { output, replayed: false }
            }
            Err(CallError::Rejected(reason)) => {
                self.set_status(&key, "failed", None, Some(&reason)).await?;
                Outcome::Failed(reason)
            }
            Err(CallError::Unknown(reason)) => {
                self.set_status(&key, "unknown", None, Some(&reason)).await?;
                Outcome::Unknown(reason)
            }
        };
        record_metric(op.name(), &outcome);
        Ok(outcome)
    }

    /// The entry for `key`.
    pub async fn get(&self, key: &str) -> Result<Option<Entry>, JournalError> {
        Ok(sqlx::query_as(
            "SELECT key, operation, scope, status, request, outcome, error, attempts, probes, created_at, updated_at \
             FROM journal WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Entries of one scope, oldest first.
    pub async fn of_scope(&self, scope: &str) -> Result<Vec<Entry>, JournalError> {
        Ok(sqlx::query_as(
            "SELECT key, operation, scope, status, request, outcome, error, attempts, probes, created_at, updated_at \
             FROM journal WHERE scope = $1 ORDER BY created_at, key",
        )
        .bind(scope)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Number of entries whose outcome is not known yet.
    pub async fn unresolved_count(&self) -> Result<i64, JournalError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM journal WHERE status IN ('pending', 'unknown')")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Probes a pending/unknown entry. `Some(outcome)` when settled, `None` when the call may
    /// run again.
    async fn probe_and_record<O: Operation>(
        &self,
        op: &O,
        key: &str,
    ) -> Result<Option<Outcome<O::Output>>, JournalError> {
        sqlx::query("UPDATE journal SET probes = probes + 1, updated_at = now() WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        let outcome = match op.probe().await {
            Ok(Probe::Done(output)) => {
                let json = serde_json::to_value(&output)
                    .map_err(|e| JournalError::Corrupt { key: key.to_owned(), reason: e.to_string() })?;
                self.set_status(key, "succeeded", Some(json), None).await?;
                Some(Outcome::Succeeded { output, replayed: true })
            }
            Ok(Probe::Failed(reason)) => {
                self.set_status(key, "failed", None, Some(&reason)).await?;
                Some(Outcome::Failed(reason))
            }
            Ok(Probe::NotDone) => None,
            Err(e) => {
                let reason = format!("probe: {e}");
                self.set_status(key, "unknown", None, Some(&reason)).await?;
                Some(Outcome::Unknown(reason))
            }
        };
        if let Some(o) = &outcome {
            record_metric(op.name(), o);
        }
        Ok(outcome)
    }

    async fn set_status(
        &self,
        key: &str,
        status: &str,
        outcome: Option<serde_json::Value>,
        error: Option<&str>,
    ) -> Result<(), JournalError> {
        sqlx::query(
            "UPDATE journal SET status = $2, outcome = COALESCE($3, outcome), error = $4, updated_at = now(), \
             next_check_at = now() + make_interval(secs => 30 * power(2, LEAST(probes, 7))) WHERE key = $1",
        )
        .bind(key)
        .bind(status)
        .bind(outcome)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Reopens the refused entries of `scope` whose operation starts with `prefix` (status
    /// `failed` → `not_done`): a refusal means nothing happened at the partner, so calling again
    /// is safe; the next `perform` under the same key calls the partner again. Returns the keys.
    /// For an operator's "try again" after the cause of the refusal was fixed.
    pub async fn reopen_refused(&self, scope: &str, prefix: &str) -> Result<Vec<String>, JournalError> {
        let keys = sqlx::query_scalar(
            "UPDATE journal SET status = 'not_done', updated_at = now() WHERE scope = $1 AND status = 'failed' \
             AND starts_with(operation, $2) RETURNING key",
        )
        .bind(scope)
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?;
        Ok(keys)
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn decode<T: DeserializeOwned>(key: &str, value: Option<serde_json::Value>) -> Result<T, JournalError> {
    let value = value
        .ok_or_else(|| JournalError::Corrupt { key: key.to_owned(), reason: "succeeded without outcome".into() })?;
    serde_json::from_value(value).map_err(|e| JournalError::Corrupt { key: key.to_owned(), reason: e.to_string() })
}

fn record_metric<T>(operation: &'static str, outcome: &Outcome<T>) {
    let label = match outcome {
        Outcome::Succeeded { replayed: false, .. } => "succeeded",
        Outcome::Succeeded { replayed: true, .. } => "replayed",
        Outcome::Failed(_) => "failed",
        Outcome::Unknown(_) => "unknown",
    };
    metrics::counter!(m::JOURNAL_OPERATIONS, "operation" => operation, "outcome" => label).increment(1);
}
