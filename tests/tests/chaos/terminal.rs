//! The terminal channel: Nets terminals in the sandbox whose customers approve (or, on one
//! terminal, decline) after a short while, registered in terminal-gateway over gRPC, and card
//! payments started one after another per terminal — while **another POS** on the same Nets
//! account posts its own purchases to the same terminals, so Nets' busy behaviour is in play
//! (a purchase for a busy terminal gets `400 Terminal busy` and the running one goes on; a
//! lookup would abort what runs). At the end: no payment left waiting, at most one approved
//! purchase per order at Nets, and the gateway's state agrees with Nets (approved there ⇔ one
//! approved, unreversed purchase of the same amount).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proto::payops::common::v1::Money;
use proto::payops::terminal_gateway::v1 as pb;
use proto::payops::terminal_gateway::v1::terminal_payment_service_client::TerminalPaymentServiceClient;
use proto::payops::terminal_gateway::v1::terminal_service_client::TerminalServiceClient;
use rand::Rng;
use rand::rngs::StdRng;
use sandbox::SandboxClient;
use sandbox::nets::{AutoMode, NetsTerminalSeed, TxOutcome};

use crate::grpc::{Services, retry};
use crate::report::Invariant;

const SERVICE: &str = "terminal-gateway";
const TENANT: &str = "chaos-hotel";
const USER: &str = "chaos-nets";
const PASSWORD: &str = "chaos-nets-pw-1";

/// One payment the suite asked for.
#[derive(Debug, Clone)]
pub struct Payment {
    /// The POS's order reference.
    pub order_id: String,
    /// The idempotency key.
    pub request_id: String,
    /// Amount in Rappen.
    pub amount: i64,
    /// The terminal.
    pub terminal_id: String,
    /// The gateway's payment id once StartPayment answered.
    pub payment_id: Option<String>,
}

/// The terminals and the planned payments, one lane per terminal.
pub struct Terminals {
    /// Lanes: terminal id → its payments, in order.
    pub lanes: BTreeMap<String, Vec<Payment>>,
}

impl Terminals {
    /// Creates the account and `lanes` terminals in the sandbox (the last one declines every
    /// card, so a failure streak raises an incident) and registers them in the gateway; plans
    /// `count` payments across them.
    pub async fn setup(
        sb: &SandboxClient,
        svc: &Services,
        count: usize,
        rng: &mut StdRng,
    ) -> anyhow::Result<Terminals> {
        sb.nets_add_account(USER, PASSWORD).await?;
        let n = (count / 4).clamp(2, 12);
        let limit = Duration::from_secs(60);
        let c = TerminalServiceClient::with_interceptor(svc.channel(SERVICE)?, svc.auth());
        let creds = pb::SetNetsCredentialsRequest {
            tenant_id: TENANT.into(),
            username: USER.into(),
            password: PASSWORD.into(),
            verify: true,
        };
        retry("SetNetsCredentials", limit, || {
            let (mut c, r) = (c.clone(), creds.clone());
            async move { c.set_nets_credentials(r).await }
        })
        .await?;
        let mut lanes = BTreeMap::new();
        for i in 0..n {
            let id = format!("T-C{i:02}");
            let after_ms = rng.random_range(100..600);
            let mode = if i + 1 == n { AutoMode::Decline { after_ms } } else { AutoMode::Approve { after_ms } };
            sb.nets_add_terminal(&NetsTerminalSeed { mode, ..NetsTerminalSeed::new(&id, USER) }).await?;
            let reg = pb::RegisterTerminalRequest {
                tenant_id: TENANT.into(),
                terminal_id: id.clone(),
                display_name: format!("Chaos {i}"),
                pos: "Chaos POS".into(),
                active: true,
                currency: "CHF".into(),
                time_zone: "Europe/Zurich".into(),
            };
            retry("RegisterTerminal", limit, || {
                let (mut c, r) = (c.clone(), reg.clone());
                async move { c.register_terminal(r).await }
            })
            .await?;
            lanes.insert(id, Vec::new());
        }
        let ids: Vec<String> = lanes.keys().cloned().collect();
        for k in 0..count {
            let terminal_id = ids[k % ids.len()].clone();
            let p = Payment {
                order_id: format!("TP-{k:05}"),
                request_id: format!("chaos-tp-{k:05}"),
                amount: rng.random_range(1..=600) * 50,
                terminal_id: terminal_id.clone(),
                payment_id: None,
            };
            lanes.entry(terminal_id).or_default().push(p);
        }
        Ok(Terminals { lanes })
    }

    /// Runs one lane: each payment is started (retried with its request id while the gateway
    /// is down) and followed until it is no longer waiting, then the next one starts.
    pub async fn run_lane(svc: &Services, lane: &mut [Payment], limit: Duration) {
        for p in lane.iter_mut() {
            let start = pb::StartPaymentRequest {
                tenant_id: TENANT.into(),
                request_id: p.request_id.clone(),
                order_id: p.order_id.clone(),
                amount: Some(Money { amount_minor: p.amount, currency: "CHF".into() }),
                terminal_id: p.terminal_id.clone(),
                workstation_id: String::new(),
            };
            let started = retry("StartPayment", limit, || async {
                let mut c = TerminalPaymentServiceClient::with_interceptor(
                    svc.channel(SERVICE).map_err(|e| tonic::Status::unavailable(e.to_string()))?,
                    svc.auth(),
                );
                c.start_payment(start.clone()).await
            })
            .await;
            let Ok(r) = started else { continue };
            let Some(payment) = r.into_inner().payment else { continue };
            p.payment_id = Some(payment.payment_id.clone());
            let _ = wait_final(svc, &payment.payment_id, limit).await;
        }
    }

    /// Checks every payment against the gateway and the sandbox's Nets records (Nets knows a
    /// purchase by the orderId the gateway sent, `nets_order_ref`).
    ///
    /// Nets' lookup reads only a terminal's last transaction, and the void cancels only that one.
    /// When another POS's sale on the same terminal came after a payment whose answer was lost,
    /// that payment's outcome can no longer be read through the API: the gateway ends it timed
    /// out with OUTCOME_UNCONFIRMED, lets go of the terminal and raises attention ("check the
    /// terminal's journal before the customer pays again"). Such a payment approved at Nets is
    /// no disagreement the gateway could have avoided; the fourth invariant demands that a
    /// Freshdesk ticket names it, and the report counts them.
    pub async fn check(&self, sb: &SandboxClient, svc: &Services, out: &mut [Invariant; 4]) -> anyhow::Result<()> {
        let [waiting, twice, agree, flagged] = out;
        let nets = sb.nets_transactions().await?;
        let tickets = sb.freshdesk_tickets().await?.tickets;
        waiting.check(nets.in_progress == 0, || format!("{} Nets transactions still in progress", nets.in_progress));
        let mut approved: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for t in &nets.transactions {
            if t.transaction_type == "purchase" && t.outcome == TxOutcome::Approved && !t.voided {
                approved.entry(t.order_id.as_deref().unwrap_or("")).or_default().push(t.amount);
            }
        }
        for p in self.lanes.values().flatten() {
            let order = &p.order_id;
            let list = pb::ListOrderPaymentsRequest { tenant_id: TENANT.into(), order_id: order.clone() };
            let payments = retry("ListOrderPayments", Duration::from_secs(30), || async {
                let ch = svc.channel(SERVICE).map_err(|e| tonic::Status::unavailable(e.to_string()))?;
                TerminalPaymentServiceClient::with_interceptor(ch, svc.auth()).list_order_payments(list.clone()).await
            })
            .await?
            .into_inner()
            .payments;
            let mut at_nets = Vec::new();
            for gp in &payments {
                at_nets.extend(approved.get(gp.nets_order_ref.as_str()).cloned().unwrap_or_default());
            }
            twice.check(at_nets.len() <= 1 && payments.len() <= 1, || {
                format!("terminal order {order}: {} gateway payments, approved at Nets {at_nets:?}", payments.len())
            });
            let Some(id) = &p.payment_id else {
                agree.check(at_nets.is_empty(), || format!("terminal order {order}: never started, approved at Nets"));
                continue;
            };
            let state = wait_final(svc, id, Duration::from_secs(5)).await.unwrap_or(pb::PaymentState::Unspecified);
            waiting.check(state != pb::PaymentState::Waiting && state != pb::PaymentState::Unspecified, || {
                format!("terminal order {order} payment {id}: {state:?}")
            });
            let ok = if state == pb::PaymentState::Approved { at_nets == [p.amount] } else { at_nets.is_empty() };
            let unconfirmed = payments.iter().find(|gp| &gp.payment_id == id).is_some_and(|gp| {
                gp.state() == pb::PaymentState::TimedOut
                    && gp.outcome.as_ref().is_some_and(|o| o.reason == "OUTCOME_UNCONFIRMED")
                    && !gp.holds_terminal
            });
            if !ok && unconfirmed {
                let ticketed =
                    tickets.iter().any(|t| t.subject.contains("unconfirmed") && t.description.contains(id.as_str()));
                flagged.check(ticketed, || {
                    format!("terminal order {order}: payment {id} unconfirmed, approved at Nets {at_nets:?}, no ticket")
                });
                agree.check(true, String::new);
                continue;
            }
            agree.check(ok, || format!("terminal order {order}: gateway {state:?}, Nets approved {at_nets:?}"));
        }
        Ok(())
    }
}

/// Another POS on the same Nets account: until `stop`, posts purchases straight to Nets on the
/// chaos terminals (orderIds `pos2-<n>`, never ours). Returns (purchases posted, answered busy).
pub async fn other_pos(
    sb: &SandboxClient,
    terminals: Vec<String>,
    mut rng: StdRng,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(usize, usize)> {
    let base = sb.urls().await?.get(&sandbox::System::Nets).cloned().unwrap_or_default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let login: serde_json::Value = http
        .post(format!("{base}/v1/login"))
        .json(&serde_json::json!({"username": USER, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let (mut posted, mut busy) = (0, 0);
    while !*stop.borrow() && !terminals.is_empty() {
        let t = &terminals[rng.random_range(0..terminals.len())];
        let body =
            serde_json::json!({"transactionType": "purchase", "amount": 100, "orderId": format!("pos2-{posted}")});
        let r = http.post(format!("{base}/v1/terminal/{t}/transaction")).bearer_auth(&token).json(&body).send().await;
        posted += 1;
        if let Ok(r) = r
            && r.status() == 400
            && r.text().await.is_ok_and(|b| b.contains("Terminal busy"))
        {
            busy += 1;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(50..300))).await;
    }
    Ok((posted, busy))
}

/// Polls the payment until it is no longer waiting (or `limit` passes); its last state.
async fn wait_final(svc: &Services, payment_id: &str, limit: Duration) -> anyhow::Result<pb::PaymentState> {
    let started = Instant::now();
    let get = pb::GetPaymentRequest { tenant_id: TENANT.into(), payment_id: payment_id.to_owned() };
    loop {
        let left = limit.saturating_sub(started.elapsed());
        let r = retry("GetPayment", left, || async {
            let mut c = TerminalPaymentServiceClient::with_interceptor(
                svc.channel(SERVICE).map_err(|e| tonic::Status::unavailable(e.to_string()))?,
                svc.auth(),
            );
            c.get_payment(get.clone()).await
        })
        .await?;
        let state = r.into_inner().payment.map(|p| p.state()).unwrap_or(pb::PaymentState::Unspecified);
        if state != pb::PaymentState::Waiting || started.elapsed() > limit {
            return Ok(state);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}
