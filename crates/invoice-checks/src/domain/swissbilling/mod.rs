//! SwissBilling (invoice on account through PostFinance): the seed's parameter table, the
//! pre-check of an order (IC-01 … IC-07), STATUS codes as named states (IC-13), the transaction
//! with its history levels, and the maintenance decision (IC-10, IC-11, IC-17).

pub mod fields;
pub mod maintenance;
pub mod order;
pub mod precheck;
pub mod status;
pub mod transaction;

pub use maintenance::{AccountOptions, Planned, decide};
pub use order::{AddressInput, CheckedItem, CheckedOrder, ItemInput, OrderInput, RawMoney};
pub use precheck::{Violation, check};
pub use status::{Kind, Phase, Status};
pub use transaction::{Amounts, InFlight, Level, OpCode, PfEnv, Transaction};
