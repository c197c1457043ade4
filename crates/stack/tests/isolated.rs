//! Private Postgres and NATS instances survive crash restarts with their data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use stack::{IsolatedNats, IsolatedPostgres};

async fn psql(url: &str, sql: &str) -> String {
    let out = tokio::process::Command::new("psql").args([url, "-tAc", sql]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn isolated_postgres_keeps_committed_rows_across_a_crash_restart() {
    let pg = IsolatedPostgres::start().await.unwrap();
    let url = pg.url("postgres");
    psql(&url, "CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)").await;
    pg.crash_restart().await.unwrap();
    assert_eq!(psql(&url, "SELECT count(*) FROM t").await, "2");
}

#[tokio::test]
async fn isolated_nats_restarts_after_a_kill_with_its_jetstream_store() {
    use async_nats::jetstream;
    let mut nats = IsolatedNats::start().await.unwrap();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    js.create_stream(jetstream::stream::Config {
        name: "S".into(),
        subjects: vec!["s.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    js.publish("s.1", "one".into()).await.unwrap().await.unwrap();
    // A SIGKILL may lose acknowledged messages (JetStream fsyncs every two minutes by default,
    // see docs/benchmarks.md); the stream itself and the server's identity must survive.
    drop(js);
    nats.crash_restart().await.unwrap();
    let js = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let mut stream = js.get_stream("S").await.unwrap();
    assert_eq!(stream.info().await.unwrap().config.name, "S", "the stream definition survives");
}
