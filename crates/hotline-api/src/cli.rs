//! The command line besides "run the service": `payops-hotline-api create-agent <username>
//! <standard|admin> [display name]` creates an agent (e.g. the first admin) in the configured
//! database; the password comes from `AGENT_PASSWORD` (or `AGENT_PASSWORD_FILE`) or from the
//! first line of standard input, never from the command line.

use secrecy::ExposeSecret;

use crate::config::Config;
use crate::domain::agent::Role;
use crate::service::auth::Auth;

/// Runs a sub-command; `None` when `args` name none (then the service runs).
pub async fn run(args: &[String], env: &kit::config::Env) -> Option<Result<String, String>> {
    match args.first().map(String::as_str) {
        Some("create-agent") => Some(create_agent(&args[1..], env).await),
        Some(other) => Some(Err(format!(
            "unknown command {other:?}; usage: create-agent <username> <standard|admin> [display name]"
        ))),
        None => None,
    }
}

async fn create_agent(args: &[String], env: &kit::config::Env) -> Result<String, String> {
    let (Some(username), Some(role)) = (args.first(), args.get(1)) else {
        return Err("usage: create-agent <username> <standard|admin> [display name]".into());
    };
    let role = match Role::parse(role) {
        Some(r @ (Role::Standard | Role::Admin)) => r,
        _ => return Err("role must be standard or admin".into()),
    };
    let display = args.get(2).cloned().unwrap_or_else(|| username.clone());
    let password = match env.secret_optional("AGENT_PASSWORD").map_err(|e| e.to_string())? {
        Some(p) => p.expose_secret().to_owned(),
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password from stdin: {e}"))?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    let config = Config::from_env(env).map_err(|e| e.to_string())?;
    let pool = kit::db::connect_lazy(&config.common.db).map_err(|e| e.to_string())?;
    kit::db::migrate(&pool, &config.common.db.schema, &crate::app::MIGRATIONS).await.map_err(|e| e.to_string())?;
    let auth = Auth::new(pool.clone(), kit::clock::SystemClock::shared(), config.security, None);
    let agent = auth.create_agent(username, &display, role, &password).await.map_err(|e| match e {
        crate::error::Error::Invalid(v) => {
            v.items().iter().map(|(f, r)| format!("{f}: {r}")).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    })?;
    pool.close().await;
    Ok(format!("created {} agent {}", agent.role.as_str(), agent.name))
}
