//! JetStream ceilings: acknowledged publishes per second (128-byte messages, file storage) with
//! a window of acks in flight, and a durable pull consumer with explicit acks.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};

async fn fresh_stream(name: &str) -> anyhow::Result<(jetstream::Context, stream::Stream)> {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let js = jetstream::new(async_nats::connect(url).await?);
    let _ = js.delete_stream(name).await;
    let s = js
        .create_stream(stream::Config {
            name: name.into(),
            subjects: vec![format!("{name}.>")],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await?;
    Ok((js, s))
}

/// Publishes for `duration` keeping `window` acks in flight; returns publishes/s.
pub async fn publish(duration: Duration, window: usize) -> anyhow::Result<Value> {
    let name = format!("BENCH_PUB_{window}");
    let (js, _) = fresh_stream(&name).await?;
    let payload = Bytes::from(vec![b'x'; 128]);
    let mut in_flight = VecDeque::with_capacity(window);
    let started = Instant::now();
    let mut acked = 0u64;
    let mut i = 0u64;
    while started.elapsed() < duration {
        if in_flight.len() >= window
            && let Some(ack) = in_flight.pop_front()
        {
            let ack: jetstream::context::PublishAckFuture = ack;
            ack.await?;
            acked += 1;
        }
        in_flight.push_back(js.publish(format!("{name}.{}", i % 64), payload.clone()).await?);
        i += 1;
    }
    while let Some(ack) = in_flight.pop_front() {
        ack.await?;
        acked += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    js.delete_stream(&name).await?;
    let rtt_us = if window == 1 { secs * 1e6 / acked as f64 } else { 0.0 };
    Ok(
        json!({ "name": if window == 1 { "B_js_rtt" } else { "B_js" }, "per_sec": acked as f64 / secs, "window": window, "rtt_us": rtt_us }),
    )
}

/// Fills a stream with `n` messages, then drains it with a durable pull consumer.
pub async fn consume(n: u64) -> anyhow::Result<Value> {
    let name = "BENCH_CONS";
    let (js, s) = fresh_stream(name).await?;
    let payload = Bytes::from(vec![b'x'; 128]);
    let mut acks = VecDeque::new();
    for i in 0..n {
        acks.push_back(js.publish(format!("{name}.{}", i % 64), payload.clone()).await?);
        if acks.len() >= 512
            && let Some(a) = acks.pop_front()
        {
            a.await?;
        }
    }
    for a in acks {
        a.await?;
    }
    let c = s
        .create_consumer(consumer::pull::Config {
            durable_name: Some("bench".into()),
            ack_policy: consumer::AckPolicy::Explicit,
            max_ack_pending: 100_000,
            ..Default::default()
        })
        .await?;
    let started = Instant::now();
    let mut got = 0u64;
    let mut messages = c.stream().max_messages_per_batch(1000).messages().await?;
    while got < n {
        match messages.next().await {
            Some(Ok(m)) => {
                m.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?;
                got += 1;
            }
            Some(Err(e)) => return Err(anyhow::anyhow!("{e}")),
            None => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    js.delete_stream(name).await?;
    Ok(json!({ "name": "B_cons", "per_sec": got as f64 / secs, "messages": got }))
}
