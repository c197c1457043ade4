//! Per-test Postgres databases and NATS streams.

use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context;
use kit::bus::{Bus, BusConfig};
use kit::config::Env;
use kit::db::DbConfig;
use rand::Rng;
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// Name prefix of every database a test creates.
const DB_PREFIX: &str = "payops_t_";

/// The bearer token of the caller `testkit` that [`TestEnv::service_env`] configures: every
/// permission, every tenant (tests of a service's own behaviour).
pub const CALLER_TOKEN: &str = "testkit-caller-0123456789abcdef";
/// A caller every test service knows that holds no permission at all (`outsider`).
pub const OUTSIDER_TOKEN: &str = "testkit-outsider-0123456789abcdef";
/// A caller with every permission for the tenant `no-such-tenant` only (`elsewhere`).
pub const ELSEWHERE_TOKEN: &str = "testkit-elsewhere-0123456789abcdef";
/// `CALLERS` of every service a test starts (SE-01: tests run authenticated).
pub const CALLERS: &str = "testkit:testkit-caller-0123456789abcdef:*:*\n\
    outsider:testkit-outsider-0123456789abcdef:nothing:*\n\
    elsewhere:testkit-elsewhere-0123456789abcdef:*:no-such-tenant";

/// A channel to a test service's gRPC `url` that authenticates as `testkit`.
pub fn grpc_channel(url: &str) -> kit::grpc::client::TracedChannel {
    grpc_channel_as(url, CALLER_TOKEN)
}

/// A channel to `url` that authenticates with `token`. Panics on a malformed URL: a test's own
/// mistake, reported where it is made.
#[allow(clippy::expect_used)]
pub fn grpc_channel_as(url: &str, token: &str) -> kit::grpc::client::TracedChannel {
    kit::grpc::client::connect_lazy(url, Some(&SecretString::from(token.to_owned()))).expect("a valid test URL")
}

/// One test's isolated environment.
pub struct TestEnv {
    /// URL of this test's own database.
    pub database_url: String,
    /// Name of this test's database.
    pub database: String,
    /// NATS URL.
    pub nats_url: String,
    /// Subject prefix of this test's events, e.g. `t3f9a0c.events`.
    pub prefix: String,
    /// This test's stream name.
    pub stream: String,
    admin_url: String,
}

struct Servers {
    postgres: String,
    nats: String,
}

static SERVERS: OnceLock<Servers> = OnceLock::new();

impl TestEnv {
    /// Creates a fresh database and picks a fresh prefix and stream.
    pub async fn new() -> anyhow::Result<Self> {
        crate::init_logs();
        let servers = servers().await?;
        let suffix: String = {
            let mut rng = rand::rng();
            (0..10).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect()
        };
        let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
        let database = format!("{DB_PREFIX}{stamp}_{suffix}");
        let admin: PgConnectOptions = servers.postgres.parse().context("DATABASE_URL is not a postgres URL")?;
        let mut conn = admin
            .clone()
            .log_statements(tracing::log::LevelFilter::Trace)
            .connect()
            .await
            .context("connecting to DATABASE_URL")?;
        sqlx::query(&format!("CREATE DATABASE \"{database}\""))
            .execute(&mut conn)
            .await
            .context("creating the test database")?;
        conn.close().await.ok();
        let database_url = admin.database(&database).to_url_lossy().to_string();
        Ok(TestEnv {
            database_url,
            database,
            nats_url: servers.nats.clone(),
            prefix: format!("t{suffix}.events"),
            stream: format!("T_{}_EVENTS", suffix.to_uppercase()),
            admin_url: servers.postgres.clone(),
        })
    }

    /// Database settings for a service schema in this test's database.
    pub fn db_config(&self, schema: &str) -> DbConfig {
        DbConfig {
            url: SecretString::from(self.database_url.clone()),
            schema: schema.to_owned(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }

    /// Like [`TestEnv::db_config`] but through another host:port (a [`crate::TcpProxy`]).
    pub fn db_config_via(&self, schema: &str, addr: std::net::SocketAddr) -> anyhow::Result<DbConfig> {
        let opts: PgConnectOptions = self.database_url.parse()?;
        let url = opts.host(&addr.ip().to_string()).port(addr.port()).to_url_lossy().to_string();
        Ok(DbConfig { url: SecretString::from(url), ..self.db_config(schema) })
    }

    /// A migrated pool on `schema` with only the kit's tables.
    pub async fn pool(&self, schema: &str) -> anyhow::Result<sqlx::PgPool> {
        let pool = kit::db::connect_lazy(&self.db_config(schema))?;
        kit::db::migrate(&pool, schema, &kit::db::NO_MIGRATIONS).await?;
        Ok(pool)
    }

    /// Bus settings with this test's prefix and stream.
    pub fn bus_config(&self) -> BusConfig {
        BusConfig { prefix: self.prefix.clone(), stream: self.stream.clone(), ..BusConfig::new(self.nats_url.clone()) }
    }

    /// A connected bus with this test's stream created.
    pub async fn bus(&self) -> anyhow::Result<Bus> {
        let bus = Bus::connect(&self.bus_config()).await?;
        bus.ensure_stream().await?;
        Ok(bus)
    }

    /// Environment variables that point a service at this test's database and bus
    /// (listeners on port 0, JSON logs off).
    pub fn service_env(&self, schema: &str) -> Env {
        Env::from_pairs([
            ("DATABASE_URL", self.database_url.as_str()),
            ("DB_SCHEMA", schema),
            ("NATS_URL", self.nats_url.as_str()),
            ("EVENTS_PREFIX", self.prefix.as_str()),
            ("EVENTS_STREAM", self.stream.as_str()),
            ("GRPC_ADDR", "127.0.0.1:0"),
            ("ADMIN_ADDR", "127.0.0.1:0"),
            ("LOG_FORMAT", "pretty"),
            ("SHUTDOWN_GRACE", "5s"),
            ("CALLERS", CALLERS),
        ])
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Clean up on a thread of its own: Drop cannot await and may run outside a runtime.
        let admin = self.admin_url.clone();
        let database = self.database.clone();
        let nats = self.nats_url.clone();
        let stream = self.stream.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
                if let Ok(client) = async_nats::connect(nats.as_str()).await {
                    let _ = async_nats::jetstream::new(client).delete_stream(&stream).await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

async fn servers() -> anyhow::Result<&'static Servers> {
    if let Some(s) = SERVERS.get() {
        return Ok(s);
    }
    let found = match (std::env::var("DATABASE_URL").ok(), std::env::var("NATS_URL").ok()) {
        (Some(pg), Some(nats)) if !pg.is_empty() && !nats.is_empty() => Servers { postgres: pg, nats },
        _ => containers().await?,
    };
    drop_stale_databases(&found.postgres).await;
    Ok(SERVERS.get_or_init(|| found))
}

/// Drops test databases older than two hours that a killed test run left behind.
async fn drop_stale_databases(admin: &str) {
    let Ok(mut conn) = sqlx::PgConnection::connect(admin).await else { return };
    let cutoff = (chrono::Utc::now() - chrono::Duration::hours(2)).format("%Y%m%d%H%M%S").to_string();
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'payops\\_t\\_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
    for name in names {
        let stamp = name.trim_start_matches(DB_PREFIX).split('_').next().unwrap_or("");
        if stamp.len() == 14 && stamp < cutoff.as_str() {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn).await;
        }
    }
}

#[cfg(feature = "containers")]
async fn containers() -> anyhow::Result<Servers> {
    use testcontainers_modules::testcontainers::ImageExt;
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    use testcontainers_modules::{nats, postgres};
    // The containers live for the rest of the test process.
    static HELD: OnceLock<(
        testcontainers_modules::testcontainers::ContainerAsync<postgres::Postgres>,
        testcontainers_modules::testcontainers::ContainerAsync<nats::Nats>,
    )> = OnceLock::new();
    let pg = postgres::Postgres::default().start().await.context("starting a Postgres container")?;
    let js = nats::Nats::default()
        .with_cmd(&nats::NatsServerCmd::default().with_jetstream())
        .start()
        .await
        .context("starting a NATS container")?;
    let pg_url = format!("postgres://postgres:postgres@127.0.0.1:{}/postgres", pg.get_host_port_ipv4(5432).await?);
    let nats_url = format!("nats://127.0.0.1:{}", js.get_host_port_ipv4(4222).await?);
    let _ = HELD.set((pg, js));
    Ok(Servers { postgres: pg_url, nats: nats_url })
}

#[cfg(not(feature = "containers"))]
async fn containers() -> anyhow::Result<Servers> {
    anyhow::bail!(
        "set DATABASE_URL and NATS_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres and nats://127.0.0.1:4222), \
         or enable the testkit feature `containers` where a Docker engine runs"
    )
}
