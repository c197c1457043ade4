//! Pure rules of the terminal gateway: identifiers, the payment state machine, terminal
//! registration and live status, and how a Nets last-result lookup is matched to a payment.
//! No I/O, no clock reads, no id generation.

pub mod correlate;
pub mod outcome;
pub mod payment;
pub mod terminal;

kit::id_type!(TenantId, 64, "A tenant (merchant) of the gateway; it owns credentials, terminals and payments.");
kit::id_type!(TerminalId, 64, "A Nets terminal id as issued by Nets.");
kit::id_type!(WorkstationId, 128, "A workstation (till) chosen by the caller; it remembers its last terminal.");
