//! Admin client methods for unzer.
