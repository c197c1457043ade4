//! Placeholder replaced by the timeline read benchmark.
fn main() {}
