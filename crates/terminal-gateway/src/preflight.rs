//! Preflight (CT-06) for Nets: read-only, per tenant, what payments need — the stored login
//! and Nets accepting it, the fields of the login answer the gateway reads (token, username,
//! terminals), every registered terminal listed by Nets for that login (a wrong id is the
//! seed's first troubleshooting step), the terminal list call, and the clock offset to Nets
//! (the token's `iat` against this host). Served as `TerminalService.Preflight` and as the
//! `payops-terminal-gateway preflight [--tenant <id>]` command (table, exit 1 on a failure).

use std::process::ExitCode;
use std::time::Instant;

use kit::clock::SharedClock;
use kit::preflight::{Report, clock_offset};
use sqlx::PgPool;

use crate::config::Config;
use crate::domain::TenantId;
use crate::error::Error;
use crate::nets::{NetsClient, NetsError};
use crate::service::Engine;
use crate::store::credentials::{self, Sealer};
use crate::store::terminals;

/// What the check needs.
pub struct Parts<'a> {
    /// The service's pool.
    pub pool: &'a PgPool,
    /// Opens stored passwords.
    pub sealer: &'a Sealer,
    /// The Nets client.
    pub nets: &'a NetsClient,
    /// This host's clock.
    pub clock: &'a SharedClock,
}

/// The check of one tenant through a running engine.
pub async fn run(engine: &Engine, tenant: &TenantId) -> Result<Report, Error> {
    check(&Parts { pool: engine.pool(), sealer: engine.sealer(), nets: engine.nets(), clock: &engine.clock() }, tenant)
        .await
}

/// The check of one tenant.
pub async fn check(parts: &Parts<'_>, tenant: &TenantId) -> Result<Report, Error> {
    let mut r = Report::new(format!("Nets Connect@Cloud (tenant {tenant})"));
    let Some(login) = credentials::load(parts.pool, parts.sealer, tenant).await? else {
        r.fail("credentials stored", "none", "store the tenant's Connect@Cloud login with SetNetsCredentials");
        return Ok(r);
    };
    r.ok("credentials stored", "yes (the password is never shown)");
    let before = parts.clock.now();
    let started = Instant::now();
    let session = match parts.nets.session(&login, true).await {
        Ok(s) => s,
        Err(e) => {
            let (check, fix) = match &e {
                NetsError::LoginRefused(_) => {
                    ("login accepted", "correct the user name or password (SetNetsCredentials)")
                }
                NetsError::Contract(_) => (
                    "login answer has token, username, terminals",
                    "Nets' login answer changed: the gateway cannot work",
                ),
                _ => ("login accepted", "check NETS_BASE_URL and that Nets Connect@Cloud is reachable from this host"),
            };
            r.fail(check, e.to_string(), fix);
            return Ok(r);
        }
    };
    r.ok("login accepted", format!("user {}", session.username));
    r.ok("login answer has token, username, terminals", format!("{} terminal(s) listed", session.terminals.len()));
    let registered = terminals::list(parts.pool, tenant).await?;
    let unknown: Vec<&str> = registered
        .iter()
        .filter(|t| !session.terminals.contains(&t.terminal_id))
        .map(|t| t.terminal_id.as_str())
        .collect();
    if unknown.is_empty() {
        r.ok("registered terminals known to Nets", format!("all {} listed by the login", registered.len()));
    } else {
        r.fail(
            "registered terminals known to Nets",
            format!("not listed by Nets for this login: {}", unknown.join(", ")),
            "correct the id (ChangeTerminalId) or remove the terminal (RemoveTerminal)",
        );
    }
    match parts.nets.terminal_ids(&login).await {
        Ok(ids) => r.ok("terminal list call", format!("{} terminal(s)", ids.len())),
        Err(e @ NetsError::Contract(_)) => r.fail("terminal list call", e.to_string(), "Nets' terminal list changed"),
        Err(e) => r.warn("terminal list call", e.to_string(), "check that the login may list its terminals"),
    }
    match session.issued_at {
        Some(iat) => {
            let ours = before + chrono::Duration::from_std(started.elapsed() / 2).unwrap_or_default();
            // `iat` has whole seconds: one second either way is no offset.
            clock_offset(&mut r, "Nets", (iat - ours).num_seconds(), 30, 300);
        }
        None => {
            r.warn("Nets clock offset", "the token carries no readable iat", "nothing to do; the offset is unknown")
        }
    }
    Ok(r)
}

/// `payops-terminal-gateway preflight [--tenant <id>]`: every tenant with credentials, or one.
pub async fn command(env: &kit::config::Env, args: &[String]) -> ExitCode {
    let config = match Config::from_env(env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match command_result(config, args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("preflight failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn command_result(config: Config, args: &[String]) -> Result<bool, String> {
    let pool = kit::db::connect_lazy(&config.common.db).map_err(|e| e.to_string())?;
    let clock = kit::clock::from_env(&kit::config::Env::from_process()).await.map_err(|e| e.to_string())?;
    let nets =
        NetsClient::new(&config.nets_base_url, config.nets_timeouts, clock.clone()).map_err(|e| e.to_string())?;
    let tenants = match args.iter().position(|a| a == "--tenant").and_then(|i| args.get(i + 1)) {
        Some(t) => vec![TenantId::parse(t).map_err(|e| format!("--tenant: {e}"))?],
        None => credentials::tenants(&pool).await.map_err(|e| e.to_string())?,
    };
    if tenants.is_empty() {
        println!("preflight: no tenant has Nets credentials");
        return Ok(true);
    }
    let parts = Parts { pool: &pool, sealer: &config.sealer, nets: &nets, clock: &clock };
    let mut passed = true;
    for t in &tenants {
        let report = check(&parts, t).await.map_err(|e| e.to_string())?;
        print!("{}", report.table());
        passed &= report.passed();
    }
    Ok(passed)
}
