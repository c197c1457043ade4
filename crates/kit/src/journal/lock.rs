//! Per-scope locks: Postgres session advisory locks, all held by **one dedicated session per
//! journal** rather than by a pooled connection each. A holder keeps no connection while it
//! works: a lock held across a partner call that takes 30 s costs the pool nothing, so N
//! concurrent calls on N orders never wait on each other's connections (with a connection per
//! lock, five calls on a five-connection pool took every connection and then waited for a sixth
//! until the pool timed out).
//!
//! Advisory locks are re-entrant within a session, so the session alone cannot keep two tasks
//! of this process apart: a set of the keys held here does that, and the server lock keeps
//! other processes (replicas) out. If the process dies, its session closes and every lock it
//! held goes with it. If the session breaks while the process lives, its locks are gone at the
//! server too (as with a broken per-lock connection before); it is opened again on next use.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{Mutex, Notify};

/// One statement run on the lock session.
type Step<'c, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

/// Longest wait between two tries for a lock another process holds.
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// The lock session of one journal and the keys this process holds on it.
pub(crate) struct Locks {
    options: PgConnectOptions,
    /// The session holding every advisory lock of this journal; `None` until first use or
    /// after it broke. Locked only for the duration of one statement.
    session: Mutex<Option<PgConnection>>,
    /// Keys held by tasks of this process (the in-process half of the exclusion).
    held: StdMutex<HashSet<i64>>,
    /// Keys whose holder was dropped without releasing; unlocked at the server on next use.
    orphans: StdMutex<Vec<i64>>,
    /// Woken when a key leaves `held`.
    freed: Notify,
}

impl Locks {
    /// Locks for the schema of `pool` (its connect options carry the `search_path`).
    pub(crate) fn new(pool: &PgPool) -> Arc<Locks> {
        Arc::new(Locks {
            options: (*pool.connect_options()).clone(),
            session: Mutex::new(None),
            held: StdMutex::new(HashSet::new()),
            orphans: StdMutex::new(Vec::new()),
            freed: Notify::new(),
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs one step on the session (opening it if needed), after unlocking orphans. A failed
    /// step closes the session: its locks are gone at the server either way.
    async fn on_session<T>(
        &self,
        step: impl for<'c> FnOnce(&'c mut PgConnection) -> Step<'c, T>,
    ) -> Result<T, sqlx::Error> {
        let mut guard = self.session.lock().await;
        if guard.is_none() {
            *guard = Some(PgConnection::connect_with(&self.options).await?);
        }
        let Some(conn) = guard.as_mut() else { return Err(sqlx::Error::PoolClosed) };
        let orphans: Vec<i64> = std::mem::take(&mut *self.orphans.lock().unwrap_or_else(|p| p.into_inner()));
        let mut result = Ok(());
        for key in &orphans {
            if let Err(e) = sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut *conn).await {
                result = Err(e);
                break;
            }
        }
        let result = match result {
            Ok(()) => step(conn).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            // The session may be broken; its locks are gone at the server anyway.
            *guard = None;
        }
        result
    }

    async fn key(&self, scope: &str) -> Result<i64, sqlx::Error> {
        let scope = scope.to_owned();
        self.on_session(move |c| {
            Box::pin(async move {
                // The schema is part of the key, so services sharing a database never contend.
                sqlx::query_scalar("SELECT hashtextextended(current_schema() || ':' || $1, 0)")
                    .bind(scope)
                    .fetch_one(c)
                    .await
            })
        })
        .await
    }

    /// One try: claims `key` in this process, then at the server. `Ok(false)` when either
    /// half is taken.
    async fn try_key(&self, key: i64) -> Result<bool, sqlx::Error> {
        if !self.held().insert(key) {
            return Ok(false);
        }
        let got = self
            .on_session(move |c| {
                Box::pin(async move {
                    sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(c).await
                })
            })
            .await;
        if !matches!(got, Ok(true)) {
            self.held().remove(&key);
            self.freed.notify_waiters();
        }
        got
    }

    async fn unlock(&self, key: i64) {
        let done = self
            .on_session(move |c| {
                Box::pin(async move {
                    sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)").bind(key).fetch_one(c).await
                })
            })
            .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, "advisory unlock failed; the lock session was closed");
        }
        self.held().remove(&key);
        self.freed.notify_waiters();
    }

    fn orphan(self: &Arc<Self>, key: i64) {
        self.orphans.lock().unwrap_or_else(|p| p.into_inner()).push(key);
        // Another task of this process may take the key at once: the server lock is
        // re-entrant, and the orphan's unlock takes back only the dropped holder's count.
        self.held().remove(&key);
        self.freed.notify_waiters();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let locks = self.clone();
            rt.spawn(async move {
                let _ = locks.on_session(|_| Box::pin(async { Ok(()) })).await;
            });
        }
    }
}

/// A held scope lock. Release it with [`ScopeLock::release`]; if it is dropped instead (panic,
/// cancelled task) the lock is given up as soon as the session is next used (at once when a
/// runtime is running).
pub struct ScopeLock {
    scope: String,
    key: i64,
    /// The lock session; `None` once released.
    locks: Option<Arc<Locks>>,
}

impl ScopeLock {
    pub(crate) async fn acquire(locks: &Arc<Locks>, scope: &str) -> Result<Self, sqlx::Error> {
        let key = locks.key(scope).await?;
        let mut backoff = Duration::from_millis(5);
        loop {
            let freed = locks.freed.notified();
            if locks.try_key(key).await? {
                return Ok(ScopeLock { scope: scope.to_owned(), key, locks: Some(locks.clone()) });
            }
            // Woken at once when a task of this process lets go; another process is polled.
            tokio::select! {
                () = freed => {}
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    pub(crate) async fn try_acquire(locks: &Arc<Locks>, scope: &str) -> Result<Option<Self>, sqlx::Error> {
        let key = locks.key(scope).await?;
        Ok(locks.try_key(key).await?.then(|| ScopeLock { scope: scope.to_owned(), key, locks: Some(locks.clone()) }))
    }

    /// The locked scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Releases the lock.
    pub async fn release(mut self) {
        if let Some(locks) = self.locks.take() {
            locks.unlock(self.key).await;
        }
    }
}

impl Drop for ScopeLock {
    fn drop(&mut self) {
        if let Some(locks) = self.locks.take() {
            locks.orphan(self.key);
        }
    }
}
