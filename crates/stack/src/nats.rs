//! A private NATS server with JetStream: own port, own store dir; kill it and start it again on
//! the same store, as a crashed and restarted broker.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::{free_port, temp_dir, wait_port};

/// A running private NATS server; dropped → killed and its store deleted.
pub struct IsolatedNats {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

fn nats_server() -> anyhow::Result<PathBuf> {
    for p in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"] {
        if std::path::Path::new(p).exists() {
            return Ok(PathBuf::from(p));
        }
    }
    anyhow::bail!("nats-server not found (Debian package nats-server)")
}

impl IsolatedNats {
    /// Starts a server.
    pub async fn start() -> anyhow::Result<Self> {
        let mut n = IsolatedNats { dir: temp_dir("payops-nats")?, port: free_port()?, child: None };
        n.spawn().await?;
        Ok(n)
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let child = Command::new(nats_server()?)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.dir.join("store"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nats-server")?;
        self.child = Some(child);
        wait_port(self.port, Duration::from_secs(15)).await
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and starts it again on the same store.
    pub async fn crash_restart(&mut self) -> anyhow::Result<()> {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
        self.spawn().await
    }
}

impl Drop for IsolatedNats {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
