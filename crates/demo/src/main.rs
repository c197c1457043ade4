//! `payops-demo`: `seed [--env-out FILE]` prepares a running local stack (`make up` calls it),
//! `run [--wait SECONDS]` drives the demo scenario through it and prints the order timeline
//! (`make demo`), `hints` prints what to type into the portal's screens, `reset` drops the
//! stack's database and event stream (DATABASE_URL, NATS_URL, EVENTS_STREAM) so `make up`
//! starts as fresh as the sandbox. Addresses and credentials come from the environment (see
//! `Targets`); the defaults are the ports of deploy/local/up.sh.

use std::time::Duration;

use anyhow::{Context, bail};
use demo::{Targets, scenario, seed};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let targets = Targets::from_env();
    match args.first().map(String::as_str) {
        Some("seed") => seed_command(&targets, option(&args, "--env-out")).await,
        Some("run") => {
            let wait = option(&args, "--wait").map(|s| s.parse::<u64>()).transpose().context("--wait: seconds")?;
            run_command(&targets, Duration::from_secs(wait.unwrap_or(120))).await
        }
        Some("hints") => {
            for line in demo::hints::hints(&targets).await? {
                println!("  {line}");
            }
            Ok(())
        }
        Some("reset") => {
            let var = |n: &str| std::env::var(n).with_context(|| format!("{n} is not set"));
            demo::reset::reset(&var("DATABASE_URL")?, &var("NATS_URL")?, &var("EVENTS_STREAM")?).await
        }
        _ => bail!("usage: payops-demo seed [--env-out FILE] | run [--wait SECONDS] | hints | reset"),
    }
}

fn option(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

async fn seed_command(t: &Targets, env_out: Option<String>) -> anyhow::Result<()> {
    let s = seed::seed(t).await?;
    println!("seeded:");
    println!(
        "  pixi-sync        tenant {:?} ({}) on pixi installation {:?}",
        seed::TENANT,
        s.tenant_id,
        seed::PIXI_USER
    );
    println!(
        "                   payment configurations {} (STANDARD, unzer demo merchant), SMTP → sandbox",
        s.payment_methods.join(" ")
    );
    println!("  terminal-gateway Nets tenant {:?}, terminals {}", seed::NETS_TENANT, s.terminals.join(" "));
    println!("  invoice-checks   manual-payment merchant {:?}, offers {}", seed::MERCHANT, s.offers.join(" "));
    if let Some(path) = env_out {
        let vars = format!("PIXI_SYNC_ERRORS_URL={}\nPIXI_SYNC_TENANT_ID={}\n", s.error_page_url, s.tenant_id);
        std::fs::write(&path, vars).with_context(|| format!("writing {path}"))?;
    }
    Ok(())
}

async fn run_command(t: &Targets, wait: Duration) -> anyhow::Result<()> {
    println!("demo: a card checkout authorised 10 days ago arrives in pixi ({}) on HOLD;", seed::PIXI_USER);
    println!("      pixi-sync captures before release, unzer refuses (authorisation expired),");
    println!("      ticketing-bridge opens the ticket, hotline-api shows the timeline.");
    let outcome = scenario::run(t, wait).await?;
    println!(
        "order {} (unzer payment {}): timeline from hotline-api GetOrderTimeline",
        outcome.order_id, outcome.payment_id
    );
    for line in outcome.lines() {
        println!("  {line}");
    }
    Ok(())
}
