//! Admin client methods for smallinvoice.
