//! OP-10: the production images. Images cannot be pulled on these machines, so the runtime
//! stages of `deploy/docker/Dockerfile` are built here with buildah (vfs storage, chroot
//! isolation) on a base made from Debian packages with mmdebstrap — glibc, libgcc and a
//! `nonroot` user 65532, which is what the pinned distroless `cc` base holds — in place of the
//! pinned base (`RUNTIME_BASE`), with the binaries this test run built in place of the build
//! stage (`BINARIES`). Then every service binary starts inside its own image's root file system
//! (chroot) as the image's configured user, with deploy/compose.yaml's environment pointed at
//! the local Postgres and NATS, and becomes ready. The table it prints (images, sizes, users,
//! start-up times) goes into the release notes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sandbox::{Sandbox, SandboxConfig};
use stack::{ServiceProcess, free_port};
use testkit::TestEnv;

use crate::compose_env::localised;
use crate::contract::SERVICES;
use crate::tools;

/// buildah with this test's own storage (vfs: no overlay mounts needed).
struct Buildah {
    root: PathBuf,
}

/// Removes the test's work directory (vfs layers are full copies: hundreds of MB) however the
/// test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Buildah {
    fn cmd(&self) -> Command {
        let mut c = Command::new("buildah");
        c.arg("--root").arg(self.root.join("storage")).arg("--runroot").arg(self.root.join("run"));
        c.args(["--storage-driver", "vfs"]).env("BUILDAH_ISOLATION", "chroot");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("buildah runs (deploy/tools/install.sh installs it)");
        assert!(out.status.success(), "buildah {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// The Debian root file system the base is made from, built once and kept in the cache.
fn base_rootfs() -> PathBuf {
    let dir = dirs_cache().join("image-base");
    std::fs::create_dir_all(&dir).unwrap();
    let tar = dir.join("bookworm-libc6-libgcc.tar");
    if !tar.exists() {
        let mirror = std::env::var("PAYOPS_DEBIAN_MIRROR").unwrap_or_else(|_| "http://deb.debian.org/debian".into());
        let partial = dir.join("partial.tar");
        let out = Command::new("mmdebstrap")
            .args(["--quiet", "--variant=extract", "--include=libc6,libgcc-s1", "--skip=output/dev", "bookworm"])
            .arg(&partial)
            .arg(mirror)
            .output()
            .expect("mmdebstrap runs (deploy/tools/install.sh installs it)");
        assert!(out.status.success(), "mmdebstrap: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::rename(&partial, &tar).unwrap();
    }
    tar
}

fn dirs_cache() -> PathBuf {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    Path::new(&home).join(".cache/payops")
}

/// `localhost/payops-runtime-base:test`: the Debian root file system plus `/etc/passwd` and
/// `/etc/group` with the distroless `nonroot` user.
fn build_base(b: &Buildah, work: &Path) {
    let etc = work.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(etc.join("group"), "root:x:0:\nnonroot:x:65532:\n").unwrap();
    let c = b.run(&["from", "scratch"]);
    b.run(&["add", &c, base_rootfs().to_str().unwrap(), "/"]);
    b.run(&["add", &c, etc.join("passwd").to_str().unwrap(), "/etc/passwd"]);
    b.run(&["add", &c, etc.join("group").to_str().unwrap(), "/etc/group"]);
    b.run(&["commit", "-q", &c, "localhost/payops-runtime-base:test"]);
    b.run(&["rm", &c]);
}

/// `localhost/payops-binaries:test`: `/out/<binary>` for every image, from this test build.
fn build_binaries(b: &Buildah, bins: &[String]) {
    let c = b.run(&["from", "scratch"]);
    for bin in bins {
        let package = bin.trim_start_matches("payops-");
        let path = stack::binary(package, bin).expect("binary built");
        b.run(&["add", &c, path.to_str().unwrap(), &format!("/out/{bin}")]);
    }
    b.run(&["commit", "-q", &c, "localhost/payops-binaries:test"]);
    b.run(&["rm", &c]);
}

/// A built image as it will run: its root file system mounted, its user and entrypoint.
struct Image {
    target: String,
    container: String,
    rootfs: PathBuf,
    user: String,
    entrypoint: Vec<String>,
    size: String,
    labels: BTreeMap<String, String>,
}

fn build_target(b: &Buildah, target: &str, context: &Path) -> Image {
    let tag = format!("localhost/payops/{target}:test");
    b.run(&[
        "bud",
        "--isolation",
        "chroot",
        "-q",
        "-f",
        tools::path("deploy/docker/Dockerfile").to_str().unwrap(),
        "--target",
        target,
        "--build-arg",
        "RUNTIME_BASE=localhost/payops-runtime-base:test",
        "--build-arg",
        "BINARIES=localhost/payops-binaries:test",
        "--build-arg",
        "REVISION=image-test",
        "--build-arg",
        "VERSION=0.0.0-test",
        "-t",
        &tag,
        context.to_str().unwrap(),
    ]);
    let inspect: serde_json::Value = serde_json::from_str(&b.run(&["inspect", "--type", "image", &tag])).unwrap();
    let config = &inspect["OCIv1"]["config"];
    let size = b.run(&["images", "--format", "{{.Size}}", &tag]);
    let container = b.run(&["from", &tag]);
    let rootfs = PathBuf::from(b.run(&["mount", &container]));
    Image {
        target: target.to_owned(),
        container,
        rootfs,
        user: config["User"].as_str().unwrap_or_default().to_owned(),
        entrypoint: config["Entrypoint"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        size,
        labels: config["Labels"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
    }
}

/// The first of `n` consecutive free ports (the sandbox binds base … base + n − 1).
fn free_run_of_ports(n: u16) -> u16 {
    loop {
        let base = free_port().unwrap();
        if base < 60_000 && (1..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
}

/// The real uid of a running process.
fn uid_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[tokio::test]
async fn op_10_every_production_image_builds_and_its_binary_starts_in_it_as_non_root() {
    let work = stack::temp_dir("payops-image-test").unwrap();
    let _cleanup = Cleanup(work.clone());
    let b = Buildah { root: work.join("containers") };
    let context = work.join("context");
    std::fs::create_dir_all(&context).unwrap();
    let started = Instant::now();
    build_base(&b, &work);
    let mut targets: Vec<String> = SERVICES.iter().map(|s| s.name.to_owned()).collect();
    targets.push("sandbox".into());
    let bins: Vec<String> = targets.iter().map(|t| format!("payops-{t}")).collect();
    build_binaries(&b, &bins);
    let images: Vec<Image> = targets.iter().map(|t| build_target(&b, t, &context)).collect();
    let built = started.elapsed();

    let env = TestEnv::new().await.unwrap();
    let sandbox = Sandbox::start(SandboxConfig::ephemeral()).await.unwrap();
    let compose = tools::yaml("deploy/compose.yaml");
    let mut rows = Vec::new();
    let mut bridge_url: Option<String> = None;
    // ticketing-bridge first: hotline-api's TICKETING_URL points at it.
    let mut order: Vec<&Image> = images.iter().filter(|i| i.target != "sandbox").collect();
    order.sort_by_key(|i| i.target != "ticketing-bridge");
    let mut running = Vec::new();
    for image in order {
        assert!(
            !image.user.is_empty() && !image.user.starts_with("0") && !image.user.starts_with("root"),
            "{}: USER {:?}",
            image.target,
            image.user
        );
        assert_eq!(image.entrypoint, vec![format!("/usr/local/bin/payops-{}", image.target)], "{}", image.target);
        for l in
            ["org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.version"]
        {
            assert!(image.labels.get(l).is_some_and(|v| !v.is_empty()), "{}: label {l}", image.target);
        }
        let entries: Vec<String> = std::fs::read_dir(image.rootfs.join("usr/local/bin"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries, vec![format!("payops-{}", image.target)], "{}: only its own binary", image.target);
        let vars = localised(&compose, &image.target, &env, &sandbox, bridge_url.as_deref());
        let mut argv =
            vec!["chroot".to_owned(), format!("--userspec={}", image.user), image.rootfs.display().to_string()];
        argv.extend(image.entrypoint.iter().cloned());
        let t0 = Instant::now();
        let mut p = ServiceProcess::start_argv(
            &image.target,
            &argv,
            &vars,
            free_port().unwrap(),
            free_port().unwrap(),
            &work.join("logs"),
        )
        .await
        .unwrap();
        p.wait_ready(Duration::from_secs(90)).await.unwrap_or_else(|e| panic!("{} in its image: {e}", image.target));
        let uid = p.pid().and_then(uid_of).expect("a running process");
        assert_eq!(uid, 65532, "{} runs as the image's non-root user", image.target);
        if image.target == "ticketing-bridge" {
            bridge_url = Some(p.grpc_url.clone());
        }
        rows.push(format!(
            "| {} | {} | {} | uid {uid} | ready in {:.1} s |",
            image.target,
            image.size,
            image.user,
            t0.elapsed().as_secs_f64()
        ));
        running.push(p);
    }
    // The test image: the simulator starts in it too and serves its admin API.
    let sb = images.iter().find(|i| i.target == "sandbox").unwrap();
    let base = free_run_of_ports(9);
    let mut argv = vec!["chroot".to_owned(), format!("--userspec={}", sb.user), sb.rootfs.display().to_string()];
    argv.extend(sb.entrypoint.iter().cloned());
    let vars = vec![("SANDBOX_BASE_PORT".to_owned(), base.to_string()), ("SANDBOX_DEMO".to_owned(), "0".to_owned())];
    let t0 = Instant::now();
    let p = ServiceProcess::start_argv(
        "sandbox",
        &argv,
        &vars,
        free_port().unwrap(),
        free_port().unwrap(),
        &work.join("logs"),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{base}/admin/health");
    let mut up = false;
    while t0.elapsed() < Duration::from_secs(30) && !up {
        up = http.get(&url).send().await.is_ok_and(|r| r.status().is_success());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the sandbox test image answers on its admin port: {:?}", p.output());
    let uid = p.pid().and_then(uid_of).expect("a running process");
    assert_eq!(uid, 65532);
    rows.push(format!(
        "| sandbox (test image) | {} | {} | uid {uid} | admin API in {:.1} s |",
        sb.size,
        sb.user,
        t0.elapsed().as_secs_f64()
    ));
    running.push(p);
    for p in &running {
        p.terminate().unwrap();
    }
    for mut p in running {
        let _ = tokio::time::timeout(Duration::from_secs(30), p.wait_exit()).await;
    }
    println!(
        "images built in {:.1} s (base from Debian packages, runtime stages of deploy/docker/Dockerfile)",
        built.as_secs_f64()
    );
    println!("| image | size | USER | process | start |\n|---|---|---|---|---|\n{}", rows.join("\n"));
    for i in &images {
        b.run(&["umount", &i.container]);
        b.run(&["rm", &i.container]);
    }
    b.run(&["rmi", "--all", "--force"]);
}
