//! `payops-ticketing-bridge`: config → clock → telemetry → App::build → run until SIGTERM.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let config = match ticketing_bridge::config::Config::from_env(&env) {
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
    let result = match ticketing_bridge::app::App::build(config, clock).await {
        Ok(app) => app.run_until(kit::shutdown::signal()).await,
        Err(e) => Err(e),
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "ticketing-bridge failed");
            eprintln!("ticketing-bridge failed: {e}");
            ExitCode::FAILURE
        }
    }
}
