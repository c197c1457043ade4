//! `payops-hotline-api`: config → clock → telemetry → App::build → run until SIGTERM
//! (`kit::service`); or a sub-command: `create-agent` (see `cli`) or `preflight` (the read-only
//! checks of PGW and smallinvoice, CT-06; exit 1 when one fails).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use hotline_api::{app::App, cli, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("preflight") {
        return hotline_api::preflight::command(&env).await;
    }
    if let Some(done) = cli::run(&args, &env).await {
        return match done {
            Ok(msg) => (println!("{msg}"), ExitCode::SUCCESS).1,
            Err(e) => (eprintln!("{e}"), ExitCode::from(2)).1,
        };
    }
    kit::service::run(
        "hotline-api",
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
