//! Real service processes for end-to-end tests.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// A service binary running as a child process.
pub struct ServiceProcess {
    /// Binary name, e.g. `payops-echo`.
    pub name: String,
    /// gRPC URL.
    pub grpc_url: String,
    /// Admin URL (`/livez`, `/readyz`, `/metrics`).
    pub admin_url: String,
    child: Child,
}

/// A free TCP port on 127.0.0.1 (bound and released; good enough for tests).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Path of a workspace binary next to the test executable, built on demand.
pub fn binary(package: &str, name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(|d| d.parent()).context("test executable has no target dir")?;
    let path = dir.join(name);
    if !path.exists() {
        let status = std::process::Command::new(env_or("CARGO", "cargo"))
            .args(["build", "-p", package, "--bin", name])
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("cargo build -p {package} --bin {name} failed");
        }
    }
    Ok(path)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl ServiceProcess {
    /// Starts `name` from `package` with `vars` plus fresh GRPC_ADDR / ADMIN_ADDR.
    pub async fn start(package: &str, name: &str, vars: &[(String, String)]) -> anyhow::Result<Self> {
        let grpc = free_port()?;
        let admin = free_port()?;
        let mut cmd = Command::new(binary(package, name)?);
        cmd.env_clear()
            .env("PATH", env_or("PATH", "/usr/bin:/bin"))
            .env("GRPC_ADDR", format!("127.0.0.1:{grpc}"))
            .env("ADMIN_ADDR", format!("127.0.0.1:{admin}"))
            .env("LOG_FORMAT", "json")
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        Ok(ServiceProcess {
            name: name.to_owned(),
            grpc_url: format!("http://127.0.0.1:{grpc}"),
            admin_url: format!("http://127.0.0.1:{admin}"),
            child,
        })
    }

    /// Waits until `/readyz` answers 200, or fails after `limit` (with the process's output).
    pub async fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build()?;
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                let (out, err) = self.output().await;
                bail!("{} exited with {status} before it was ready\nstdout:\n{out}\nstderr:\n{err}", self.name);
            }
            if let Ok(r) = http.get(format!("{}/readyz", self.admin_url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("{} not ready within {limit:?}", self.name)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) -> anyhow::Result<()> {
        self.signal("TERM")
    }

    /// Sends SIGKILL (a crash at an arbitrary instant).
    pub fn kill(&self) -> anyhow::Result<()> {
        self.signal("KILL")
    }

    fn signal(&self, sig: &str) -> anyhow::Result<()> {
        let pid = self.child.id().context("process already reaped")?;
        let status = std::process::Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status()?;
        if !status.success() {
            bail!("kill -{sig} {pid} failed");
        }
        Ok(())
    }

    /// Waits for the exit code (None when killed by a signal) and the captured output.
    pub async fn wait(mut self) -> anyhow::Result<(Option<i32>, String, String)> {
        let status = self.child.wait().await?;
        let (out, err) = self.output().await;
        Ok((status.code(), out, err))
    }

    async fn output(&mut self) -> (String, String) {
        let mut out = String::new();
        let mut err = String::new();
        if let Some(o) = self.child.stdout.as_mut() {
            let _ = o.read_to_string(&mut out).await;
        }
        if let Some(e) = self.child.stderr.as_mut() {
            let _ = e.read_to_string(&mut err).await;
        }
        (out, err)
    }
}
