//! The external checkers the operability tests run, found where `deploy/tools/ops-tools.sh`
//! installs them. A missing tool fails the test loudly, naming the script that installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// A path under the repository root.
pub fn path(rel: &str) -> PathBuf {
    repo().join(rel)
}

/// Reads a repository file as text.
pub fn read(rel: &str) -> String {
    std::fs::read_to_string(path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

fn tools_dir() -> PathBuf {
    match std::env::var_os("PAYOPS_TOOLS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/payops/tools"),
    }
}

fn installed(tool: PathBuf, what: &str) -> PathBuf {
    assert!(
        tool.exists(),
        "{what} is missing at {}: run deploy/tools/ops-tools.sh (CI: deploy/tools/install.sh calls it)",
        tool.display()
    );
    tool
}

/// Python of the ops venv (kubernetes-validate, check-jsonschema, PyYAML, cloudcoil models).
pub fn python() -> PathBuf {
    installed(tools_dir().join("ops-venv/bin/python"), "the ops venv (kubernetes-validate, check-jsonschema)")
}

/// Python of the gRPC venv (grpcio and its reflection client), for the generic gRPC client.
pub fn grpc_python() -> PathBuf {
    installed(tools_dir().join("grpc-venv/bin/python"), "the gRPC venv (grpcio, grpcio-reflection)")
}

/// `check-jsonschema` from the ops venv.
pub fn check_jsonschema() -> PathBuf {
    installed(tools_dir().join("ops-venv/bin/check-jsonschema"), "check-jsonschema")
}

/// `promtool` (Debian package prometheus, unpacked by ops-tools.sh).
pub fn promtool() -> PathBuf {
    installed(tools_dir().join("prometheus/promtool"), "promtool")
}

/// Runs `cmd`; panics with its output unless it exits 0. Returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd.current_dir(repo()).output().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs `cmd` and returns (success, stdout, stderr) without judging.
pub fn try_run(cmd: &mut Command) -> (bool, String, String) {
    let shown = format!("{cmd:?}");
    let out = cmd.current_dir(repo()).output().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The helper script the Python-side checks live in.
pub fn opscheck() -> Command {
    let mut cmd = Command::new(python());
    cmd.arg(path("tests/ops/opscheck.py"));
    cmd
}

/// Every YAML document of a repository file (or an absolute path), as JSON values.
pub fn yaml_docs(file: &Path) -> Vec<Value> {
    let out = run(opscheck().arg("yaml").arg(file));
    let mut all: serde_json::Map<String, Value> = serde_json::from_str(&out).expect("opscheck yaml prints JSON");
    let key = file.to_string_lossy().into_owned();
    match all.remove(&key) {
        Some(Value::Array(docs)) => docs,
        other => panic!("no documents for {key}: {other:?}"),
    }
}

/// The single YAML document of a repository file.
pub fn yaml(rel: &str) -> Value {
    let mut docs = yaml_docs(&path(rel));
    assert_eq!(docs.len(), 1, "{rel} holds one YAML document");
    docs.remove(0)
}

/// `kubectl kustomize` of an overlay, written to a temporary file; returns its path and the
/// rendered objects.
pub fn render(overlay: &str) -> (PathBuf, Vec<Value>) {
    let rendered = run(Command::new("kubectl").args(["kustomize", &format!("k8s/overlays/{overlay}")]));
    let file = std::env::temp_dir().join(format!("payops-k8s-{overlay}-{}.yaml", std::process::id()));
    std::fs::write(&file, rendered).expect("write rendered manifest");
    let docs = yaml_docs(&file);
    (file, docs)
}

/// A string field by JSON pointer, or "".
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Binaries (`[[bin]]` targets) of the workspace, from `cargo metadata`.
pub fn workspace_bins() -> std::collections::BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = run(Command::new(cargo).args(["metadata", "--no-deps", "--format-version", "1", "--offline"]));
    let meta: Value = serde_json::from_str(&out).expect("cargo metadata JSON");
    let mut bins = std::collections::BTreeSet::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            if t["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin")) {
                bins.insert(t["name"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    bins
}

/// All five services as processes (`stack::platform`) on a test database, stream and sandbox of
/// their own, on the machine's clock. The environment and the sandbox live as long as the
/// returned values.
pub async fn platform() -> (testkit::TestEnv, sandbox::Sandbox, stack::platform::Platform) {
    platform_with(|c| c).await
}

/// [`platform`] with a configuration `tune` may change (extra variables, e.g.
/// `OTEL_EXPORTER_OTLP_ENDPOINT` for every service).
pub async fn platform_with(
    tune: impl FnOnce(stack::platform::PlatformConfig) -> stack::platform::PlatformConfig,
) -> (testkit::TestEnv, sandbox::Sandbox, stack::platform::Platform) {
    use stack::platform::{Platform, PlatformConfig, SandboxEndpoints};
    let env = testkit::TestEnv::new().await.expect("test environment");
    let sandbox = sandbox::Sandbox::start(sandbox::SandboxConfig::ephemeral()).await.expect("sandbox");
    let config =
        PlatformConfig::new(SandboxEndpoints::of(&sandbox), &env.database_url, &env.nats_url, &env.prefix, &env.stream);
    let platform = Platform::start(tune(config)).await.expect("platform starts");
    (env, sandbox, platform)
}

/// Stops every service of `platform` with SIGTERM; each must exit 0. Their logs stay readable
/// (`platform.process(service).output()`).
pub async fn stop_cleanly(platform: &mut stack::platform::Platform) {
    let unclean = platform.stop_all().await;
    let logs = platform.log_dir().display();
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM: {unclean:?} (logs: {logs})");
}

/// `deploy/tools/grpc_generic_client.py` against `service` of `platform`, as `token` (none: no
/// credential), with the script's further arguments (`--tenant T`, `--fuzz N SEED`); its JSON
/// answer.
pub fn generic_client(
    platform: &stack::platform::Platform,
    service: stack::platform::Service,
    token: Option<&str>,
    args: &[&str],
) -> Value {
    let addr = platform.grpc_url(service).trim_start_matches("http://").to_owned();
    let mut cmd = Command::new(grpc_python());
    cmd.arg(path("deploy/tools/grpc_generic_client.py")).arg(&addr);
    if let Some(t) = token {
        cmd.arg(t);
    }
    let out = run(cmd.args(args));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{service:?} {args:?}: not JSON ({e}): {out}"))
}

/// One checksum per table of every schema of `url`, leaving out tables whose name contains one
/// of `not_compared` (tables a refusal is supposed to write, or that background loops update on
/// their own): two snapshots that agree mean nothing else was written in between.
pub async fn db_snapshot(url: &str, not_compared: &[&str]) -> std::collections::BTreeMap<String, String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("database");
    db_snapshot_on(&mut conn, not_compared).await
}

/// [`db_snapshot`] on an open connection (for a snapshot per request).
pub async fn db_snapshot_on(
    conn: &mut sqlx::PgConnection,
    not_compared: &[&str],
) -> std::collections::BTreeMap<String, String> {
    use sqlx::Row;
    let tables = sqlx::query(
        "SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("tables");
    let mut out = std::collections::BTreeMap::new();
    for t in tables {
        let (schema, name): (String, String) = (t.get(0), t.get(1));
        if not_compared.iter().any(|r| name.contains(r)) {
            continue;
        }
        let sql = format!(
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{schema}\".\"{name}\" t"
        );
        let sum: String = sqlx::query_scalar(&sql).fetch_one(&mut *conn).await.expect("checksum");
        out.insert(format!("{schema}.{name}"), sum);
    }
    out
}
