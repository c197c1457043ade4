//! The plumbing between the services, checked at the end: every outbox drained (no unsent
//! row in any service's schema), every JetStream consumer caught up (nothing pending, nothing
//! awaiting an ack), no dead letter; and the incidents every service raised (attention events
//! in the outboxes), which the ticket check needs.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use prost::Message;
use proto::payops::events::v1::{Attention, Envelope};
use sqlx::PgPool;

use crate::report::Invariant;

/// Schemas that have an outbox.
pub async fn schemas(pool: &PgPool) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1",
    )
    .fetch_all(pool)
    .await?)
}

/// Unsent outbox rows per schema.
pub async fn unsent(pool: &PgPool) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for s in schemas(pool).await? {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{s}\".outbox WHERE sent_at IS NULL"))
            .fetch_one(pool)
            .await?;
        out.insert(s, n);
    }
    Ok(out)
}

/// (consumer, pending, ack pending) of every consumer on `stream`.
pub async fn consumers(nats_url: &str, stream: &str) -> anyhow::Result<Vec<(String, u64, usize)>> {
    let client = async_nats::connect(nats_url).await?;
    let js = async_nats::jetstream::new(client);
    let s = js.get_stream(stream).await?;
    let infos: Vec<_> = s.consumers().try_collect().await?;
    Ok(infos.into_iter().map(|i| (i.name, i.num_pending, i.num_ack_pending)).collect())
}

/// Incidents: (order id, incident id) → attention event ids, from every outbox.
pub async fn incidents(pool: &PgPool) -> anyhow::Result<BTreeMap<(String, String), Vec<String>>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for s in schemas(pool).await? {
        let rows: Vec<Vec<u8>> =
            sqlx::query_scalar(&format!("SELECT envelope FROM \"{s}\".outbox WHERE event_type = 'attention'"))
                .fetch_all(pool)
                .await?;
        for b in rows {
            let env = Envelope::decode(b.as_slice())?;
            let Some(any) = env.payload else { continue };
            let a = Attention::decode(any.value.as_slice())?;
            out.entry((env.order_id.clone(), a.incident_id)).or_default().push(env.event_id);
        }
    }
    Ok(out)
}

/// Outboxes drained, consumers caught up, no dead letters.
pub async fn check(pool: &PgPool, nats_url: &str, stream: &str, out: &mut [Invariant; 2]) -> anyhow::Result<()> {
    let [drained, caught_up] = out;
    for (schema, n) in unsent(pool).await? {
        drained.check(n == 0, || format!("{schema}: {n} outbox rows never published"));
    }
    for (name, pending, acks) in consumers(nats_url, stream).await? {
        caught_up
            .check(pending == 0 && acks == 0, || format!("consumer {name}: {pending} pending, {acks} awaiting ack"));
    }
    for s in schemas(pool).await? {
        let dead: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{s}' AND table_name = 'dead_letters'"
        ))
        .fetch_one(pool)
        .await?;
        if dead == 0 {
            continue;
        }
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT count(*) FROM \"{s}\".dead_letters WHERE replayed_at IS NULL"))
                .fetch_one(pool)
                .await?;
        caught_up.check(n == 0, || format!("{s}: {n} dead letters"));
    }
    Ok(())
}
