//! Pure rules of pixi-sync: no I/O, no clock reads, no id generation. Adapters parse what
//! pixi and unzer say into [`facts`]; [`decide::decide`] returns the next action for an order;
//! the executor performs it and [`progress::apply`]s the resulting event.

pub mod cancel;
pub mod console;
pub mod decide;
pub mod documents;
pub mod events;
pub mod facts;
pub mod incident;
pub mod payment_type;
pub mod progress;
pub mod quiet;
pub mod refusal;
pub mod release;
pub mod settings;
pub mod transfers;

#[cfg(test)]
mod decide_tests;

pub use decide::{Action, Ctx, Decision, Wait, decide};
pub use facts::{PaymentFacts, PixiOrder};
pub use payment_type::{Family, PaymentType};
pub use progress::{Event, Progress, Severity, apply};
pub use settings::Mode;
