//! `payops-terminal-gateway`: config → clock → telemetry → App::build → run until SIGTERM
//! (`kit::service`); `payops-terminal-gateway preflight [--tenant <id>]` checks the tenants'
//! Nets setup read-only and exits 1 on a failure (CT-06).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use terminal_gateway::{app::App, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("preflight") {
        return terminal_gateway::preflight::command(&env, &args).await;
    }
    kit::service::run(
        "terminal-gateway",
        &env,
        Config::from_env,
        |c| &c.common.telemetry,
        |config, clock| async move {
            let app = App::build(config, clock).await.map_err(|e| e.to_string())?;
            app.run_until(kit::shutdown::signal()).await.map_err(|e| e.to_string())
        },
    )
    .await
}
