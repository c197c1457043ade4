//! Benchmarks measured on this box, each printing one JSON object: the physical ceilings of
//! `docs/benchmarks.md` that need our own programs (JetStream publish rate and round trip,
//! pull-consumer rate, tonic echo on one core) and the platform's event pipeline (a state change
//! plus its outbox row, then relay, JetStream, idempotent consumer and effect) and the drain of a
//! queued backlog with refused deliveries and a stop midway. Ratios are
//! computed by `deploy/bench/report.py` against ceilings from the same run.

pub mod backlog;
pub mod echo;
pub mod js;
pub mod load;
pub mod pgbench;
pub mod pipeline;
