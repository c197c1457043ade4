//! `payops-invoice-checks`: config → clock → telemetry → App::build → run until SIGTERM.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let config = match invoice_checks::config::Config::from_env(&env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Ok(clock) = kit::clock::from_env(&env).await.inspect_err(|e| eprintln!("{e}")) else {
        return ExitCode::from(2);
    };
    let telemetry = match kit::telemetry::init(&config.common.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = match invoice_checks::app::App::build(config, clock).await {
        Ok(app) => app.run_until(kit::shutdown::signal()).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "invoice-checks failed");
            eprintln!("invoice-checks failed: {e}");
            ExitCode::FAILURE
        }
    }
}
