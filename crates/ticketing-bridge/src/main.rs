//! `payops-ticketing-bridge`: config → clock → telemetry → App::build → run until SIGTERM
//! (`kit::service`); `payops-ticketing-bridge preflight` checks the Freshdesk account (CT-06).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use ticketing_bridge::{app::App, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    if std::env::args().nth(1).as_deref() == Some("preflight") {
        return ticketing_bridge::freshdesk::preflight::command(&env).await;
    }
    kit::service::run(
        "ticketing-bridge",
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
