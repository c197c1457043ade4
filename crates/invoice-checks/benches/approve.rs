//! Write-RPC benchmark of invoice-checks (being written).
fn main() {}
