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
    let url: sqlx::postgres::PgConnectOptions = database_url.parse()?;
    let path = std::env::temp_dir().join(format!("payops-pgbench-{}-{clients}.sql", std::process::id()));
    std::fs::write(&path, script)?;
    let mut cmd = std::process::Command::new("pgbench");
    cmd.env("PGOPTIONS", format!("-c search_path={search_path}")).args([
        "-n",
        "-c",
        &clients.to_string(),
        "-j",
        "2",
        "-T",
        &secs.to_string(),
    ]);
    if prepared {
        cmd.args(["-M", "prepared"]);
    }
    let out = cmd
        .arg("-f")
        .arg(&path)
        .args(["-h", url.get_host(), "-p", &url.get_port().to_string(), "-U", url.get_username()])
        .arg(url.get_database().unwrap_or("postgres"))
        .output();
    std::fs::remove_file(&path).ok();
    let out = out?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str, nth: usize| {
        text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.split_whitespace().nth(nth)?.parse::<f64>().ok())
    };
    let tps = field("tps", 2)
        .ok_or_else(|| anyhow::anyhow!("pgbench failed: {text} {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok(PgBench { tps, latency_ms: field("latency average", 3).unwrap_or_default() })
}
