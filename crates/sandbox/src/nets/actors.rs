//! The terminal actor task: one task for the whole sandbox, however many terminals. It fires
//! auto-mode completions (approve/decline N real milliseconds after the start) from a binary
//! heap, and ends transactions whose terminal timeout passed on the sandbox clock. Every step
//! is O(log n) per transaction, and due completions are applied under one lock acquisition.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::state::TxOutcome;
use crate::shared::Shared;

/// How often the sandbox clock is checked for terminal timeouts (the clock can jump).
const TIMEOUT_TICK: Duration = Duration::from_millis(25);

/// An auto-mode completion due at a real instant.
#[derive(Debug)]
pub(crate) struct Scheduled {
    pub(crate) due: Instant,
    pub(crate) seq: u64,
    pub(crate) terminal_id: String,
    pub(crate) outcome: TxOutcome,
    pub(crate) code: Option<String>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// Starts the terminal actor task (auto modes and terminal timeouts); it stops with the sandbox.
pub fn start_terminal_actors(shared: &Shared) {
    let (tx, rx) = mpsc::unbounded_channel();
    Shared::lock(&shared.0.nets).scheduler = Some(tx);
    tokio::spawn(run(shared.clone(), rx));
}

async fn run(shared: Shared, mut rx: mpsc::UnboundedReceiver<Scheduled>) {
    let mut heap: BinaryHeap<Reverse<Scheduled>> = BinaryHeap::new();
    let mut tick = tokio::time::interval(TIMEOUT_TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let next_due = heap.peek().map(|Reverse(s)| s.due);
        tokio::select! {
            () = shared.0.token.cancelled() => return,
            msg = rx.recv() => match msg {
                Some(s) => heap.push(Reverse(s)),
                None => return,
            },
            () = sleep_until(next_due) => fire_due(&shared, &mut heap),
            _ = tick.tick() => {
                let now = shared.now();
                Shared::lock(&shared.0.nets).expire(now);
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn fire_due(shared: &Shared, heap: &mut BinaryHeap<Reverse<Scheduled>>) {
    let real_now = Instant::now();
    let now = shared.now();
    let mut st = Shared::lock(&shared.0.nets);
    while heap.peek().is_some_and(|Reverse(s)| s.due <= real_now) {
        if let Some(Reverse(s)) = heap.pop() {
            st.auto_finish(&s.terminal_id, s.seq, s.outcome, s.code, now);
        }
    }
}
