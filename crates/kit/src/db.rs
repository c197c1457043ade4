//! Postgres: one pool per service whose connections all use the service's own schema
//! (`search_path`), and migrations that first install the kit's tables (outbox, inbox, dead
//! letters, journal) and then the service's own, tracked in the schema's `_sqlx_migrations`.
//!
//! **Invariant:** no service reads another service's schema.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::migrate::{Migration, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::config::{ConfigError, Env};

/// Kit tables, installed into every service schema before the service's own migrations.
static KIT_MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// First version a service migration may use; lower versions belong to the kit.
pub const FIRST_SERVICE_VERSION: i64 = 1000;

/// Database settings.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `DATABASE_URL` (or `DATABASE_URL_FILE`): may hold a password, so it is a secret.
    pub url: SecretString,
    /// `DB_SCHEMA`: the service's schema, default the service name in snake case.
    pub schema: String,
    /// `DB_MAX_CONNECTIONS`: pool size per replica, default 10. (Pool size + the journal's one
    /// lock session) × replicas must stay below Postgres `max_connections`.
    pub max_connections: u32,
    /// `DB_ACQUIRE_TIMEOUT`: how long a request waits for a pooled connection, default 5s.
    pub acquire_timeout: Duration,
}

impl DbConfig {
    /// Reads the database variables.
    pub fn from_env(env: &Env, default_schema: &str) -> Result<Self, ConfigError> {
        let schema: String = env.or("DB_SCHEMA", default_schema.to_owned())?;
        if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(ConfigError::new("DB_SCHEMA", "may only contain a-z, 0-9 and '_'"));
        }
        let max_connections = env.or("DB_MAX_CONNECTIONS", 10u32)?;
        if max_connections == 0 {
            return Err(ConfigError::new("DB_MAX_CONNECTIONS", "must be at least 1"));
        }
        let url = env.secret("DATABASE_URL")?;
        PgConnectOptions::from_str(url.expose_secret())
            .map_err(|_| ConfigError::new("DATABASE_URL", "is not a valid postgres:// URL"))?;
        Ok(DbConfig {
            url,
            schema,
            max_connections,
            acquire_timeout: env.duration_or("DB_ACQUIRE_TIMEOUT", Duration::from_secs(5))?,
        })
    }
}

/// Database failures of the kit.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL could not be parsed.
    #[error("invalid database URL")]
    InvalidUrl,
    /// A query or connection failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A service migration uses a version reserved for the kit.
    #[error("service migration version {0} is below {FIRST_SERVICE_VERSION}, which the kit reserves")]
    ReservedVersion(i64),
}

/// Builds a pool whose connections use `config.schema`. Connections are opened lazily, so a
/// service starts (and reports NOT_SERVING) while Postgres is still down.
pub fn connect_lazy(config: &DbConfig) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(config.url.expose_secret())
        .map_err(|_| DbError::InvalidUrl)?
        .options([("search_path", config.schema.as_str())])
        .application_name(&config.schema);
    // No ping before every acquire: it costs a round trip per transaction. A connection broken
    // by a Postgres restart fails its first query instead, which callers treat as transient.
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// Creates the schema if needed and runs the kit's and then the service's migrations.
/// Concurrent replicas are serialised by sqlx's migration lock.
pub async fn migrate(pool: &PgPool, schema: &str, service: &Migrator) -> Result<(), DbError> {
    if let Some(m) = service.iter().find(|m| m.version < FIRST_SERVICE_VERSION) {
        return Err(DbError::ReservedVersion(m.version));
    }
    let mut conn = pool.acquire().await?;
    // Two replicas may race to create the schema; the loser's error is harmless.
    if let Err(e) = sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).execute(&mut *conn).await {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(schema)
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            return Err(e.into());
        }
    }
    let all: Vec<Migration> = KIT_MIGRATIONS.iter().chain(service.iter()).cloned().collect();
    let combined = Migrator { migrations: Cow::Owned(all), ..Migrator::DEFAULT };
    combined.run(&mut *conn).await?;
    Ok(())
}

/// A migrator with no migrations, for services that only need the kit's tables.
pub static NO_MIGRATIONS: Migrator = Migrator::DEFAULT;

/// True when `error` is a violation of the named constraint (to map it to AlreadyExists or
/// FailedPrecondition).
pub fn is_constraint(error: &sqlx::Error, name: &str) -> bool {
    error.as_database_error().and_then(|e| e.constraint()).is_some_and(|c| c == name)
}

/// True for errors worth retrying: connection loss, pool timeout, serialisation failures and
/// deadlocks.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("40001" | "40P01" | "57P01" | "08006" | "08003"))
        }
        _ => false,
    }
}
