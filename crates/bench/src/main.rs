//! `payops-bench <name> [seconds]`: runs one benchmark and prints its JSON result.

/// mimalloc, the allocator of the service binaries this hosts.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Duration;

use anyhow::bail;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(5);
    let d = Duration::from_secs(secs);
    let result = match args.get(1).map(String::as_str) {
        Some("js") => bench::js::publish(d, 256).await?,
        Some("js-rtt") => bench::js::publish(d, 1).await?,
        Some("cons") => bench::js::consume(200_000).await?,
        Some("echo") => bench::echo::run(d).await?,
        Some("pipeline") => bench::pipeline::run(20_000, 8).await?,
        Some("backlog") => bench::backlog::run(100_000, 5_000).await?,
        other => bail!("usage: payops-bench js|js-rtt|cons|echo|pipeline|backlog [seconds] (got {other:?})"),
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
