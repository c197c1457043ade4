//! `payops-echo`: config → clock → telemetry → App::build → run until SIGTERM, through
//! `kit::service::run` like every service.

use std::process::ExitCode;

use echo::app::App;
use echo::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    kit::service::run(
        "echo",
        &kit::config::Env::from_process(),
        Config::from_env,
        |c| &c.common.telemetry,
        |config, clock| async move {
            let app = App::build(config, clock).await.map_err(|e| e.to_string())?;
            app.run_until(kit::shutdown::signal()).await.map_err(|e| e.to_string())
        },
    )
    .await
}
