//! A fresh start for `make up`: the sandbox keeps its world in memory and starts from the same
//! demo data every time, so the services' state must start fresh with it, or pixi-sync would
//! remember releases and incidents of orders the new sandbox has never seen. This drops and
//! re-creates the stack's database and deletes its event stream (the services create the
//! stream and their schemas again at start).

use anyhow::{Context, bail};
use sqlx::{Connection, Executor, PgConnection};

/// Drops and re-creates the database of `database_url` and deletes `stream` on `nats_url`.
pub async fn reset(database_url: &str, nats_url: &str, stream: &str) -> anyhow::Result<()> {
    let (server, name) = split_database(database_url)?;
    if name == "postgres" {
        bail!("refusing to drop the maintenance database postgres");
    }
    let mut conn = PgConnection::connect(&format!("{server}/postgres")).await.context("connecting to Postgres")?;
    conn.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await?;
    conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await?;
    conn.close().await?;
    let nats = async_nats::connect(nats_url).await.context("connecting to NATS")?;
    let js = async_nats::jetstream::new(nats);
    if js.get_stream(stream).await.is_ok() {
        js.delete_stream(stream).await.context("deleting the event stream")?;
    }
    Ok(())
}

/// `postgres://u@h:5432/payops?x=y` → (`postgres://u@h:5432`, `payops`); only plain names.
fn split_database(url: &str) -> anyhow::Result<(String, String)> {
    let base = url.split('?').next().unwrap_or(url);
    let Some((server, name)) = base.rsplit_once('/') else { bail!("DATABASE_URL has no database name") };
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !plain || !server.contains("://") || server.ends_with('/') {
        bail!("DATABASE_URL must end in a plain database name such as /payops");
    }
    Ok((server.to_owned(), name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::split_database;

    #[test]
    fn the_database_name_is_split_off_and_must_be_plain() {
        let (server, name) = split_database("postgres://postgres@127.0.0.1:5432/payops").unwrap_or_default();
        assert_eq!((server.as_str(), name.as_str()), ("postgres://postgres@127.0.0.1:5432", "payops"));
        assert!(split_database("postgres://h/pay\"ops").is_err());
        assert!(split_database("postgres://h/").is_err());
    }
}
