//! Events in and out. In: attention events of every service (`<prefix>.*.*.attention`, payload
//! `payops.events.v1.Attention`) through the kit's idempotent consumer, which only queues them as
//! ticket work ([`attention`]). Out (through the outbox, keyed by the order id, in the
//! transaction that records the effect): `ticket_created` (`payops.events.v1.TicketCreated`),
//! `ticket_note_added` (`payops.ticketing.v1.TicketNoteAdded`) and `ticket_work_dead_lettered`
//! (`payops.ticketing.v1.TicketWorkDeadLettered`) ([`events`]).

pub mod attention;
pub mod events;

pub use attention::{AttentionHandler, CONSUMER, consumer};
