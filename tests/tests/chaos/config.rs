//! The chaos run's size and seed. Everything random in a run (workload mix, amounts, kill
//! instants, fault choices, the sandbox's fault decisions) derives from one seed, printed at the
//! start, so a failing run replays with `CHAOS_SEED=<seed>`.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CHAOS_SEED` | 20261122 (CI replays one run; `make chaos` draws one) | the seed |
//! | `CHAOS_ORDERS` | 40 | orders across all channels (`make chaos` sets 1000) |
//! | `CHAOS_KILLS` | orders / 10, at least 5 | SIGKILLs of service processes |
//! | `CHAOS_SETTLE_SECS` | 240 | how long the platform may take to settle once the faults stop |

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The seed of the short run in `make test`.
pub const DEFAULT_SEED: u64 = 20_261_122;

/// Size and seed of one run.
#[derive(Debug, Clone)]
pub struct ChaosConfig {
    /// The seed of every random choice.
    pub seed: u64,
    /// Orders across all channels.
    pub orders: usize,
    /// SIGKILLs of service processes during the load phase.
    pub kills: usize,
    /// Limit for the settle phase, in seconds.
    pub settle_secs: u64,
}

/// How the orders split across the channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    /// pixi orders synced by pixi-sync to unzer.
    pub pixi: usize,
    /// Card-present payments through terminal-gateway on Nets.
    pub terminal: usize,
    /// SwissBilling invoice orders through invoice-checks and PostFinance.
    pub swissbilling: usize,
    /// Hotline tickets through ticketing-bridge to Freshdesk.
    pub hotline: usize,
}

fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| v.trim().parse().unwrap_or_else(|_| panic!("{name}: not a number: {v:?}")))
}

impl ChaosConfig {
    /// Reads the environment (see the module table).
    pub fn from_env() -> Self {
        let seed = var("CHAOS_SEED").unwrap_or(DEFAULT_SEED);
        let orders: usize = var("CHAOS_ORDERS").unwrap_or(40).max(8);
        let kills = var("CHAOS_KILLS").unwrap_or((orders / 10).max(5));
        let settle_secs = var("CHAOS_SETTLE_SECS").unwrap_or(240);
        ChaosConfig { seed, orders, kills, settle_secs }
    }

    /// A generator for one purpose: the same seed and purpose give the same sequence, and
    /// adding a purpose does not shift the others.
    pub fn rng(&self, purpose: &str) -> StdRng {
        let mut h: u64 = self.seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in purpose.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        StdRng::seed_from_u64(h)
    }

    /// Half the orders go to pixi, a fifth to the terminals, the rest split between
    /// SwissBilling and the hotline.
    pub fn mix(&self) -> Mix {
        let pixi = self.orders / 2;
        let terminal = self.orders / 5;
        let swissbilling = (self.orders - pixi - terminal) / 2;
        let hotline = self.orders - pixi - terminal - swissbilling;
        Mix { pixi, terminal, swissbilling, hotline }
    }

    /// How to run this again.
    pub fn replay_line(&self) -> String {
        format!("CHAOS_SEED={} CHAOS_ORDERS={} CHAOS_KILLS={}", self.seed, self.orders, self.kills)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn the_mix_adds_up_and_the_generators_replay() {
        for orders in [8, 40, 1000, 1001] {
            let c = ChaosConfig { seed: 7, orders, kills: 5, settle_secs: 1 };
            let m = c.mix();
            assert_eq!(m.pixi + m.terminal + m.swissbilling + m.hotline, orders);
        }
        let c = ChaosConfig { seed: 7, orders: 40, kills: 5, settle_secs: 1 };
        assert_eq!(c.rng("x").random::<u64>(), c.rng("x").random::<u64>());
        assert_ne!(c.rng("x").random::<u64>(), c.rng("y").random::<u64>());
    }
}
