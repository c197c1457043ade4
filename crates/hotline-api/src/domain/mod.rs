//! Pure rules of the hotline: who may do what, what valid input is, which of the four outcomes
//! a code lookup has, and exactly what the B2C and B2B tickets say. No I/O, no clock reads, no
//! id generation: callers pass time and ids in.

pub mod agent;
pub mod b2b;
pub mod b2c;
pub mod client_addr;
pub mod contact;
pub mod invoice;
pub mod payment;
pub mod throttle;
pub mod ticket;
