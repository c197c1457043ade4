//! The fault plan: which sandbox fault rules are on during the load phase (5xx, timeouts,
//! act-then-fail, 429 bursts, on every partner the services change something at), and the
//! seeded sequence of process faults (SIGKILL of a service process — the platform's own or a
//! second replica — at a random instant, its restart after a random pause, one crash restart
//! of NATS and one of Postgres somewhere in between).

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use sandbox::{FailMode, FaultSpec, System};
use stack::platform::{Platform, Service};
use stack::{IsolatedNats, IsolatedPostgres, ServiceProcess};

use crate::report::Report;

/// Sandbox fault rules for the load phase. Rates are per mille and drawn from the seed; a hang
/// lasts longer than every service's partner timeout (5 s in the test profile).
pub fn sandbox_rules(rng: &mut StdRng) -> Vec<FaultSpec> {
    let mut r = |lo: u16, hi: u16| rng.random_range(lo..=hi);
    let hang = 7_000;
    vec![
        FaultSpec {
            act_then_fail_per_mille: r(30, 80),
            act_then_fail_mode: FailMode::Reset,
            fail_before_per_mille: r(20, 60),
            status: 503,
            ..FaultSpec::new(System::Unzer, "charge")
        },
        FaultSpec { act_then_fail_per_mille: r(50, 120), status: 500, ..FaultSpec::new(System::Unzer, "refund") },
        FaultSpec { act_then_fail_per_mille: r(50, 120), status: 502, ..FaultSpec::new(System::Unzer, "cancel") },
        FaultSpec {
            fail_before_per_mille: r(10, 30),
            fail_before_mode: FailMode::Hang,
            hang_ms: hang,
            ..FaultSpec::new(System::Unzer, "get_payment")
        },
        FaultSpec {
            act_then_fail_per_mille: r(20, 60),
            status: 500,
            ..FaultSpec::new(System::Pixi, "pixiPaySetInvoiceCapture")
        },
        FaultSpec {
            act_then_fail_per_mille: r(20, 60),
            act_then_fail_mode: FailMode::Reset,
            ..FaultSpec::new(System::Pixi, "pixiCACreateManualBooking")
        },
        FaultSpec {
            act_then_fail_per_mille: r(20, 60),
            act_then_fail_mode: FailMode::Hang,
            hang_ms: hang,
            ..FaultSpec::new(System::Nets, "start")
        },
        FaultSpec { fail_before_per_mille: r(20, 60), status: 503, ..FaultSpec::new(System::Nets, "status") },
        FaultSpec {
            act_then_fail_per_mille: r(50, 120),
            status: 500,
            burst_429: r(3, 8).into(),
            retry_after_secs: 1,
            ..FaultSpec::new(System::Freshdesk, "create_ticket")
        },
        FaultSpec {
            act_then_fail_per_mille: r(50, 120),
            act_then_fail_mode: FailMode::Reset,
            ..FaultSpec::new(System::Freshdesk, "add_note")
        },
        FaultSpec { fail_before_per_mille: r(20, 50), status: 502, ..FaultSpec::new(System::Freshdesk, "search") },
        FaultSpec {
            act_then_fail_per_mille: r(50, 120),
            fail_before_per_mille: r(20, 50),
            status: 503,
            ..FaultSpec::new(System::Postfinance, "maintenance")
        },
        // Post-sale requests lost on their way (each attempt; PostFinance retries a few times):
        // with a lost browser return, some orders are known only through a look-up by ORDERID.
        FaultSpec { fail_before_per_mille: r(500, 900), ..FaultSpec::new(System::Postfinance, "postsale") },
    ]
}

/// A process the plan can kill: the platform's own process of a service, or a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The platform's process (the one the workload calls).
    Primary(Service),
    /// Index into the run's replicas.
    Replica(usize),
}

/// One process fault.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// SIGKILL `target` after `after`, start it again after `down`.
    Kill { target: Target, after: Duration, down: Duration },
    /// Crash-restart NATS after `after`.
    Nats { after: Duration },
    /// Crash-restart Postgres after `after`.
    Postgres { after: Duration },
}

/// `kills` process kills at seeded instants over the primaries and `replicas` replicas, NATS
/// restarted after a third of them and Postgres after two thirds.
pub fn process_plan(kills: usize, replicas: usize, rng: &mut StdRng) -> Vec<Step> {
    let targets: Vec<Target> =
        Service::ALL.iter().map(|s| Target::Primary(*s)).chain((0..replicas).map(Target::Replica)).collect();
    let mut steps = Vec::new();
    for k in 0..kills {
        if k == kills / 3 {
            steps.push(Step::Nats { after: Duration::from_millis(rng.random_range(500..3_000)) });
        }
        if k == 2 * kills / 3 {
            steps.push(Step::Postgres { after: Duration::from_millis(rng.random_range(500..3_000)) });
        }
        let target = *targets.choose(rng).unwrap_or(&Target::Primary(Service::PixiSync));
        steps.push(Step::Kill {
            target,
            after: Duration::from_millis(rng.random_range(300..3_000)),
            down: Duration::from_millis(rng.random_range(0..1_500)),
        });
    }
    steps
}

/// Runs the steps one after another, counting each in the report. A restart that fails is an
/// error: the run cannot go on without the service.
pub async fn execute(
    steps: &[Step],
    platform: &mut Platform,
    replicas: &mut [(Service, ServiceProcess)],
    pg: &IsolatedPostgres,
    nats: &mut IsolatedNats,
    report: &mut Report,
) -> anyhow::Result<()> {
    let t0 = std::time::Instant::now();
    for (k, step) in steps.iter().enumerate() {
        println!("chaos: {:>6.1?} step {}/{}: {step:?}", t0.elapsed(), k + 1, steps.len());
        match *step {
            Step::Kill { target: Target::Primary(service), after, down } => {
                tokio::time::sleep(after).await;
                platform.kill(service).await?;
                report.injected("SIGKILL + restart", service.package());
                tokio::time::sleep(down).await;
                platform.restart(service).await?;
            }
            Step::Kill { target: Target::Replica(i), after, down } => {
                let Some((service, p)) = replicas.get_mut(i) else { continue };
                tokio::time::sleep(after).await;
                p.kill()?;
                p.wait_exit().await?;
                report.injected("SIGKILL + restart", &format!("{} (replica 2)", service.package()));
                tokio::time::sleep(down).await;
                p.restart().await?;
                p.wait_ready(Duration::from_secs(60)).await?;
            }
            Step::Nats { after } => {
                tokio::time::sleep(after).await;
                nats.crash_restart().await?;
                report.injected("crash restart (SIGKILL)", "NATS JetStream");
            }
            Step::Postgres { after } => {
                tokio::time::sleep(after).await;
                pg.crash_restart().await?;
                report.injected("crash restart (pg_ctl -m immediate)", "Postgres");
            }
        }
    }
    Ok(())
}
