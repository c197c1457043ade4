//! A private PostgreSQL cluster: `initdb` into a temp dir, trust auth on 127.0.0.1 and a free
//! port, started and stopped with `pg_ctl`. Postgres refuses to run as root, so as root the
//! commands run as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::{free_port, temp_dir, wait_port};

/// A running private cluster; dropped → stopped and deleted.
pub struct IsolatedPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn pg_bin() -> anyhow::Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries not found under /usr/lib/postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop().context("no pg_ctl under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

fn run_as_postgres(program: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = if is_root() {
        Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(program).args(args).output()?
    } else {
        Command::new(program).args(args).output()?
    };
    if !output.status.success() {
        bail!("{} {:?} failed: {}", program.display(), args, String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

impl IsolatedPostgres {
    /// Creates and starts a cluster.
    pub async fn start() -> anyhow::Result<Self> {
        let bin = pg_bin()?;
        let dir = temp_dir("payops-pg")?;
        if is_root() {
            let status = Command::new("chown").arg("-R").arg("postgres:postgres").arg(&dir).status()?;
            if !status.success() {
                bail!("chown of {} failed", dir.display());
            }
        }
        let data = dir.join("data");
        let data_s = data.to_string_lossy().into_owned();
        run_as_postgres(&bin.join("initdb"), &["-D", &data_s, "-A", "trust", "-U", "postgres", "--no-sync"])?;
        let pg = IsolatedPostgres { dir, bin, port: free_port()? };
        pg.pg_ctl_start().await?;
        Ok(pg)
    }

    async fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let log = self.dir.join("postgres.log").to_string_lossy().into_owned();
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=300 -c fsync=on",
            self.port,
            self.dir.display()
        );
        run_as_postgres(&self.bin.join("pg_ctl"), &["-D", &data, "-l", &log, "-o", &opts, "-w", "start"])?;
        wait_port(self.port, Duration::from_secs(30)).await
    }

    /// `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Crash-restarts the server (`-m immediate`: no checkpoint, in-flight transactions lost,
    /// crash recovery on start), as a power cut or an OOM kill would.
    pub async fn crash_restart(&self) -> anyhow::Result<()> {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        run_as_postgres(&self.bin.join("pg_ctl"), &["-D", &data, "-m", "immediate", "-w", "stop"])?;
        self.pg_ctl_start().await
    }
}

impl Drop for IsolatedPostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").to_string_lossy().into_owned();
        let _ = run_as_postgres(&self.bin.join("pg_ctl"), &["-D", &data, "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
