//! Thin tonic adapters: `terminals.rs` (TerminalService), `payments.rs`
//! (TerminalPaymentService), `convert.rs` (to proto) and `status.rs` (Error → Status).

pub mod convert;
mod payments;
pub mod permissions;
pub mod status;
mod terminals;

pub use payments::Payments;
pub use terminals::Terminals;
