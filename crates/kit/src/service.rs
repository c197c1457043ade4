//! The binary side of every service: environment → typed config → clock → telemetry → build →
//! run until SIGTERM, with the exit codes all services share (2: the configuration is wrong, one
//! line on stderr naming the variable; 1: the service failed).

use std::fmt::Display;
use std::future::Future;
use std::process::ExitCode;

use crate::clock::SharedClock;
use crate::config::Env;
use crate::config::TelemetryConfig;

/// Runs the service `name`: `load` reads its config from `env`, `telemetry` picks the telemetry
/// settings out of it, `serve` builds the app and runs it until shutdown.
pub async fn run<C, LoadErr, Fut, RunErr>(
    name: &str,
    env: &Env,
    load: impl FnOnce(&Env) -> Result<C, LoadErr>,
    telemetry: impl FnOnce(&C) -> &TelemetryConfig,
    serve: impl FnOnce(C, SharedClock) -> Fut,
) -> ExitCode
where
    LoadErr: Display,
    Fut: Future<Output = Result<(), RunErr>>,
    RunErr: Display,
{
    let config = match load(env) {
        Ok(c) => c,
        Err(e) => return config_error(e),
    };
    let clock = match crate::clock::from_env(env).await {
        Ok(c) => c,
        Err(e) => return config_error(e),
    };
    let guard = match crate::telemetry::init(telemetry(&config)) {
        Ok(t) => t,
        Err(e) => return config_error(e),
    };
    let result = serve(config, clock).await;
    guard.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{name} failed");
            eprintln!("{name} failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config_error(e: impl Display) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(2)
}
