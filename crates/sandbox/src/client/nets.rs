//! Admin client methods for nets.
