//! Ports for child processes that tests start.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};

/// A free TCP port on 127.0.0.1 for a child process to listen on: picked at random below the
/// kernel's ephemeral range (32768 and up on Linux), so an outgoing connection cannot take it
/// between this check and the child's bind, and never handed out twice on this machine while the
/// process that took it lives: each port handed out is reserved by a file
/// `<tmp>/payops-ports/<port>` holding the taker's pid (tests run as parallel processes, each
/// starting children on ports it picked), and a reservation whose process is gone is taken over.
pub fn free_port() -> anyhow::Result<u16> {
    use rand::Rng;
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut handed = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = std::env::temp_dir().join("payops-ports");
    std::fs::create_dir_all(&dir).with_context(|| format!("port reservations in {}", dir.display()))?;
    for _ in 0..500 {
        let port = rand::rng().random_range(15_000..32_000);
        if !handed.contains(&port) && reserve(&dir, port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            handed.insert(port);
            return Ok(port);
        }
    }
    bail!("no free port found in 15000..32000")
}

/// Takes the machine-wide reservation of `port` for this process; false when a living process
/// holds it.
fn reserve(dir: &Path, port: u16) -> bool {
    use std::io::Write;
    let path = dir.join(port.to_string());
    for _ in 0..2 {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => return write!(f, "{}", std::process::id()).is_ok(),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let alive = match holder.trim().parse::<u32>() {
                    Ok(pid) => Path::new(&format!("/proc/{pid}")).exists(),
                    // Being written this instant by its taker (or left empty by a crash long ago).
                    Err(_) => std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(10)),
                };
                if alive {
                    return false;
                }
                // The holder is gone: take it over (another taker may win the race; then retry).
                let _ = std::fs::remove_file(&path);
            }
            Err(_) => return false,
        }
    }
    false
}
