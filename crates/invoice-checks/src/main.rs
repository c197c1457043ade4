//! `payops-invoice-checks`: config → clock → telemetry → App::build → run until SIGTERM
//! (`kit::service`); `payops-invoice-checks preflight [tenant]` checks the PostFinance accounts
//! (CT-06).

/// mimalloc, as in every payops binary: glibc malloc spent a fifth of the timeline bench's CPU
/// in malloc/free and their arena locks (docs/benchmarks.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use invoice_checks::{app::App, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("preflight") {
        return invoice_checks::postfinance::preflight::command(&env, args.next().as_deref()).await;
    }
    kit::service::run(
        "invoice-checks",
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
