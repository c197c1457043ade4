//! What a process cost, read from Linux's `/proc` (the benches' CPU seconds and peak RSS per
//! process, docs/benchmarks.md). Off Linux every reading is `None`.

/// Clock ticks per second of `/proc/<pid>/stat` times (`USER_HZ`, 100 on every Linux ABI).
const TICKS: f64 = 100.0;

/// User + system CPU seconds `pid` has used so far; with `children`, plus those of its children
/// it has waited for (Postgres's postmaster collects its finished backends' time that way).
pub fn cpu_seconds(pid: u32, children: bool) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(0) … utime(11) stime(12) cutime(13) cstime(14).
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    let own = tick(11)? + tick(12)?;
    let waited = if children { tick(13)? + tick(14)? } else { 0.0 };
    Some((own + waited) / TICKS)
}

/// Peak resident set size of `pid` in MiB (`VmHWM`).
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The pids whose command name (`/proc/<pid>/comm`) is `name`.
pub fn pids_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim_end() == name))
        .collect()
}

/// CPU seconds of every process named `name`, with the children each has waited for: for a
/// server that forks a process per connection (Postgres), the whole server's time so far. Take
/// the difference of two readings; a process that ended between them without being waited for
/// by another `name` process takes its time with it.
pub fn cpu_seconds_named(name: &str) -> Option<f64> {
    let pids = pids_named(name);
    if pids.is_empty() {
        return None;
    }
    Some(pids.into_iter().filter_map(|p| cpu_seconds(p, true)).sum())
}

/// CPU seconds of this process's threads whose name starts with `prefix` (a runtime whose
/// threads are named, so one process can tell its parts apart).
pub fn thread_cpu_seconds(prefix: &str) -> Option<f64> {
    let dir = std::fs::read_dir("/proc/self/task").ok()?;
    let mut total = 0.0;
    for tid in dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
        let task = format!("/proc/self/task/{tid}");
        let named = std::fs::read_to_string(format!("{task}/comm")).is_ok_and(|c| c.starts_with(prefix));
        if !named {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("{task}/stat")) else { continue };
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        total += (tick(11) + tick(12)) / TICKS;
    }
    Some(total)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Burns CPU until `used()` has grown by `secs` (a busy box gives a spinning thread less than
    /// its wall time); false when that did not happen within 20 s of wall time.
    fn spin_until(secs: f64, used: impl Fn() -> f64) -> bool {
        let (start, until) = (used(), std::time::Instant::now() + std::time::Duration::from_secs(20));
        let mut x = 0u64;
        while std::time::Instant::now() < until {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            if used() - start >= secs {
                return true;
            }
        }
        false
    }

    #[test]
    fn a_process_that_spins_shows_the_cpu_it_used() {
        let me = std::process::id();
        assert!(spin_until(0.2, || cpu_seconds(me, false).unwrap()), "200 ms of spinning never showed");
        assert!(peak_rss_mib(me).unwrap() > 1.0);
        assert_eq!(cpu_seconds(u32::MAX, false), None, "no such process");
    }

    #[test]
    fn a_named_thread_is_told_apart_from_the_rest_of_the_process() {
        assert_eq!(thread_cpu_seconds("procstat-spin").unwrap(), 0.0, "no such thread yet");
        let other = std::thread::Builder::new()
            .name("procstat-spin".into())
            // Read while the thread still exists: a finished thread leaves /proc/self/task.
            .spawn(|| spin_until(0.2, || thread_cpu_seconds("procstat-spin").unwrap()))
            .unwrap();
        assert!(other.join().unwrap(), "the named thread's 200 ms never showed");
        assert_eq!(thread_cpu_seconds("no-thread-is-called-this").unwrap(), 0.0);
    }

    #[test]
    fn processes_are_found_by_name_with_their_waited_for_children() {
        let me = std::process::id();
        let name = std::fs::read_to_string(format!("/proc/{me}/comm")).unwrap();
        assert!(pids_named(name.trim_end()).contains(&me));
        // A child that spins and is waited for moves its time into the parent's children's time.
        let before = cpu_seconds(me, true).unwrap() - cpu_seconds(me, false).unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"])
            .status()
            .unwrap();
        assert!(status.success());
        let after = cpu_seconds(me, true).unwrap() - cpu_seconds(me, false).unwrap();
        assert!(after > before, "the waited-for child's CPU time shows in the parent's: {before} → {after}");
        assert_eq!(cpu_seconds_named("no-process-is-called-this"), None);
    }
}
