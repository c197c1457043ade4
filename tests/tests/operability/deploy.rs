//! OP-10: the one container build and the laptop compose stack.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::contract::{SERVICES, assert_required_env};
use crate::tools::{self, s};

/// Every `payops-<name>` word in `text`.
pub fn binaries_named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("payops-") {
        let tail = &rest[at..];
        let end = tail
            .char_indices()
            .skip(7)
            .find(|(_, c)| !(c.is_ascii_lowercase() || *c == '-'))
            .map_or(tail.len(), |(i, _)| i);
        let word = tail[..end].trim_end_matches('-');
        // Secret names (pixi-sync-secrets) and image names are not binaries.
        if word.len() > 7 && !word.ends_with("-secrets") && !word.ends_with("-config") {
            out.insert(word.to_owned());
        }
        rest = &tail[end..];
    }
    out
}

/// Every string literal that looks like an environment variable in the Rust sources under `dirs`.
pub fn env_names_read_by(dirs: &[&str]) -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for lit in text.split('"').skip(1).step_by(2) {
                    if lit.len() > 2
                        && lit.starts_with(|c: char| c.is_ascii_uppercase())
                        && lit.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    {
                        out.insert(lit.to_owned());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for d in dirs {
        walk(&tools::path(d), &mut out);
    }
    out
}

/// Panics unless every variable is read by the kit or by the service's crate (`X_FILE` counts
/// when `X` is read: the kit's secrets accept both).
pub fn assert_vars_are_read(service: &str, vars: impl IntoIterator<Item = String>, origin: &str) {
    let crate_dir = format!("crates/{service}/src");
    let known = env_names_read_by(&["crates/kit/src", &crate_dir]);
    for var in vars {
        let base = var.strip_suffix("_FILE").unwrap_or(&var);
        // Per-tenant families (`SWISSBILLING_<TENANT>_PSPID`) are read as prefix + literal suffix.
        let tenant_family = base.starts_with("SWISSBILLING_")
            && known.contains("SWISSBILLING_TENANTS")
            && known
                .iter()
                .any(|k| base.ends_with(&format!("_{k}")) && base.len() > "SWISSBILLING_".len() + k.len() + 1);
        assert!(
            known.contains(&var) || known.contains(base) || tenant_family,
            "{origin}: {service} gets {var}, which neither crates/kit nor {crate_dir} reads (typo, or a variable \
             that has not landed yet?)"
        );
    }
}

#[test]
fn op_10_every_binary_named_in_the_deploy_files_is_a_workspace_bin() {
    let bins = tools::workspace_bins();
    let mut named = BTreeMap::new();
    for b in binaries_named(&tools::read("deploy/docker/Dockerfile")) {
        named.entry(b).or_insert("deploy/docker/Dockerfile".to_owned());
    }
    let compose = tools::yaml("deploy/compose.yaml");
    for svc in compose["services"].as_object().unwrap().values() {
        for b in binaries_named(s(svc, "/command/0")) {
            named.entry(b).or_insert("deploy/compose.yaml".to_owned());
        }
    }
    for overlay in ["dev", "prod"] {
        let (_, docs) = tools::render(overlay);
        for d in docs.iter().filter(|d| d["kind"] == "Deployment") {
            for c in d.pointer("/spec/template/spec/containers").and_then(Value::as_array).unwrap() {
                for part in c["command"].as_array().into_iter().flatten() {
                    for b in binaries_named(part.as_str().unwrap_or_default()) {
                        named.entry(b).or_insert(format!("k8s/overlays/{overlay}"));
                    }
                }
            }
        }
    }
    for svc in SERVICES {
        assert!(named.contains_key(&svc.bin()), "{} is not deployed anywhere", svc.bin());
    }
    for (bin, file) in &named {
        assert!(bins.contains(bin), "{file} names {bin}, which is no [[bin]] of the workspace (cargo metadata)");
    }
}

/// The Dockerfile's stages, by name (`FROM … AS name`), with their lines.
fn stages(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for chunk in text.split("\nFROM ").skip(1) {
        let first = chunk.lines().next().unwrap_or_default();
        if let Some((_, name)) = first.split_once(" AS ") {
            out.insert(name.trim().to_owned(), chunk.to_owned());
        }
    }
    out
}

#[test]
fn op_10_one_production_image_per_service_non_root_digest_pinned_and_labelled() {
    let text = tools::read("deploy/docker/Dockerfile");
    for base in ["BUILD_BASE", "RUNTIME_BASE"] {
        let line = text.lines().find(|l| l.starts_with(&format!("ARG {base}="))).expect(base);
        let digest = line.split("@sha256:").nth(1).unwrap_or_default();
        assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()), "{base} pinned by digest: {line}");
    }
    let stages = stages(&text);
    let runtime = &stages["runtime"];
    let user = runtime.lines().find_map(|l| l.strip_prefix("USER ")).expect("the runtime stage sets USER");
    let uid: u32 = user.split(':').next().unwrap().trim().parse().expect("numeric uid (runAsNonRoot can verify it)");
    assert!(uid != 0, "non-root runtime user");
    for label in
        ["org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.version"]
    {
        assert!(runtime.contains(label), "OCI label {label}");
    }
    assert!(text.contains("cargo build --release --locked --bins"), "one build for every binary, lock file honoured");
    assert!(!text.contains("\nADD "), "COPY, not ADD");
    for svc in SERVICES {
        let stage = stages.get(svc.name).unwrap_or_else(|| panic!("a target for {}", svc.name));
        assert!(stage.starts_with("runtime AS"), "{} builds on the runtime stage", svc.name);
        let copied = binaries_named(stage);
        assert_eq!(copied, BTreeSet::from([svc.bin()]), "the {} image holds only its own binary", svc.name);
        assert!(stage.contains(&format!("ENTRYPOINT [\"/usr/local/bin/{}\"]", svc.bin())), "{} entrypoint", svc.name);
    }
    let sandbox = stages.get("sandbox").expect("a separate sandbox test image");
    assert_eq!(binaries_named(sandbox), BTreeSet::from(["payops-sandbox".to_owned()]));
    let ignore = tools::read("deploy/docker/Dockerfile.dockerignore");
    for must in ["**/target", ".git", "k8s", "deploy"] {
        assert!(ignore.lines().any(|l| l.trim() == must), "Dockerfile.dockerignore excludes {must}");
    }
}

#[test]
fn op_10_toolchain_file_rust_version_and_build_image_agree() {
    let toolchain = tools::read("rust-toolchain.toml");
    let channel = toolchain.lines().find_map(|l| l.strip_prefix("channel = ")).unwrap().trim_matches('"').to_owned();
    let cargo = tools::read("Cargo.toml");
    let rust_version =
        cargo.lines().find_map(|l| l.strip_prefix("rust-version = ")).unwrap().trim_matches('"').to_owned();
    let docker = tools::read("deploy/docker/Dockerfile");
    let image = docker.lines().find_map(|l| l.strip_prefix("ARG BUILD_BASE=rust:")).unwrap();
    let image_version = image.split('-').next().unwrap();
    assert!(channel.starts_with(&rust_version), "rust-toolchain.toml {channel} vs rust-version {rust_version}");
    assert_eq!(image_version, rust_version, "build image rust:{image_version} vs rust-version {rust_version}");
}

#[test]
fn op_10_compose_stack_is_valid_and_consistent() {
    tools::run(
        Command::new(tools::check_jsonschema())
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(tools::path("deploy/compose.yaml")),
    );
    let compose = tools::yaml("deploy/compose.yaml");
    let services = compose["services"].as_object().expect("services");
    for infra in ["postgres", "nats", "nats-exporter", "sandbox", "prometheus", "grafana", "jaeger"] {
        assert!(services.contains_key(infra), "compose runs {infra}");
    }
    assert!(s(&compose, "/services/nats/command/0") == "-js", "NATS runs with JetStream");
    for (name, svc) in services {
        let image = svc["image"].as_str().unwrap_or_else(|| panic!("{name} has an image"));
        assert!(image.contains(':') && !image.ends_with(":latest"), "{name}: pinned image {image}");
        for port in svc["ports"].as_array().into_iter().flatten() {
            assert!(port.as_str().unwrap().starts_with("127.0.0.1:"), "{name} publishes {port} on 127.0.0.1 only");
        }
    }
    let grace = |v: &str| kit::config::parse_duration(v).unwrap();
    for svc in SERVICES {
        let c = &services.get(svc.name).unwrap_or_else(|| panic!("compose runs {}", svc.name));
        assert_eq!(s(c, "/command/0"), svc.bin());
        let env = c["environment"].as_object().unwrap();
        assert_eq!(env["GRPC_ADDR"], format!("0.0.0.0:{}", svc.grpc), "{}", svc.name);
        assert_eq!(env["ADMIN_ADDR"], format!("0.0.0.0:{}", svc.admin), "{}", svc.name);
        let ports: Vec<&str> = c["ports"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        for port in [svc.grpc, svc.admin].into_iter().chain(svc.extra.iter().map(|(_, p)| *p)) {
            assert!(ports.contains(&format!("127.0.0.1:{port}:{port}").as_str()), "{} publishes {port}", svc.name);
        }
        assert!(
            grace(env["SHUTDOWN_GRACE"].as_str().unwrap()) + std::time::Duration::from_secs(5)
                <= grace(s(c, "/stop_grace_period")),
            "{}: SHUTDOWN_GRACE leaves time before Docker's SIGKILL",
            svc.name
        );
        assert!(c["read_only"] == true, "{} runs with a read-only root fs", svc.name);
        assert_vars_are_read(svc.name, env.keys().cloned(), "deploy/compose.yaml");
        let names: Vec<String> = env.keys().cloned().collect();
        assert_required_env(svc.name, &names, &[], false, "deploy/compose.yaml");
    }
    // Prometheus scrapes every service's admin port with the `service` label the dashboards use.
    let prom = tools::yaml("deploy/prometheus/prometheus.yml");
    let payops = prom["scrape_configs"].as_array().unwrap().iter().find(|j| j["job_name"] == "payops").unwrap();
    let targets: BTreeMap<String, String> = payops["static_configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(c, "/labels/service").to_owned(), s(c, "/targets/0").to_owned()))
        .collect();
    for svc in SERVICES {
        assert_eq!(
            targets.get(svc.name),
            Some(&format!("{}:{}", svc.name, svc.admin)),
            "scrape target of {}",
            svc.name
        );
    }
    // Every mounted file or folder exists.
    for (name, svc) in services {
        for vol in svc["volumes"].as_array().into_iter().flatten() {
            let src = vol.as_str().unwrap().split(':').next().unwrap();
            if let Some(rel) = src.strip_prefix("./") {
                assert!(tools::path(&format!("deploy/{rel}")).exists(), "{name} mounts deploy/{rel}, which exists");
            }
        }
    }
    tools::run(
        Command::new(tools::promtool()).args(["check", "config"]).arg(tools::path("deploy/prometheus/prometheus.yml")),
    );
}
