//! Admin client methods for freshdesk.
