//! NATS JetStream: the event stream, subjects keyed by order id, the transactional outbox and
//! its relay, and the idempotent consumer with its inbox and dead-letter list.
//!
//! Subjects are `<prefix>.<source>.<order_id>.<type>`, e.g.
//! `payops.events.pixi-sync.4711.attention`, all in one stream (default `PAYOPS_EVENTS`), so one
//! order's events can be replayed in order and filtered (`payops.events.*.4711.>`).

pub mod consumer;
pub mod dead_letter;
pub mod event;
pub mod outbox;

use std::time::Duration;

use async_nats::jetstream::{self, stream};

use crate::config::{ConfigError, Env};

pub use consumer::{Consumer, ConsumerConfig, Delivered, Handler, HandlerError};
pub use dead_letter::{DeadLetter, DeadLetters};
pub use event::{EventError, NewEvent};
pub use outbox::{Outbox, Relay};

/// Bus settings.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `NATS_URL`, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// `EVENTS_PREFIX`: first subject tokens, default `payops.events`.
    pub prefix: String,
    /// `EVENTS_STREAM`: stream name, default `PAYOPS_EVENTS`.
    pub stream: String,
    /// `EVENTS_DUPLICATE_WINDOW`: JetStream de-duplication window, default 2m.
    pub duplicate_window: Duration,
    /// `EVENTS_MAX_AGE`: how long the stream keeps events (the replay horizon), default 7d.
    pub max_age: Duration,
}

impl BusConfig {
    /// Reads the bus variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url: String = env.required("NATS_URL")?;
        if !(url.starts_with("nats://") || url.starts_with("tls://") || url.contains(':')) {
            return Err(ConfigError::new("NATS_URL", "expected nats://host:port"));
        }
        let prefix: String = env.or("EVENTS_PREFIX", "payops.events".to_owned())?;
        if prefix.is_empty() || prefix.split('.').any(|t| !is_subject_token(t)) {
            return Err(ConfigError::new("EVENTS_PREFIX", "expected dot-separated tokens of [A-Za-z0-9_-]"));
        }
        let stream: String = env.or("EVENTS_STREAM", "PAYOPS_EVENTS".to_owned())?;
        if !is_subject_token(&stream) {
            return Err(ConfigError::new("EVENTS_STREAM", "may only contain A-Z, a-z, 0-9, '_' and '-'"));
        }
        Ok(BusConfig {
            url,
            prefix,
            stream,
            duplicate_window: env.duration_or("EVENTS_DUPLICATE_WINDOW", Duration::from_secs(120))?,
            max_age: env.duration_or("EVENTS_MAX_AGE", Duration::from_secs(7 * 86_400))?,
        })
    }

    /// A config for `url` with the default prefix and stream.
    pub fn new(url: impl Into<String>) -> Self {
        BusConfig {
            url: url.into(),
            prefix: "payops.events".into(),
            stream: "PAYOPS_EVENTS".into(),
            duplicate_window: Duration::from_secs(120),
            max_age: Duration::from_secs(7 * 86_400),
        }
    }
}

fn is_subject_token(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Bus failures.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// Connecting to NATS failed.
    #[error("cannot connect to NATS: {0}")]
    Connect(String),
    /// A JetStream request failed.
    #[error("JetStream: {0}")]
    JetStream(String),
    /// A message could not be acknowledged.
    #[error("ack failed: {0}")]
    Ack(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A fault point stopped the operation (tests only).
    #[error("crashed at fault point {0}")]
    Crashed(&'static str),
}

/// A connection to NATS and the event stream's names.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    config: BusConfig,
}

impl Bus {
    /// Connects; the client keeps reconnecting in the background, so a service starts while
    /// NATS is down and reports NOT_SERVING until it is back.
    pub async fn connect(config: &BusConfig) -> Result<Self, BusError> {
        let client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .name("payops")
            .connect(config.url.as_str())
            .await
            .map_err(|e| BusError::Connect(e.to_string()))?;
        let js = jetstream::new(client.clone());
        Ok(Bus { client, js, config: config.clone() })
    }

    /// Creates or updates the event stream (idempotent; run at start-up).
    pub async fn ensure_stream(&self) -> Result<stream::Stream, BusError> {
        let config = stream::Config {
            name: self.config.stream.clone(),
            subjects: vec![format!("{}.>", self.config.prefix)],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: self.config.duplicate_window,
            max_age: self.config.max_age,
            ..Default::default()
        };
        match self.js.get_stream(&self.config.stream).await {
            Ok(_) => {
                self.js.update_stream(&config).await.map_err(|e| BusError::JetStream(e.to_string()))?;
            }
            Err(_) => {
                self.js.create_stream(config).await.map_err(|e| BusError::JetStream(e.to_string()))?;
            }
        }
        self.js.get_stream(&self.config.stream).await.map_err(|e| BusError::JetStream(e.to_string()))
    }

    /// The subject of an event: `<prefix>.<source>.<order_id>.<type>`.
    pub fn subject(&self, source: &str, order_id: &str, event_type: &str) -> String {
        format!("{}.{source}.{order_id}.{event_type}", self.config.prefix)
    }

    /// A filter for one event type from every service: `<prefix>.*.*.<type>`.
    pub fn filter_type(&self, event_type: &str) -> String {
        format!("{}.*.*.{event_type}", self.config.prefix)
    }

    /// A filter for every event of one order: `<prefix>.*.<order_id>.>`.
    pub fn filter_order(&self, order_id: &str) -> String {
        format!("{}.*.{order_id}.*", self.config.prefix)
    }

    /// A filter for every event: `<prefix>.>`.
    pub fn filter_all(&self) -> String {
        format!("{}.>", self.config.prefix)
    }

    /// True while the client is connected.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// The JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The core NATS client.
    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// The settings this bus was built from.
    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    /// Flushes and closes the connection (the last bus step of graceful shutdown).
    pub async fn drain(&self) {
        if let Err(e) = self.client.drain().await {
            tracing::warn!(error = %e, "draining the NATS client failed");
        }
    }
}

/// A subject with its order id replaced by `{order_id}` (the second-to-last token):
/// `payops.events.pixi-sync.4711.attention` → `payops.events.pixi-sync.{order_id}.attention`.
/// Span names use it, so their number stays bounded (OpenTelemetry messaging conventions:
/// `messaging.destination.template`).
pub fn subject_template(subject: &str) -> String {
    let mut tokens: Vec<&str> = subject.split('.').collect();
    let n = tokens.len();
    if n >= 2 {
        tokens[n - 2] = "{order_id}";
    }
    tokens.join(".")
}
