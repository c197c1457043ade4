//! Postgres alone on a service's SQL: `pgbench` running a script at a given concurrency, so a
//! service benchmark can report whether the database or the service is its bound.

/// What pgbench reached.
#[derive(Debug, Clone, Copy)]
pub struct PgBench {
    /// Transactions (script runs) per second.
    pub tps: f64,
    /// Average latency of one run, ms.
    pub latency_ms: f64,
}

/// Runs `script` (pgbench syntax) with `clients` connections for `secs` seconds against the
/// database of `database_url`, with `search_path` set; `prepared` uses the extended protocol with
/// prepared statements, as sqlx does.
pub fn run(
    database_url: &str,
    search_path: &str,
    script: &str,
    clients: usize,
    secs: u64,
    prepared: bool,
) -> anyhow::Result<PgBench> {
    let path = std::env::temp_dir().join(format!("payops-pgbench-{}-{clients}.sql", std::process::id()));
    std::fs::write(&path, script)?;
    let out = pgbench(database_url, search_path, &path, clients, secs, prepared, &[]);
    std::fs::remove_file(&path).ok();
    let (tps, text) = out?;
    let latency_ms = text
        .lines()
        .find(|l| l.starts_with("latency average"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse::<f64>().ok())
        .unwrap_or_default();
    Ok(PgBench { tps, latency_ms })
}

/// Runs pgbench on the script at `path` with `extra` arguments (see [`run`] for the others);
/// returns the transactions per second it reports and its whole output.
fn pgbench(
    database_url: &str,
    search_path: &str,
    path: &std::path::Path,
    clients: usize,
    secs: u64,
    prepared: bool,
    extra: &[std::ffi::OsString],
) -> anyhow::Result<(f64, String)> {
    let url: sqlx::postgres::PgConnectOptions = database_url.parse()?;
    let mut cmd = std::process::Command::new("pgbench");
    cmd.env("PGOPTIONS", format!("-c search_path={search_path}"))
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", &secs.to_string()])
        .args(extra);
    if prepared {
        cmd.args(["-M", "prepared"]);
    }
    let out = cmd
        .arg("-f")
        .arg(path)
        .args(["-h", url.get_host(), "-p", &url.get_port().to_string(), "-U", url.get_username()])
        .arg(url.get_database().unwrap_or("postgres"))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps"))
        .and_then(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("pgbench failed: {text} {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok((tps, text))
}

/// What pgbench gave at a fixed rate.
#[derive(Debug, Clone, Copy)]
pub struct PgBenchAtRate {
    /// Transactions per second achieved.
    pub tps: f64,
    /// Median latency from each run's scheduled start, µs.
    pub p50_us: u64,
    /// 99th percentile latency from each run's scheduled start, µs.
    pub p99_us: u64,
}

/// Runs `script` at `rate` runs per second (`pgbench --rate`) with `clients` connections for
/// `secs` seconds, logging every run (`--log`), and returns the latency percentiles. pgbench
/// measures a throttled run's latency from its scheduled start, as the open-loop drivers in
/// [`crate::load`] do, so the two p99s answer the same question: what Postgres alone gives on the
/// same SQL at the same load. `prepared` as in [`run`].
pub fn run_at_rate(
    database_url: &str,
    search_path: &str,
    script: &str,
    clients: usize,
    rate: f64,
    secs: u64,
    prepared: bool,
) -> anyhow::Result<PgBenchAtRate> {
    let dir = std::env::temp_dir().join(format!("payops-pgbench-rate-{}-{clients}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("script.sql");
    std::fs::write(&path, script)?;
    let extra = ["-R".into(), format!("{rate:.0}").into(), "-l".into(), "--log-prefix".into(), dir.join("log").into()];
    let out = pgbench(database_url, search_path, &path, clients, secs, prepared, &extra);
    let result = (|| {
        let (tps, _) = out?;
        // One line per run: `client_id transaction_no time script_no time_epoch time_us [lag]`,
        // `time` in µs from the scheduled start.
        let mut hist = hdrhistogram::Histogram::<u64>::new(3)?;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if !entry.file_name().to_string_lossy().starts_with("log") {
                continue;
            }
            for line in std::fs::read_to_string(entry.path())?.lines() {
                let latency = line
                    .split_whitespace()
                    .nth(2)
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| anyhow::anyhow!("pgbench log: unexpected line {line:?}"))?;
                hist.record(latency)?;
            }
        }
        anyhow::ensure!(!hist.is_empty(), "pgbench wrote no transaction log");
        Ok(PgBenchAtRate { tps, p50_us: hist.value_at_quantile(0.5), p99_us: hist.value_at_quantile(0.99) })
    })();
    std::fs::remove_dir_all(&dir).ok();
    result
}
