//! Background loops: the [`Dispatcher`] finds orders whose queued ticket work is due and runs
//! them through the [`crate::service::Executor`] with bounded concurrency.

mod dispatcher;

pub use dispatcher::Dispatcher;
