//! The records of one pixi installation (one API user = one pixi database): orders with their
//! lines, invoices and credit notes, the customer account, customers, items, payment methods,
//! booking events and the change feed. Money is in minor units (cents); times are the
//! installation's local wall-clock time, as pixi stores them.

mod install;
mod order;
mod records;

pub use install::{Install, NEWEST_REVISION, RefusalSpec, SqlErrorSpec};
pub use order::{Address, Comment, Line, LineStatus, Order, OrderStatus, ShippingLock};
pub use records::{
    Booking, BookingEvent, BookingSource, Change, Customer, DocKind, Document, Item, PaymentMethod, QuietCall,
};
