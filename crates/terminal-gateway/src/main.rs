//! `payops-terminal-gateway`: config → telemetry → App::build → run until SIGTERM.

use std::process::ExitCode;

use kit::clock::SystemClock;
use terminal_gateway::app::App;
use terminal_gateway::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env(&kit::config::Env::from_process()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match kit::telemetry::init(&config.common.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let result = match App::build(config, SystemClock::shared()).await {
        Ok(app) => app.run_until(kit::shutdown::signal()).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "terminal-gateway failed");
            eprintln!("terminal-gateway failed: {e}");
            ExitCode::FAILURE
        }
    }
}
