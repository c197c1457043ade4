//! `cargo run -p xtask -- docs`: regenerates `docs/rules.md` (`make docs`). `-- docs --check`
//! exits 1 when the committed index differs from what the catalogue and the code say.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("docs") => {
            let root = xtask::repo_root();
            let index = match xtask::rules::index(&root) {
                Ok(i) => i,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let path = root.join("docs/rules.md");
            if args.get(1).map(String::as_str) == Some("--check") {
                let have = std::fs::read_to_string(&path).unwrap_or_default();
                if have != index {
                    eprintln!("{} is stale: run `make docs`", path.display());
                    return ExitCode::FAILURE;
                }
                return ExitCode::SUCCESS;
            }
            if let Err(e) = std::fs::write(&path, index) {
                eprintln!("{}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: xtask docs [--check]");
            ExitCode::from(2)
        }
    }
}
