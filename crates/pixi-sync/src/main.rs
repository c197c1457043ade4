//! `payops-pixi-sync`: config → clock → telemetry → App::build → run until SIGTERM
//! (`kit::service`); `payops-pixi-sync preflight [<tenant id>]` checks every tenant's (or one
//! tenant's) pixi and unzer setup read-only and prints the table (CT-06; exit 1 on a failure).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use pixi_sync::{app::App, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    if std::env::args().nth(1).as_deref() == Some("preflight") {
        return pixi_sync::preflight::command(&env, std::env::args().nth(2)).await;
    }
    kit::service::run(
        "pixi-sync",
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
