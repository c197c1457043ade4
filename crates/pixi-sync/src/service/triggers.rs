//! Webhook triggers: the public endpoint only queues "payment X changed" in memory and answers
//! at once; every pass makes the payments' orders due in one statement. A trigger lost in a
//! crash costs nothing but latency (webhooks are triggers, never state; polling follows up).
//! The queue is bounded: when it is full the endpoint answers 503 and unzer retries later.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Most triggers held at once.
pub const CAPACITY: usize = 20_000;

/// One queued trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// Tenant.
    pub tenant_id: Uuid,
    /// unzer payment id.
    pub payment_id: String,
    /// Event name.
    pub event: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// The queue.
#[derive(Default)]
pub struct Triggers {
    /// Pending triggers, oldest first.
    queue: Mutex<Vec<Trigger>>,
}

impl Triggers {
    /// Queues a trigger; false when the queue is full.
    pub fn push(&self, t: Trigger) -> bool {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= CAPACITY {
            return false;
        }
        q.push(t);
        true
    }

    /// Takes every queued trigger.
    pub fn take(&self) -> Vec<Trigger> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts triggers back (the database was not reachable).
    pub fn restore(&self, mut back: Vec<Trigger>) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        back.append(&mut q);
        back.truncate(CAPACITY);
        *q = back;
    }
}
