//! Admin client methods for postfinance.
