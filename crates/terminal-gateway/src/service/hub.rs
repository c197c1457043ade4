//! Live delivery of payment changes to watchers (TG-11). Two feeds fill one in-process hub:
//!
//! 1. **Local commit**: the instance that commits a change publishes the payment to its hub
//!    right after the commit — no polling, no broker hop, so a watcher on the same replica sees
//!    an approval within the commit's latency.
//! 2. **Other replicas**: every change is also an outbox event published on JetStream subject
//!    `<prefix>.terminal-gateway.<order>.<type>`. Each instance holds one core NATS subscription
//!    on those subjects (not a consumer: nothing is stored or acked) and forwards the payload's
//!    payment to its hub, so a watcher connected to replica B sees what replica A committed
//!    once A's relay published it (woken by A's own commit, typically a few ms).
//!
//! Watchers skip versions they have seen (both feeds may deliver one change) and re-read the
//! row every few seconds as a safety net, because core NATS delivery is at most once. One
//! broadcast channel per watched payment keeps the cost per change O(watchers of that payment).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use proto::payops::terminal_gateway::v1::{Payment, TerminalPaymentChanged};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Watched payments and their channels.
#[derive(Clone, Default)]
pub struct Hub {
    /// Payment id → sender; an entry lives while someone watches.
    channels: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Arc<Payment>>>>>,
}

/// A watcher's receiver; dropping it removes the channel when it was the last one.
pub struct Subscription {
    rx: Option<broadcast::Receiver<Arc<Payment>>>,
    id: Uuid,
    hub: Hub,
}

impl Subscription {
    /// The next change (`Err(Lagged)` when the watcher fell behind: re-read the row).
    pub async fn recv(&mut self) -> Result<Arc<Payment>, broadcast::error::RecvError> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.rx.take());
        let mut map = self.hub.lock();
        if map.get(&self.id).is_some_and(|s| s.receiver_count() == 0) {
            map.remove(&self.id);
        }
        metrics::gauge!(WATCHERS).decrement(1.0);
    }
}

/// Watch streams open right now.
pub const WATCHERS: &str = "payops_terminal_payment_watchers";

impl Hub {
    /// Starts receiving changes of payment `id`.
    pub fn subscribe(&self, id: Uuid) -> Subscription {
        let rx = self.lock().entry(id).or_insert_with(|| broadcast::channel(16).0).subscribe();
        metrics::gauge!(WATCHERS).increment(1.0);
        Subscription { rx: Some(rx), id, hub: self.clone() }
    }

    /// Delivers a change to the payment's watchers, if any.
    pub fn publish(&self, payment: Payment) {
        let Ok(id) = Uuid::parse_str(&payment.payment_id) else { return };
        let map = self.lock();
        if let Some(tx) = map.get(&id) {
            let _ = tx.send(Arc::new(payment));
        }
    }

    /// True while someone watches `id`.
    pub fn is_watched(&self, id: Uuid) -> bool {
        self.lock().contains_key(&id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Arc<Payment>>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forwards changes committed by any replica (their bus events) to this hub until
    /// `token` is cancelled. Re-subscribes when the subscription ends (NATS reconnects).
    pub async fn listen(self, client: async_nats::Client, subject: String, token: CancellationToken) {
        while !token.is_cancelled() {
            let mut sub = match client.subscribe(subject.clone()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot subscribe to payment changes; retrying");
                    tokio::select! {
                        () = token.cancelled() => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => continue,
                    }
                }
            };
            loop {
                tokio::select! {
                    () = token.cancelled() => return,
                    msg = sub.next() => match msg {
                        Some(m) => self.forward(&m.payload),
                        None => break,
                    },
                }
            }
        }
    }

    fn forward(&self, bytes: &[u8]) {
        let Ok(envelope) = kit::bus::event::decode_envelope(bytes) else { return };
        let Ok(changed) = kit::bus::event::unpack::<TerminalPaymentChanged>(&envelope) else { return };
        if let Some(p) = changed.payment {
            self.publish(p);
        }
    }
}
