//! The pixi channel: a pixi installation and an unzer merchant in the sandbox, a pixi-sync tenant
//! in expert mode configured over gRPC, and orders the shop imports with an unzer payment. The
//! suite then acts as the warehouse and customer service (ship, return, cancel) while pixi-sync
//! syncs every step to unzer. At the end each order is checked against the sandbox's records:
//! one charge per invoice and the charges add up to what pixi invoiced, one refund per credit
//! note, at most one cancel, one booking per document, no unzer transaction made twice under
//! one idempotency key. Transfer and invoice types (prepayment paid in a partial and a second
//! transfer, prepayment cancelled after a partial transfer, invoice secured, plain invoice,
//! SEPA secured) are in `pixi_transfers.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::dashboard_service_client::DashboardServiceClient;
use proto::payops::pixi_sync::v1::payment_config_service_client::PaymentConfigServiceClient;
use proto::payops::pixi_sync::v1::tenant_service_client::TenantServiceClient;
use rand::Rng;
use rand::rngs::StdRng;
use sandbox::pixi::{Address, Cancel, CreditNoteRequest, DocKind, OrderStatus, SeedLine, SeedOrder, Ship, UserOptions};
use sandbox::unzer::{NewMerchant, PayKind, SeedOutcome, SeedPayment, TxnStatus, TxnType};
use sandbox::{SandboxClient, System};

use crate::grpc::{Services, retry};
use crate::report::Invariant;

/// The pixi installation's user.
pub const USER: &str = "chaos-shop";
const PASSWORD: &str = "chaos-pass-1";
const METHOD: &str = "UNZERCC";
const SERVICE: &str = "pixi-sync";

/// What the suite does with an order after the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Ship everything: one invoice, charged once.
    Ship,
    /// Ship everything, then return the first line: one charge, one refund.
    ShipAndReturn,
    /// Cancel every line before shipping: the authorisation is cancelled, nothing charged.
    Cancel,
    /// The payment was refused at checkout: released with a shipping lock, an incident.
    Declined,
    /// Prepayment paid in two transfers, the first partial: the lock stays until the second.
    Prepay,
    /// Prepayment cancelled after a partial transfer: owed part reversed, transfer refunded.
    PrepayCancel,
    /// Invoice secured: each invoice reported as a shipment.
    SecuredInvoice,
    /// Plain invoice: never shipped at unzer, balanced once the buyer paid.
    PlainInvoice,
    /// SEPA direct debit secured: never shipped at unzer, balanced at once.
    SecuredDebit,
}

impl Plan {
    /// A transfer or invoice plan (`pixi_transfers.rs`).
    pub fn transfer(self) -> bool {
        matches!(
            self,
            Plan::Prepay | Plan::PrepayCancel | Plan::SecuredInvoice | Plan::PlainInvoice | Plan::SecuredDebit
        )
    }
}

/// One order and where the suite is with it.
#[derive(Debug, Clone)]
pub struct Order {
    /// pixi order number.
    pub nr: i64,
    /// unzer payment id.
    pub pay_id: String,
    /// What happens to it.
    pub plan: Plan,
    /// The suite's last step is done (it only waits for pixi-sync from here).
    pub acted: bool,
    /// Shipped (for the return plan: the credit note follows once the invoice is captured).
    pub shipped: bool,
    /// Order total (minor units).
    pub total: i64,
    /// Transfer plans: the first transfer's amount.
    pub partial: i64,
    /// Transfer plans: how far the buyer got (0 nothing paid, 1 first transfer, 2 the rest).
    pub stage: u8,
    /// The order was seen released without a lock while only part of the money had arrived.
    pub unlocked_early: bool,
}

/// The installation, the merchant and the tenant.
pub struct Pixi {
    private_key: String,
    tenant_id: String,
    api_id: String,
    /// Orders by number.
    pub orders: Vec<Order>,
}

fn noon_zone() -> String {
    // A fixed-offset zone where it is about noon now, so the nightly quiet window (PX-22) stays
    // hours away whatever time the suite runs.
    let hour = i64::from(chrono::Timelike::hour(&chrono::Utc::now()));
    let off = 12 - hour;
    match off {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

impl Pixi {
    /// Creates the installation, the merchant and the pixi-sync tenant with an expert-mode
    /// card configuration.
    pub async fn setup(sb: &SandboxClient, svc: &Services) -> anyhow::Result<Pixi> {
        // pixi-sync's first change-feed cursor is in the installation's local time: both sides
        // must use the same zone.
        let zone = noon_zone();
        sb.pixi_user(USER, PASSWORD).await?;
        let options =
            UserOptions { enforce_quiet_window: Some(false), timezone: Some(zone.clone()), ..UserOptions::default() };
        sb.pixi_update_user(USER, &options).await?;
        let merchant = sb.unzer_create_merchant(&NewMerchant::default()).await?;
        let limit = Duration::from_secs(60);
        let tenants = TenantServiceClient::with_interceptor(svc.channel(SERVICE)?, svc.auth());
        let created = retry("CreateTenant", limit, || {
            let mut c = tenants.clone();
            async move { c.create_tenant(pb::CreateTenantRequest { name: "Chaos GmbH".into() }).await }
        })
        .await?
        .into_inner();
        let tenant_id = created.tenant.map(|t| t.tenant_id).unwrap_or_default();
        let pixi_url = sb.urls().await?.get(&System::Pixi).cloned().unwrap_or_default();
        let api_req = pb::SavePixiApiConfigRequest {
            tenant_id: tenant_id.clone(),
            pixi_api_config_id: String::new(),
            name: "live".into(),
            endpoint: format!("{pixi_url}/soap/{USER}/"),
            user: USER.into(),
            password: PASSWORD.into(),
            active: true,
            timezone: zone,
        };
        let api = retry("SavePixiApiConfig", limit, || {
            let (mut c, r) = (tenants.clone(), api_req.clone());
            async move { c.save_pixi_api_config(r).await }
        })
        .await?
        .into_inner()
        .config
        .map(|c| c.pixi_api_config_id)
        .unwrap_or_default();
        let configs = PaymentConfigServiceClient::with_interceptor(svc.channel(SERVICE)?, svc.auth());
        for method in [METHOD, "VORKASSE", "UNZERINV", "UNZERDD"] {
            let cfg = pb::SavePaymentConfigRequest {
                payment_config_id: String::new(),
                tenant_id: tenant_id.clone(),
                pixi_api_config_id: api.clone(),
                mandant: "DEM".into(),
                payment_method: method.into(),
                active: true,
                invoice_booking_event: "UZE".into(),
                return_booking_event: "UZR".into(),
                xml_tag: format!("TAG{method}"),
                rounding_tolerance_minor: 0,
                unzer_public_key: merchant.public_key.clone(),
                unzer_private_key: merchant.private_key.clone(),
                mode: pb::Mode::Expert as i32,
                copy_from_payment_config_id: String::new(),
            };
            retry("SavePaymentConfig", limit, || {
                let (mut c, r) = (configs.clone(), cfg.clone());
                async move { c.save_payment_config(r).await }
            })
            .await?;
        }
        Ok(Pixi { private_key: merchant.private_key, tenant_id, api_id: api, orders: Vec::new() })
    }

    /// The shop takes one order: a checkout at unzer and the import into pixi (HOLD).
    pub async fn import(&mut self, sb: &SandboxClient, rng: &mut StdRng) -> anyhow::Result<()> {
        // The first orders cover every transfer plan, so the short run has each of them.
        const FIRST: [Plan; 5] =
            [Plan::Prepay, Plan::PrepayCancel, Plan::SecuredInvoice, Plan::PlainInvoice, Plan::SecuredDebit];
        let plan = match (FIRST.get(self.orders.len()), rng.random_range(0..100)) {
            (Some(p), _) => *p,
            (None, 0..45) => Plan::Ship,
            (None, 45..57) => Plan::ShipAndReturn,
            (None, 57..69) => Plan::Cancel,
            (None, 69..75) => Plan::Declined,
            (None, 75..85) => Plan::Prepay,
            (None, 85..90) => Plan::PrepayCancel,
            (None, 90..95) => Plan::SecuredInvoice,
            (None, 95..98) => Plan::PlainInvoice,
            (None, _) => Plan::SecuredDebit,
        };
        // A single-line order's return refunds the whole charge (the case that found the
        // pixi-sync bug fixed in c2660ac).
        let lines: Vec<i64> = (0..rng.random_range(1..=3)).map(|_| rng.random_range(5..=400) * 50).collect();
        let (method, kind, outcome) = match plan {
            p if p.transfer() => crate::pixi_transfers::checkout(p),
            Plan::Declined => (METHOD, PayKind::Card, SeedOutcome::Failed),
            _ => (METHOD, PayKind::Card, SeedOutcome::Authorized),
        };
        let total: i64 = lines.iter().sum();
        let pay = sb
            .unzer_seed_payment(&SeedPayment {
                private_key: self.private_key.clone(),
                kind,
                amount_minor: total,
                currency: "EUR".into(),
                order_id: String::new(),
                invoice_id: String::new(),
                payment_reference: String::new(),
                outcome,
                charged_minor: None,
                at: None,
            })
            .await?;
        let order = sb.pixi_seed_order(USER, &seed(method, Some(pay.id.clone()), &lines)).await?;
        let acted = plan == Plan::Declined;
        // A first transfer of about 40 %, in whole units.
        let partial = (total * 2 / 500).max(1) * 100;
        self.orders.push(Order {
            nr: order.order_nr,
            pay_id: pay.id,
            plan,
            acted,
            shipped: false,
            total,
            partial,
            stage: 0,
            unlocked_early: false,
        });
        Ok(())
    }

    /// One round of the warehouse and customer service: ships released orders, returns a line
    /// of captured ones, cancels others. Returns how many orders still wait for a step.
    pub async fn act(&mut self, sb: &SandboxClient) -> anyhow::Result<usize> {
        let summary: BTreeMap<i64, (OrderStatus, bool)> =
            sb.pixi_orders(USER).await?.into_iter().map(|o| (o.order_nr, (o.status, o.locked))).collect();
        let mut waiting = 0;
        for o in self.orders.iter_mut().filter(|o| !o.acted) {
            let Some(&(status, locked)) = summary.get(&o.nr) else { continue };
            let released = status == OrderStatus::Open && !locked;
            if o.plan.transfer() {
                crate::pixi_transfers::act(sb, o, status, locked).await?;
                waiting += usize::from(!o.acted);
                continue;
            }
            match o.plan {
                Plan::Ship | Plan::ShipAndReturn if !o.shipped && released => {
                    sb.pixi_ship(USER, o.nr, &Ship::default()).await?;
                    o.shipped = true;
                    o.acted = o.plan == Plan::Ship;
                }
                Plan::ShipAndReturn if o.shipped => {
                    let view = sb.pixi_order(USER, o.nr).await?;
                    let captured = view.documents.iter().any(|d| d.kind == DocKind::Invoice && d.captured);
                    if captured && let Some(first) = view.lines.first() {
                        let req = CreditNoteRequest { lines: vec![first.key], ..CreditNoteRequest::default() };
                        sb.pixi_credit_note(USER, o.nr, &req).await?;
                        o.acted = true;
                    }
                }
                Plan::Cancel if released => {
                    sb.pixi_cancel(USER, o.nr, &Cancel::default()).await?;
                    o.acted = true;
                }
                _ => {}
            }
            waiting += usize::from(!o.acted);
        }
        Ok(waiting)
    }

    /// Checks every order against pixi and unzer in the sandbox; `settled` also wants every
    /// document finished (captured, refunded, booked), the others only "never twice".
    pub async fn check(&self, sb: &SandboxClient, out: &mut [Invariant; 4]) -> anyhow::Result<()> {
        // The sandbox answers in parallel; the checks run in order.
        let views: Vec<_> = futures::stream::iter(&self.orders)
            .map(|o| async move {
                Ok::<_, anyhow::Error>((sb.pixi_order(USER, o.nr).await?, sb.unzer_payment(&o.pay_id).await?))
            })
            .buffered(16)
            .try_collect()
            .await?;
        for (o, (view, pay)) in self.orders.iter().zip(views) {
            let ok = |t: &&sandbox::unzer::TxnView| t.status == TxnStatus::Success;
            // Every transaction pixi-sync asks for carries its idempotency key: never two.
            let mut keys = BTreeMap::<&str, usize>::new();
            for t in pay.transactions.iter().filter(|t| !t.payment_reference.is_empty()) {
                *keys.entry(t.payment_reference.as_str()).or_default() += 1;
            }
            for (k, n) in &keys {
                out[0].check(*n == 1, || format!("pixi order {}: unzer transaction {k} made {n} times", o.nr));
            }
            let mut per_doc: BTreeMap<&str, usize> = BTreeMap::new();
            for b in &view.bookings {
                if let Some(doc) = b.match_invoice_nr.as_deref() {
                    *per_doc.entry(doc).or_default() += 1;
                }
            }
            let docs: BTreeSet<&str> = view.documents.iter().map(|d| d.nr.as_str()).collect();
            for d in &docs {
                let n = per_doc.get(d).copied().unwrap_or(0);
                out[2].check(n == 1, || format!("pixi order {}: document {d} booked {n} times", o.nr));
            }
            if o.plan.transfer() {
                crate::pixi_transfers::check(o, &view, &pay, out);
                continue;
            }
            let [twice, amounts, _, finished] = &mut *out;
            let charges: Vec<_> = pay.transactions.iter().filter(|t| t.kind == TxnType::Charge).filter(ok).collect();
            let refunds: Vec<_> =
                pay.transactions.iter().filter(|t| t.kind == TxnType::CancelCharge).filter(ok).collect();
            let cancels: Vec<_> =
                pay.transactions.iter().filter(|t| t.kind == TxnType::CancelAuthorize).filter(ok).collect();
            let invoices: Vec<_> = view.documents.iter().filter(|d| d.kind == DocKind::Invoice).collect();
            let credits: Vec<_> = view.documents.iter().filter(|d| d.kind == DocKind::CreditNote).collect();
            let per_invoice = charges.iter().fold(BTreeMap::<&str, usize>::new(), |mut m, c| {
                *m.entry(c.invoice_id.as_str()).or_default() += 1;
                m
            });
            let nr = o.nr;
            for (inv, n) in &per_invoice {
                twice.check(*n == 1, || format!("pixi order {nr}: invoice {inv:?} charged {n} times at unzer"));
            }
            twice.check(refunds.len() <= credits.len(), || {
                format!("pixi order {nr}: {} refunds for {} credit notes", refunds.len(), credits.len())
            });
            twice.check(cancels.len() <= 1, || format!("pixi order {nr}: {} cancels", cancels.len()));
            let charged: i64 = charges.iter().map(|c| c.amount_minor).sum();
            let invoiced: i64 = invoices.iter().map(|d| d.total_minor).sum();
            let refunded: i64 = refunds.iter().map(|c| c.amount_minor).sum();
            let credited: i64 = credits.iter().map(|d| d.total_minor).sum();
            amounts.check(charged == invoiced, || {
                format!("pixi order {nr} ({:?}): charged {charged} at unzer, invoiced {invoiced} in pixi", o.plan)
            });
            amounts.check(refunded == credited, || {
                format!("pixi order {nr} ({:?}): refunded {refunded} at unzer, credited {credited} in pixi", o.plan)
            });
            let done = match o.plan {
                Plan::Ship | Plan::ShipAndReturn => {
                    o.acted && !invoices.is_empty() && invoices.iter().all(|d| d.captured)
                }
                Plan::Cancel => o.acted && cancels.len() == 1 && charges.is_empty(),
                Plan::Declined => charges.is_empty() && view.status != OrderStatus::Hold,
                // Checked in pixi_transfers.rs above.
                _ => false,
            };
            finished.check(done, || {
                format!(
                    "pixi order {nr} ({:?}) not finished: status {:?}, {} invoices, {} charges",
                    o.plan,
                    view.status,
                    invoices.len(),
                    charges.len()
                )
            });
        }
        Ok(())
    }
}

impl Pixi {
    /// pixi-sync's own view of an order (incidents, movements, the last history entries), for
    /// the report of a violation.
    pub async fn explain(&self, svc: &Services, nr: i64) -> String {
        let req = pb::GetOrderRequest {
            tenant_id: self.tenant_id.clone(),
            pixi_api_config_id: self.api_id.clone(),
            order_nr: nr,
        };
        let Ok(ch) = svc.channel(SERVICE) else { return String::new() };
        match DashboardServiceClient::with_interceptor(ch, svc.auth()).get_order(req).await {
            Ok(r) => {
                let r = r.into_inner();
                let movements: Vec<String> = r
                    .movements
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {} {} {}",
                            m.kind,
                            m.document,
                            m.amount.as_ref().map_or(0, |a| a.amount_minor),
                            m.status
                        )
                    })
                    .collect();
                let incidents: Vec<String> =
                    r.incidents.iter().map(|i| format!("{} {}", i.incident_id, i.title)).collect();
                let history: Vec<String> =
                    r.history.iter().rev().take(6).map(|h| format!("{}: {}", h.action, h.detail)).collect();
                format!("pixi-sync sees movements {movements:?}, incidents {incidents:?}, last history {history:?}")
            }
            Err(e) => format!("pixi-sync GetOrder: {}", e.message()),
        }
    }
}

/// An order as the shop imports it.
fn seed(method: &str, kk_id: Option<String>, lines: &[i64]) -> SeedOrder {
    SeedOrder {
        payment_code: method.into(),
        kk_id,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, p)| SeedLine {
                item_nr: format!("CH-{i}-{p}"),
                name: format!("Artikel {i}"),
                qty: 1,
                price_minor: *p,
                ean: None,
            })
            .collect(),
        ship_cost_minor: 0,
        billing: Address {
            first_name: "Chaos".into(),
            last_name: "Monkey".into(),
            street: "Hauptstr. 1".into(),
            zip: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
            email: "chaos@example.com".into(),
            ..Address::default()
        },
        ..SeedOrder::default()
    }
}
