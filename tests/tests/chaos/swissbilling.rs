//! The SwissBilling channel: invoice-on-account orders through invoice-checks and the sandbox's
//! PostFinance — the signed payment page, the customer's acceptance, the verified return, then
//! one DirectLink maintenance per order (a full capture, or a deletion of the authorisation),
//! retried with its request id through kills and faults. Some customers' browsers never come
//! back (the **lost return**): those orders reach invoice-checks only through PostFinance's
//! post-sale request (itself lost at times by a fault rule) or a look-up by ORDERID. At the end,
//! per order in the sandbox's PostFinance history: no operation applied twice, and the captured
//! amount is the ordered amount.

use std::time::{Duration, Instant};

use proto::payops::common::v1::Money;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::MaintenanceOperation as Op;
use proto::payops::invoice_checks::v1::swiss_billing_service_client::SwissBillingServiceClient;
use rand::Rng;
use rand::rngs::StdRng;
use sandbox::SandboxClient;
use sandbox::postfinance::{Action, Env as PfEnv, Kind, PfCustomer};
use tonic::Code;

use crate::grpc::{Services, retry, transient};
use crate::report::Invariant;

const SERVICE: &str = "invoice-checks";

/// The tenant as configured in invoice-checks and seeded in the sandbox.
#[derive(Debug, Clone)]
pub struct SbTenant {
    /// Tenant name in invoice-checks.
    pub name: String,
    /// PostFinance environment.
    pub env: PfEnv,
    /// PSPID.
    pub pspid: String,
}

/// One order.
#[derive(Debug, Clone)]
pub struct SbOrder {
    /// ORDERID.
    pub order_id: String,
    /// Amount in Rappen.
    pub amount: i64,
    /// Capture (true) or delete the authorisation (false).
    pub capture: bool,
    /// The maintenance answered Accepted or AlreadyApplied.
    pub maintained: bool,
    /// The customer authorised it (page, acceptance, and the verified return unless lost).
    pub authorised: bool,
    /// The customer's browser never returns to the shop: no VerifyReturn.
    pub return_lost: bool,
}

/// Plans `count` orders.
pub fn plan(count: usize, rng: &mut StdRng) -> Vec<SbOrder> {
    (0..count)
        .map(|k| SbOrder {
            order_id: format!("SBC-{k:05}"),
            amount: rng.random_range(40..=1000) * 50,
            capture: rng.random_range(0..100) < 80,
            maintained: false,
            authorised: false,
            return_lost: rng.random_range(0..100) < 25,
        })
        .collect()
}

fn chf(minor: i64) -> Money {
    Money { amount_minor: minor, currency: "CHF".into() }
}

fn invoice_order(t: &SbTenant, o: &SbOrder) -> pb::InvoiceOrder {
    let address = pb::Address {
        first_name: "Anna".into(),
        last_name: "Chaos".into(),
        street_number: "5".into(),
        street_line1: "Seestrasse".into(),
        postal_code: "8002".into(),
        city: "Zürich".into(),
        country_code: "CH".into(),
        mobile_number: "+41 79 123 45 67".into(),
        ..Default::default()
    };
    let item = pb::InvoiceItem {
        item_id: "CH-1".into(),
        name: "Waschkarte".into(),
        unit_price: Some(chf(o.amount)),
        vat_code: "8.1%".into(),
        quantity: 1,
        category: "ServicesForIndividuals".into(),
        tax_included: true,
    };
    pb::InvoiceOrder {
        tenant: t.name.clone(),
        order_id: o.order_id.clone(),
        amount: Some(chf(o.amount)),
        email: "anna.chaos@example.ch".into(),
        language: "de_CH".into(),
        customer_id: format!("C-{}", o.order_id),
        billing: Some(address.clone()),
        shipping: Some(address),
        items: vec![item],
        generic_bl_data: String::new(),
    }
}

fn client(svc: &Services) -> Result<SwissBillingServiceClient<crate::grpc::Intercepted>, tonic::Status> {
    let ch = svc.channel(SERVICE).map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    Ok(SwissBillingServiceClient::with_interceptor(ch, svc.auth()))
}

/// Takes one order from the payment page to its maintenance; every step is retried with the
/// same keys until `limit`.
pub async fn run_order(
    t: &SbTenant,
    o: &mut SbOrder,
    sb: &SandboxClient,
    svc: &Services,
    limit: Duration,
) -> anyhow::Result<()> {
    let urls = pb::ReturnUrls {
        accept_url: "https://shop.example/accept".into(),
        decline_url: "https://shop.example/decline".into(),
        exception_url: String::new(),
        cancel_url: "https://shop.example/cancel".into(),
    };
    let req = pb::PreparePaymentPageRequest { order: Some(invoice_order(t, o)), urls: Some(urls) };
    let form = retry("PreparePaymentPage", limit, || async { client(svc)?.prepare_payment_page(req.clone()).await })
        .await?
        .into_inner();
    let fields: Vec<(String, String)> = form.parameters.iter().map(|p| (p.name.clone(), p.value.clone())).collect();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
    let started = Instant::now();
    loop {
        match http.post(&form.action_url).form(&fields).send().await {
            Ok(r) if r.status().is_success() => break,
            _ if started.elapsed() < limit => tokio::time::sleep(Duration::from_millis(200)).await,
            Ok(r) => anyhow::bail!("{}: payment page answered {}", o.order_id, r.status()),
            Err(e) => anyhow::bail!("{}: payment page: {e}", o.order_id),
        }
    }
    let customer =
        PfCustomer { env: t.env, pspid: t.pspid.clone(), orderid: o.order_id.clone(), action: Action::Accept };
    let outcome = sb.postfinance_customer(&customer).await?;
    if !o.return_lost {
        let params: Vec<pb::FormParameter> =
            outcome.params.into_iter().map(|(name, value)| pb::FormParameter { name, value }).collect();
        let verify = pb::VerifyReturnRequest { tenant: t.name.clone(), parameters: params };
        retry("VerifyReturn", limit, || async { client(svc)?.verify_return(verify.clone()).await }).await?;
    }
    // Authorised at PostFinance either way; without a return invoice-checks learns of it from
    // the post-sale request or asks by ORDERID when the order is maintained.
    o.authorised = true;
    maintain(o, svc, limit).await
}

/// Sends the order's one maintenance request (capture or deletion) under its request id until
/// it is accepted (or found applied), a refusal comes back, or `limit` passes. The settle phase
/// calls it again for orders whose workload step gave up.
pub async fn maintain(o: &mut SbOrder, svc: &Services, limit: Duration) -> anyhow::Result<()> {
    let op = if o.capture { Op::CaptureLast } else { Op::DeleteLast };
    let m = pb::MaintainRequest {
        order_id: o.order_id.clone(),
        request_id: format!("chaos-{}", o.order_id),
        operation: op as i32,
        amount: None,
    };
    let mut c = client(svc).map_err(|s| anyhow::anyhow!("{}", s.message()))?;
    let started = Instant::now();
    while started.elapsed() < limit {
        match c.maintain(m.clone()).await {
            Ok(r) => {
                let outcome = r.into_inner().outcome();
                if matches!(outcome, pb::MaintenanceOutcome::Accepted | pb::MaintenanceOutcome::AlreadyApplied) {
                    o.maintained = true;
                    return Ok(());
                }
            }
            // IN_FLIGHT: an earlier attempt's outcome is still unknown; the resolver asks.
            Err(s) if transient(&s) || s.code() == Code::FailedPrecondition && s.message().contains("IN_FLIGHT") => {}
            Err(s) if s.code() == Code::FailedPrecondition => {
                anyhow::bail!("{}: maintenance refused: {}", o.order_id, s.message())
            }
            Err(s) => anyhow::bail!("{}: maintenance: {} {}", o.order_id, s.code(), s.message()),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("{}: maintenance not settled within {limit:?}", o.order_id)
}

/// How the orders whose browser return was lost reached invoice-checks: by a look-up by ORDERID
/// (a signed `querydirect.asp` naming the order) or else by the post-sale request.
pub async fn lost_return_note(orders: &[SbOrder], sb: &SandboxClient) -> anyhow::Result<String> {
    let log = sb.requests(Some(sandbox::System::Postfinance)).await?;
    let lost: Vec<&SbOrder> = orders.iter().filter(|o| o.return_lost).collect();
    let asked = lost
        .iter()
        .filter(|o| {
            log.iter()
                .any(|r| r.path.ends_with("querydirect.asp") && r.body.contains(&format!("ORDERID={}", o.order_id)))
        })
        .count();
    Ok(format!(
        "SwissBilling lost browser returns: {} orders, {asked} found by ORDERID, {} through the post-sale request",
        lost.len(),
        lost.len() - asked
    ))
}

/// Checks every order against the sandbox's PostFinance history.
pub async fn check(
    t: &SbTenant,
    orders: &[SbOrder],
    sb: &SandboxClient,
    out: &mut [Invariant; 3],
) -> anyhow::Result<()> {
    let [twice, amounts, finished] = out;
    let all = sb.postfinance_transactions(t.env).await?;
    for o in orders {
        let txs: Vec<_> = all.iter().filter(|x| x.pspid == t.pspid && x.orderid == o.order_id).collect();
        let id = &o.order_id;
        twice.check(txs.len() <= 1, || {
            format!("SwissBilling {id}: {} PostFinance transactions (paid twice)", txs.len())
        });
        // Pending or final, not refused or uncertain.
        let live = |s: u16| matches!(s, 91 | 9 | 81 | 8 | 61 | 6);
        let levels: Vec<_> = txs.iter().flat_map(|x| x.history.iter()).filter(|h| live(h.status)).collect();
        let captures: Vec<i64> = levels.iter().filter(|h| h.kind == Kind::Capture).map(|h| h.amount).collect();
        let deletions = levels.iter().filter(|h| h.kind == Kind::Deletion).count();
        twice.check(captures.len() <= 1, || format!("SwissBilling {id}: {} captures {captures:?}", captures.len()));
        twice.check(deletions <= 1, || format!("SwissBilling {id}: {deletions} deletions"));
        let want: Vec<i64> = if o.capture && o.authorised { vec![o.amount] } else { vec![] };
        amounts.check(captures == want, || format!("SwissBilling {id}: captured {captures:?}, ordered {want:?}"));
        let done = o.maintained && (o.capture || deletions == 1);
        finished.check(done, || format!("SwissBilling {id}: authorised {} maintained {}", o.authorised, o.maintained));
    }
    Ok(())
}
