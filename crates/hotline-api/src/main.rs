//! `payops-hotline-api`: config → clock → telemetry → App::build → run until SIGTERM; or a sub-command
//! (`create-agent`, see `cli`).

use std::process::ExitCode;

use hotline_api::{app::App, cli, config::Config};

#[tokio::main]
async fn main() -> ExitCode {
    let env = kit::config::Env::from_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(done) = cli::run(&args, &env).await {
        return match done {
            Ok(msg) => (println!("{msg}"), ExitCode::SUCCESS).1,
            Err(e) => (eprintln!("{e}"), ExitCode::from(2)).1,
        };
    }
    let config = match Config::from_env(&env) {
        Ok(c) => c,
        Err(e) => return (eprintln!("{e}"), ExitCode::from(2)).1,
    };
    let Ok(clock) = kit::clock::from_env(&env).await.inspect_err(|e| eprintln!("{e}")) else {
        return ExitCode::from(2);
    };
    let telemetry = match kit::telemetry::init(&config.common.telemetry) {
        Ok(t) => t,
        Err(e) => return (eprintln!("{e}"), ExitCode::from(2)).1,
    };
    let result = match App::build(config, clock).await {
        Ok(app) => app.run_until(kit::shutdown::signal()).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "hotline-api failed");
            eprintln!("hotline-api failed: {e}");
            ExitCode::FAILURE
        }
    }
}
