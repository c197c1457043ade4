//! The end-to-end harness: starts payops binaries as real processes (each on free ports, with
//! its own database schema and the test's stream), waits until they are ready, and stops them
//! with SIGTERM or kills them with SIGKILL. Journeys live in `tests/`.

pub mod process;
