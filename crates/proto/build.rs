//! Compiles every `.proto` under the workspace's `proto/` folder with protox (pure Rust, no
//! system `protoc`) and generates prost messages plus tonic clients and servers. The encoded
//! file descriptor set is written beside them for gRPC reflection.

use std::error::Error;
use std::path::{Path, PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let root = root.canonicalize()?;
    let mut files = Vec::new();
    collect_protos(&root, &mut files)?;
    files.sort();

    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("payops_descriptor.bin"), fds.encode_to_vec())?;

    // Type names let events travel as `google.protobuf.Any` with a resolvable type URL.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    config.type_name_domain(["."], "type.googleapis.com");

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .include_file("payops_includes.rs")
        .compile_fds_with_config(fds, config)?;

    // Paths relative to this crate: cargo resolves them against the package being built, so two
    // checkouts sharing one target directory never take each other's generated code as current.
    println!("cargo:rerun-if-changed=../../proto");
    for f in &files {
        let rel = f.strip_prefix(&root)?;
        println!("cargo:rerun-if-changed=../../proto/{}", rel.display());
    }

    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
