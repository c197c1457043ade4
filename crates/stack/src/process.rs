//! Real service processes: started with a fixed environment and fixed ports, their stdout and
//! stderr written to log files (never to pipes, which a chatty long-running service would fill
//! until it blocks on a write), killed or terminated by signal, and restarted with the same
//! environment and ports.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// A service binary running as a child process. Its output goes to `<log_dir>/<name>.out.log`
/// and `<name>.err.log` (appended across restarts); [`ServiceProcess::output`] returns what the
/// current run wrote.
pub struct ServiceProcess {
    /// Binary name, e.g. `payops-echo`.
    pub name: String,
    /// gRPC URL.
    pub grpc_url: String,
    /// Admin URL (`/livez`, `/readyz`, `/metrics`).
    pub admin_url: String,
    spec: Spec,
    child: Child,
    /// Lengths of the two log files when the current run started.
    offsets: (u64, u64),
}

/// Everything needed to start the process again the same way.
#[derive(Clone)]
struct Spec {
    binary: PathBuf,
    /// Arguments (a launcher such as `chroot` gets the real binary here).
    args: Vec<String>,
    vars: Vec<(String, String)>,
    out_log: PathBuf,
    err_log: PathBuf,
}

/// Path of a workspace binary next to the test executable, built on demand when missing.
pub fn binary(package: &str, name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().and_then(|d| d.parent()).context("test executable has no target dir")?;
    let mut path = dir.join(name);
    if !path.exists() {
        // Tools run from target/<profile>/ directly (not from deps/).
        let beside = exe.parent().context("executable has no directory")?.join(name);
        if beside.exists() {
            path = beside;
        } else {
            let status = std::process::Command::new(env_or("CARGO", "cargo"))
                .args(["build", "-p", package, "--bin", name])
                .status()
                .context("running cargo build")?;
            if !status.success() {
                bail!("cargo build -p {package} --bin {name} failed");
            }
        }
    }
    Ok(path)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl ServiceProcess {
    /// Starts `name` from `package` with `vars` plus fresh GRPC_ADDR / ADMIN_ADDR, logging to a
    /// fresh temp directory.
    pub async fn start(package: &str, name: &str, vars: &[(String, String)]) -> anyhow::Result<Self> {
        let dir = crate::temp_dir(&format!("payops-{name}"))?;
        let grpc = testkit::free_port()?;
        let admin = testkit::free_port()?;
        Self::start_with(package, name, vars, grpc, admin, &dir).await
    }

    /// Starts `name` from `package` with `vars`, gRPC on `grpc_port`, admin on `admin_port`
    /// (both on 127.0.0.1) and logs under `log_dir`.
    pub async fn start_with(
        package: &str,
        name: &str,
        vars: &[(String, String)],
        grpc_port: u16,
        admin_port: u16,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
        let mut all = vec![
            ("GRPC_ADDR".to_owned(), format!("127.0.0.1:{grpc_port}")),
            ("ADMIN_ADDR".to_owned(), format!("127.0.0.1:{admin_port}")),
            ("LOG_FORMAT".to_owned(), "json".to_owned()),
        ];
        all.extend(vars.iter().cloned());
        let spec = Spec {
            binary: binary(package, name)?,
            args: Vec::new(),
            vars: all,
            out_log: log_dir.join(format!("{name}.out.log")),
            err_log: log_dir.join(format!("{name}.err.log")),
        };
        let (child, offsets) = spawn(&spec, name)?;
        Ok(ServiceProcess {
            name: name.to_owned(),
            grpc_url: format!("http://127.0.0.1:{grpc_port}"),
            admin_url: format!("http://127.0.0.1:{admin_port}"),
            spec,
            child,
            offsets,
        })
    }

    /// Starts `argv` (a launcher and its arguments, e.g. `chroot --userspec=… <root> <binary>`)
    /// as service `name` with `vars`, gRPC on `grpc_port`, admin on `admin_port` and logs under
    /// `log_dir`; otherwise like [`ServiceProcess::start_with`].
    pub async fn start_argv(
        name: &str,
        argv: &[String],
        vars: &[(String, String)],
        grpc_port: u16,
        admin_port: u16,
        log_dir: &Path,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(log_dir).with_context(|| format!("creating {}", log_dir.display()))?;
        let (program, args) = argv.split_first().context("empty argv")?;
        let mut all = vec![
            ("GRPC_ADDR".to_owned(), format!("127.0.0.1:{grpc_port}")),
            ("ADMIN_ADDR".to_owned(), format!("127.0.0.1:{admin_port}")),
            ("LOG_FORMAT".to_owned(), "json".to_owned()),
        ];
        all.extend(vars.iter().cloned());
        let spec = Spec {
            binary: PathBuf::from(program),
            args: args.to_vec(),
            vars: all,
            out_log: log_dir.join(format!("{name}.out.log")),
            err_log: log_dir.join(format!("{name}.err.log")),
        };
        let (child, offsets) = spawn(&spec, name)?;
        Ok(ServiceProcess {
            name: name.to_owned(),
            grpc_url: format!("http://127.0.0.1:{grpc_port}"),
            admin_url: format!("http://127.0.0.1:{admin_port}"),
            spec,
            child,
            offsets,
        })
    }

    /// The process id of the current run (`None` once reaped).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The stdout log file (JSON log lines).
    pub fn out_log(&self) -> &Path {
        &self.spec.out_log
    }

    /// The stderr log file (start-up errors).
    pub fn err_log(&self) -> &Path {
        &self.spec.err_log
    }

    /// Waits until `/readyz` answers 200 from this very process, or fails after `limit` (with
    /// the process's output). "This very process": its own log says its gRPC server listens
    /// (or readiness held for 5 s while it kept running), so a foreign process that answers on
    /// a port this one failed to bind is not mistaken for it.
    pub async fn wait_ready(&mut self, limit: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build()?;
        let started = Instant::now();
        let mut ready_since: Option<Instant> = None;
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                let (out, err) = self.output();
                bail!("{} exited with {status} before it was ready\nstdout:\n{out}\nstderr:\n{err}", self.name);
            }
            let ready = matches!(
                http.get(format!("{}/readyz", self.admin_url)).send().await,
                Ok(r) if r.status().is_success()
            );
            if ready {
                let since = *ready_since.get_or_insert_with(Instant::now);
                if self.output().0.contains("gRPC server listening") || since.elapsed() > Duration::from_secs(5) {
                    return Ok(());
                }
            } else {
                ready_since = None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, err) = self.output();
        bail!("{} not ready within {limit:?}; stderr:\n{err}\n(logs: {})", self.name, self.spec.out_log.display())
    }

    /// True while the current run has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
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

    /// Waits for the current run to exit.
    pub async fn wait_exit(&mut self) -> anyhow::Result<ExitStatus> {
        Ok(self.child.wait().await?)
    }

    /// SIGKILLs the current run (if it still runs), waits for it, and starts the binary again
    /// with the same environment and ports. Does not wait for readiness.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        if self.is_running() {
            self.kill()?;
        }
        self.child.wait().await?;
        let (child, offsets) = spawn(&self.spec, &self.name)?;
        self.child = child;
        self.offsets = offsets;
        Ok(())
    }

    /// Waits for the exit code (None when killed by a signal) and the current run's output.
    pub async fn wait(mut self) -> anyhow::Result<(Option<i32>, String, String)> {
        let status = self.child.wait().await?;
        let (out, err) = self.output();
        Ok((status.code(), out, err))
    }

    /// What the current run wrote to stdout and stderr so far.
    pub fn output(&self) -> (String, String) {
        (read_from(&self.spec.out_log, self.offsets.0), read_from(&self.spec.err_log, self.offsets.1))
    }
}

/// Spawns the binary with its output appended to the log files; returns the child and the log
/// lengths before it started.
fn spawn(spec: &Spec, name: &str) -> anyhow::Result<(Child, (u64, u64))> {
    let (out, out_at) = append(&spec.out_log)?;
    let (err, err_at) = append(&spec.err_log)?;
    let mut cmd = Command::new(&spec.binary);
    cmd.args(&spec.args)
        .env_clear()
        .env("PATH", env_or("PATH", "/usr/bin:/bin"))
        .envs(spec.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .kill_on_drop(true);
    let child = cmd.spawn().with_context(|| format!("starting {name} ({})", spec.binary.display()))?;
    Ok((child, (out_at, err_at)))
}

fn append(path: &Path) -> anyhow::Result<(File, u64)> {
    let f = OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}", path.display()))?;
    let len = f.metadata()?.len();
    Ok((f, len))
}

fn read_from(path: &Path, offset: u64) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}
