//! Pure rules of the bridge: what a valid ticket is, how text becomes safe HTML, how attention
//! events become tickets and notes, the external references, and when to retry. No I/O, no
//! clock reads, no id generation.

pub mod attention;
pub mod draft;
pub mod html;
pub mod reference;
pub mod retry;
