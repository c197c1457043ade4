//! Per-scope locks: a Postgres session advisory lock on a connection taken out of the pool for
//! as long as the lock is held. If the holder dies, its connection closes and the lock goes.

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};

/// A held scope lock. Release it with [`ScopeLock::release`]; if it is dropped instead (panic,
/// cancelled task) its connection is closed rather than returned to the pool, which frees the
/// lock on the server.
pub struct ScopeLock {
    scope: String,
    key: i64,
    /// The session that holds the advisory lock; `None` once released.
    conn: Option<PoolConnection<Postgres>>,
}

impl ScopeLock {
    pub(crate) async fn acquire(pool: &PgPool, scope: &str) -> Result<Self, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let key = lock_key(&mut conn, scope).await?;
        sqlx::query("SELECT pg_advisory_lock($1)").bind(key).execute(&mut *conn).await?;
        Ok(ScopeLock { scope: scope.to_owned(), key, conn: Some(conn) })
    }

    pub(crate) async fn try_acquire(pool: &PgPool, scope: &str) -> Result<Option<Self>, sqlx::Error> {
        let mut conn = pool.acquire().await?;
        let key = lock_key(&mut conn, scope).await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut *conn).await?;
        Ok(got.then(|| ScopeLock { scope: scope.to_owned(), key, conn: Some(conn) }))
    }

    /// The locked scope.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Releases the lock and returns the connection to the pool.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .fetch_one(&mut *conn)
                .await
                .unwrap_or(false);
            if !unlocked {
                conn.close_on_drop();
            }
        }
    }
}

impl Drop for ScopeLock {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

/// A 64-bit lock key from the schema and the scope, so services sharing a database never
/// contend on each other's keys.
async fn lock_key(conn: &mut PoolConnection<Postgres>, scope: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT hashtextextended(current_schema() || ':' || $1, 0)")
        .bind(scope)
        .fetch_one(&mut **conn)
        .await
}
