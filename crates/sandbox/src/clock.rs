//! The sandbox's own time (SB-06): real time plus an offset that tests move through the admin
//! API, so expiring codes, token lifetimes and terminal timeouts happen without waiting.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// Real time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub struct SandboxClock {
    /// Milliseconds added to real time.
    offset_ms: AtomicI64,
}

impl SandboxClock {
    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock so that `now()` is `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds();
        self.offset_ms.store(offset, Ordering::SeqCst);
    }

    /// Current offset in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}
