//! Cross-service journeys: every service as a real process (started through the `stack` crate)
//! and the sandbox as the outside world. The journeys are the integration tests in `tests/`.

pub use stack::process;
