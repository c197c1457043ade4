//! Admin client methods for pgw.
