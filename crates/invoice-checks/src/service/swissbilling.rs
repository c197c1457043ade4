//! SwissBilling use cases around the payment page: pre-check (IC-01 … IC-07), preparing the
//! signed form (IC-08), verifying the customer's return and recording the transaction, and
//! reading a transaction. Maintenance lives in `sb_maintenance.rs`.

use kit::bus::Outbox;
use kit::clock::SharedClock;
use kit::grpc::status::Violations;
use kit::journal::Journal;
use kit::money::Currency;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::bus;
use crate::domain::swissbilling::{self, Kind, Level, OrderInput, Phase, Status, Transaction, Violation};
use crate::error::Error;
use crate::postfinance::PostFinance;
use crate::postfinance::hosted::{self, ReturnData, ReturnError, ReturnUrls};
use crate::postfinance::tenant::{Tenant, Tenants};
use crate::store::sb_maintenance::{self, Attempt};
use crate::store::sb_orders::{self, PreparedOrder};
use crate::store::sb_transactions::{self, LevelRow};
use crate::store::security::{self, SecurityEvent};

/// A transaction with its level times and maintenance attempts (for reading).
#[derive(Debug, Clone)]
pub struct TxView {
    /// The transaction.
    pub tx: Transaction,
    /// Its levels with times.
    pub levels: Vec<LevelRow>,
    /// Its maintenance requests.
    pub attempts: Vec<Attempt>,
}

/// Where signed feedback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feedback {
    /// The customer's browser, redirected to ACCEPTURL and the like.
    Return,
    /// PostFinance's server-to-server post-sale request.
    Notification,
}

impl Feedback {
    fn operation(self) -> &'static str {
        match self {
            Feedback::Return => "return",
            Feedback::Notification => "notification",
        }
    }
}

/// The signed payment-page form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageForm {
    /// Form action.
    pub action_url: String,
    /// Fields, `SHASIGN` last.
    pub params: Vec<(String, String)>,
}

/// The SwissBilling use cases.
#[derive(Clone)]
pub struct SwissBilling {
    pub(crate) pool: PgPool,
    pub(crate) outbox: Outbox,
    pub(crate) journal: Journal,
    pub(crate) client: PostFinance,
    pub(crate) tenants: Tenants,
    pub(crate) clock: SharedClock,
    /// When the background passes act.
    pub(crate) timing: Timing,
}

/// When the background passes act on an order.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Unknown maintenance outcomes are probed once they are this old (resolver).
    pub resolve_after: std::time::Duration,
    /// A maintenance outcome still unknown after this goes to a person (attention event).
    pub escalate_after: std::time::Duration,
    /// A prepared order without return or post-sale request is looked up by ORDERID once it is
    /// this old, then with doubling intervals …
    pub discover_after: std::time::Duration,
    /// … for this long after it was prepared.
    pub discover_for: std::time::Duration,
}

impl SwissBilling {
    /// The use cases on these parts.
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        journal: Journal,
        client: PostFinance,
        tenants: Tenants,
        clock: SharedClock,
        timing: Timing,
    ) -> Self {
        SwissBilling { pool, outbox, journal, client, tenants, clock, timing }
    }

    /// The pre-check: every violation, including an unknown tenant.
    pub fn check(
        &self,
        input: &OrderInput,
    ) -> Result<(swissbilling::CheckedOrder, std::sync::Arc<Tenant>), Vec<Violation>> {
        let tenant = self.tenants.get(input.tenant.trim());
        let mut result = swissbilling::check(input, tenant.as_ref().is_some_and(|t| t.b2b));
        if tenant.is_none() && !input.tenant.trim().is_empty() {
            let v = Violation {
                field: "order.tenant".into(),
                reason: format!("unknown tenant {:?}", input.tenant),
                rule: "",
                parameter: "PSPID".into(),
            };
            match &mut result {
                Ok(_) => result = Err(vec![v]),
                Err(list) => list.insert(0, v),
            }
        }
        match (result, tenant) {
            (Ok(order), Some(tenant)) => Ok((order, tenant)),
            (Err(v), _) => Err(v),
            (Ok(_), None) => Err(vec![]),
        }
    }

    /// Checks the order and returns the signed form for the tenant's payment page (IC-08).
    pub async fn prepare(&self, input: &OrderInput, urls: &ReturnUrls) -> Result<PageForm, Error> {
        let mut v = Violations::new();
        let checked = match self.check(input) {
            Ok(c) => Some(c),
            Err(list) => {
                for x in list {
                    let rule = if x.rule.is_empty() { String::new() } else { format!("{}: ", x.rule) };
                    v.add(x.field, format!("{rule}{}", x.reason));
                }
                None
            }
        };
        check_url(&mut v, "urls.accept_url", &urls.accept, true);
        check_url(&mut v, "urls.decline_url", &urls.decline, false);
        check_url(&mut v, "urls.exception_url", &urls.exception, false);
        check_url(&mut v, "urls.cancel_url", &urls.cancel, false);
        let (order, tenant) = match checked {
            Some(c) if v.is_empty() => c,
            _ => return Err(Error::Invalid(v)),
        };
        let form = hosted::form(&order, &tenant, urls);
        let digest = hex::encode(Sha256::digest(form.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>()));
        let prepared = PreparedOrder {
            order_id: order.order_id.to_string(),
            tenant: tenant.name.clone(),
            env: tenant.env.as_str().to_owned(),
            amount: order.amount.minor(),
            currency: order.amount.currency().to_string(),
            item_count: i32::try_from(order.items.len()).unwrap_or(i32::MAX),
            digest,
        };
        let now = self.clock.now();
        let mut db = self.pool.begin().await?;
        let (stored, inserted) = sb_orders::insert_or_get(&mut db, &prepared, now).await?;
        if stored != prepared {
            return Err(Error::Conflict(format!("order {} was prepared before with other content", order.order_id)));
        }
        if inserted {
            let msg = proto::payops::invoice_checks::v1::SwissBillingPagePrepared {
                tenant: tenant.name.clone(),
                environment: crate::grpc::convert::environment(tenant.env) as i32,
                amount: Some(crate::grpc::convert::money(order.amount)),
                item_count: prepared.item_count,
            };
            let summary = format!("SwissBilling payment page prepared: CHF {}", order.amount.amount_str());
            self.outbox
                .add(&mut db, kit::bus::NewEvent::new(order.order_id.clone(), bus::PAGE_PREPARED, &msg, summary)?)
                .await?;
        }
        db.commit().await?;
        Ok(PageForm { action_url: self.client.page_url(&tenant), params: hosted::signed_form(&order, &tenant, urls) })
    }

    /// Verifies the customer's signed return and records the transaction. Returns the
    /// transaction and whether this return was new.
    pub async fn verify_return(&self, tenant_name: &str, params: &[(String, String)]) -> Result<(TxView, bool), Error> {
        self.feedback(tenant_name, params, Feedback::Return).await
    }

    /// Verifies a signed post-sale request (PostFinance's server-to-server notification of the
    /// same parameters) and records the transaction as the return would.
    pub async fn notification(&self, tenant_name: &str, params: &[(String, String)]) -> Result<(TxView, bool), Error> {
        self.feedback(tenant_name, params, Feedback::Notification).await
    }

    async fn feedback(
        &self,
        tenant_name: &str,
        params: &[(String, String)],
        source: Feedback,
    ) -> Result<(TxView, bool), Error> {
        let tenant = self.tenants.get(tenant_name).ok_or_else(|| Error::NotFound(format!("tenant {tenant_name:?}")))?;
        let order_hint: String = params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("ORDERID"))
            .map(|(_, v)| v.chars().take(64).collect())
            .unwrap_or_default();
        let data = match hosted::verify_feedback(&tenant, params, source.operation()) {
            Ok(d) => d,
            Err(ReturnError::BadSignature(why)) => {
                self.security("sha_out_mismatch", &tenant.name, &order_hint, why).await;
                return Err(Error::invalid("parameters.SHASIGN", why));
            }
            Err(ReturnError::Contract(e)) => {
                return Err(Error::invalid(&format!("parameters.{}", e.field), e.to_string()));
            }
        };
        self.record_authorisation(&tenant, &data, source.operation(), &order_hint).await
    }

    /// Records what PostFinance says about an order (its return, its post-sale request, or a
    /// query by ORDERID): the transaction and its order level, checked against the prepared
    /// order. Returns the transaction and whether it changed.
    pub(crate) async fn record_authorisation(
        &self,
        tenant: &Tenant,
        data: &ReturnData,
        cause: &str,
        order_hint: &str,
    ) -> Result<(TxView, bool), Error> {
        let mut db = self.pool.begin().await?;
        let Some(prepared) =
            sb_orders::get_for_update(&mut db, &data.order_id).await?.filter(|p| p.tenant == tenant.name)
        else {
            drop(db);
            self.security(
                "return_for_unknown_order",
                &tenant.name,
                order_hint,
                "signed return for an order not prepared here",
            )
            .await;
            return Err(Error::refused(
                "ORDER_NOT_PREPARED",
                format!("order {} was not prepared by this service", data.order_id),
            ));
        };
        let swissbilling =
            data.pm.eq_ignore_ascii_case("SwissBilling") || data.brand.eq_ignore_ascii_case("SwissBilling");
        if data.amount.minor() != prepared.amount
            || data.amount.currency().as_str() != prepared.currency
            || !swissbilling
        {
            drop(db);
            self.security(
                "return_mismatch",
                &tenant.name,
                &prepared.order_id,
                "amount, currency or payment method differ from the prepared order",
            )
            .await;
            return Err(Error::refused("RETURN_MISMATCH", "the return does not match the prepared order"));
        }
        let now = self.clock.now();
        let level = Level {
            payidsub: 0,
            kind: Kind::Order,
            operation: "RES".into(),
            amount: data.amount.minor(),
            status: Status::of(data.status),
        };
        let order_id = kit::OrderId::parse(prepared.order_id.clone())
            .map_err(|e| Error::invalid("parameters.orderID", e.to_string()))?;
        let (tx, first_time) = match sb_transactions::load(&mut db, &prepared.order_id, true).await? {
            None => {
                let tx = Transaction {
                    order_id,
                    tenant: tenant.name.clone(),
                    env: tenant.env,
                    payid: data.payid,
                    payment_method: if data.pm.is_empty() { data.brand.clone() } else { data.pm.clone() },
                    currency: Currency::parse(&prepared.currency).unwrap_or(Currency::CHF),
                    levels: vec![level.clone()],
                    in_flight: vec![],
                };
                sb_transactions::insert(&mut db, &tx, now).await?;
                sb_transactions::upsert_level(&mut db, tx.order_id.as_str(), &level, now).await?;
                self.outbox.add(&mut db, bus::level_changed(&tx, &level, cause)?).await?;
                (tx, true)
            }
            Some(mut tx) if tx.payid == data.payid => {
                let changed = tx.record(level.clone()).is_some();
                if changed {
                    sb_transactions::upsert_level(&mut db, tx.order_id.as_str(), &level, now).await?;
                    sb_transactions::save(&mut db, &tx, now).await?;
                    self.outbox.add(&mut db, bus::level_changed(&tx, &level, cause)?).await?;
                }
                (tx, changed)
            }
            Some(mut tx) => {
                let earlier = tx.order_level().map(|l| l.status.phase);
                if !matches!(earlier, Some(Phase::Refused | Phase::Cancelled)) || tx.levels.len() > 1 {
                    drop(db);
                    self.security(
                        "return_conflict",
                        &tenant.name,
                        &prepared.order_id,
                        "a second PAYID for an order that is already paid",
                    )
                    .await;
                    return Err(Error::refused(
                        "DUPLICATE_PAYMENT",
                        "the order already has a live PostFinance transaction",
                    ));
                }
                // The first attempt failed; the customer paid again with the same ORDERID.
                tx.payid = data.payid;
                tx.record(level.clone());
                sb_transactions::save(&mut db, &tx, now).await?;
                sb_transactions::upsert_level(&mut db, tx.order_id.as_str(), &level, now).await?;
                self.outbox.add(&mut db, bus::level_changed(&tx, &level, cause)?).await?;
                (tx, true)
            }
        };
        db.commit().await?;
        Ok((self.view(tx.order_id.as_str()).await?, first_time))
    }

    /// The transaction of `order_id` with levels and attempts.
    pub async fn view(&self, order_id: &str) -> Result<TxView, Error> {
        let mut conn = self.pool.acquire().await?;
        let tx = sb_transactions::load(&mut conn, order_id, false)
            .await?
            .ok_or_else(|| Error::NotFound(format!("transaction {order_id}")))?;
        let levels = sb_transactions::levels(&mut conn, order_id).await?;
        let attempts = sb_maintenance::of_order(&mut conn, order_id).await?;
        Ok(TxView { tx, levels, attempts })
    }

    /// The preflight of `tenant_name`'s PostFinance account (CT-06).
    pub async fn preflight(&self, tenant_name: &str) -> Result<kit::preflight::Report, Error> {
        let tenant = self.tenants.get(tenant_name).ok_or_else(|| Error::NotFound(format!("tenant {tenant_name:?}")))?;
        Ok(crate::postfinance::preflight::run(&self.client, &tenant).await)
    }

    pub(crate) async fn security(&self, kind: &'static str, tenant: &str, order_id: &str, detail: &str) {
        let e = SecurityEvent { kind, tenant, order_id, actor: "", detail };
        security::record(&self.pool, &e, self.clock.now()).await;
    }
}

/// A return URL: https (http only for localhost), at most 200 characters (ACCEPTURL AN 200).
fn check_url(v: &mut Violations, field: &str, url: &str, mandatory: bool) {
    if url.is_empty() {
        if mandatory {
            v.add(field, "is mandatory");
        }
        return;
    }
    let parsed = reqwest::Url::parse(url);
    let ok = match &parsed {
        Ok(u) => {
            u.scheme() == "https" || (u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1")))
        }
        Err(_) => false,
    };
    if !ok {
        v.add(field, "must be an https:// URL");
    } else if url.chars().count() > 200 {
        v.add(field, "must be at most 200 characters");
    }
}
