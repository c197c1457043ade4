//! The scripted demo scenario (architecture flows 1 and 2): a shop checkout whose card
//! authorisation is ten days old arrives in pixi on HOLD. pixi-sync (STANDARD mode) tries to
//! capture it before releasing the order; unzer refuses because the authorisation expired
//! (the sandbox's unzer keeps authorisations seven days); pixi-sync releases the order with a
//! shipping lock and raises an incident with its attention event; ticketing-bridge opens one
//! Freshdesk ticket for it; hotline-api's order timeline shows every step.

use std::time::{Duration, Instant};

use anyhow::Context;
use proto::payops::hotline::v1 as hl;
use proto::payops::hotline::v1::agent_service_client::AgentServiceClient;
use proto::payops::hotline::v1::timeline_service_client::TimelineServiceClient;
use sandbox::pixi::{Address, SeedLine, SeedOrder};
use sandbox::unzer::{DEMO_PRIVATE_KEY, PayKind, SeedOutcome, SeedPayment};

use crate::seed::{MANDANT, PIXI_USER};
use crate::{Targets, bearer, channel};

/// Event types the scenario waits for on the timeline: pixi-sync's incident, the release with
/// its shipping lock, and the ticket (each arrives through its own consumer, in any order).
pub const EXPECTED: [(&str, &str); 3] =
    [("pixi-sync", "attention"), ("pixi-sync", "order_released"), ("ticketing-bridge", "ticket_created")];

/// The order the scenario produced and its timeline.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// pixi order number (the order id of every event).
    pub order_id: String,
    /// unzer payment id.
    pub payment_id: String,
    /// The timeline, oldest first.
    pub events: Vec<hl::TimelineEvent>,
}

impl Outcome {
    /// The timeline as lines for people.
    pub fn lines(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| {
                let at = e
                    .occurred_at
                    .as_ref()
                    .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default();
                format!("{at}  {:<17} {:<22} {}", e.source, e.r#type, e.summary)
            })
            .collect()
    }
}

/// Runs the scenario and waits (up to `limit`) until the timeline shows [`EXPECTED`].
pub async fn run(t: &Targets, limit: Duration) -> anyhow::Result<Outcome> {
    let sb = t.sandbox();
    let now = sb.now().await.context("sandbox clock")?;
    let lines = [(String::from("JA-600"), "Jacke Outdoor", 12_990), (String::from("CA-300"), "Cap Logo", 1_990)];
    let total: i64 = lines.iter().map(|l| l.2).sum();
    let payment = sb
        .unzer_seed_payment(&SeedPayment {
            private_key: DEMO_PRIVATE_KEY.into(),
            kind: PayKind::Card,
            amount_minor: total,
            currency: "EUR".into(),
            order_id: String::new(),
            invoice_id: String::new(),
            payment_reference: String::new(),
            outcome: SeedOutcome::Authorized,
            charged_minor: None,
            at: Some(now - chrono::Duration::days(10)),
        })
        .await
        .context("unzer checkout")?;
    let token = login(t).await?;
    let mut timeline = TimelineServiceClient::new(channel(&t.hotline, &t.token)?);
    let order_nr = fresh_order_nr(t, &mut timeline, &token, now.timestamp()).await?;
    let order = SeedOrder {
        order_nr: Some(order_nr),
        shop_id: Some(MANDANT.into()),
        payment_code: "UNZERCC".into(),
        kk_id: Some(payment.id.clone()),
        lines: lines
            .iter()
            .map(|(nr, name, price)| SeedLine {
                item_nr: nr.clone(),
                name: (*name).into(),
                qty: 1,
                price_minor: *price,
                ean: None,
            })
            .collect(),
        billing: Address {
            first_name: "Erika".into(),
            last_name: "Mustermann".into(),
            street: "Heidestraße 17".into(),
            zip: "51147".into(),
            city: "Köln".into(),
            country: "DE".into(),
            email: "erika.mustermann@example.com".into(),
            ..Address::default()
        },
        ..SeedOrder::default()
    };
    let order = sb.pixi_seed_order(PIXI_USER, &order).await.context("pixi order import")?;
    let order_id = order.order_nr.to_string();
    let started = Instant::now();
    loop {
        let req = bearer(hl::GetOrderTimelineRequest { order_id: order_id.clone() }, &token)?;
        let events = timeline.get_order_timeline(req).await.context("GetOrderTimeline")?.into_inner().events;
        let complete =
            EXPECTED.iter().all(|(source, kind)| events.iter().any(|e| e.source == *source && e.r#type == *kind));
        if complete {
            return Ok(Outcome { order_id, payment_id: payment.id, events });
        }
        if started.elapsed() > limit {
            let seen: Vec<String> = events.iter().map(|e| format!("{}/{}", e.source, e.r#type)).collect();
            anyhow::bail!(
                "order {order_id}: the timeline did not show {EXPECTED:?} within {limit:?}; it shows {seen:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// An order number that neither the sandbox's pixi nor the timeline has seen: every run of the
/// demo gets an order of its own, also after `make up` restarted the sandbox with fresh data.
async fn fresh_order_nr(
    t: &Targets,
    timeline: &mut TimelineServiceClient<kit::grpc::client::TracedChannel>,
    token: &str,
    seed: i64,
) -> anyhow::Result<i64> {
    let sb = t.sandbox();
    for k in 0..50 {
        let nr = 900_000 + (seed + k * 7_919).rem_euclid(100_000);
        let req = bearer(hl::GetOrderTimelineRequest { order_id: nr.to_string() }, token)?;
        let seen = !timeline.get_order_timeline(req).await.context("GetOrderTimeline")?.into_inner().events.is_empty();
        if !seen && sb.pixi_order(PIXI_USER, nr).await.is_err() {
            return Ok(nr);
        }
    }
    anyhow::bail!("no unused order number found")
}

/// Logs the demo agent in at hotline-api and returns the session token.
pub async fn login(t: &Targets) -> anyhow::Result<String> {
    let mut agents = AgentServiceClient::new(channel(&t.hotline, &t.token)?);
    let req = hl::LoginRequest { username: t.hotline_user.clone(), password: t.hotline_password.clone() };
    Ok(agents.login(req).await.context("hotline-api login")?.into_inner().token)
}
