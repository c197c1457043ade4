//! Admin client methods for smtp.
