//! Background loops that call the use cases in [`crate::service`].

pub mod worker;
