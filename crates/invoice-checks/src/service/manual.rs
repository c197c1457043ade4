//! Manual-payment use cases (MP-01 … MP-10). Every state change happens in one database
//! transaction under the payment's row lock: decide → apply → write the row, its history and
//! one event per change through the outbox (MP-09). A refused command rolls back and changes
//! nothing (MP-10).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use kit::bus::{NewEvent, Outbox};
use kit::clock::SharedClock;
use kit::grpc::status::Violations;
use kit::money::Currency;
use proto::payops::invoice_checks::v1 as pb;
use sqlx::{PgConnection, PgPool};

use crate::bus;
use crate::domain::manual::{
    self, Adjust, Command, CustomerId, DecideError, Merchant, MerchantId, MerchantInput, Offer, OfferId, OfferInput,
    Payment, State,
};
use crate::error::Error;
use crate::grpc::convert;
use crate::store::mp_config;
use crate::store::mp_payments::{self, Change, Contact};

/// Metric: manual-payment transitions by `to` state and `automatic`.
pub const TRANSITIONS_TOTAL: &str = "payops_invoice_checks_manual_payment_transitions_total";
/// Metric: open payments past their deadline the expiry job could not reject (unreadable row,
/// database error); each is logged with its order id and tried again on the next pass.
pub const EXPIRY_FAILURES_TOTAL: &str = "payops_invoice_checks_manual_expiry_failures_total";

/// A new manual payment.
#[derive(Debug, Clone, Default)]
pub struct OpenRequest {
    /// Idempotency key.
    pub request_id: String,
    /// Offer.
    pub offer_id: String,
    /// CRM customer id.
    pub customer_id: String,
    /// Wanted currency (may be empty).
    pub currency: String,
    /// Payment date text (may be empty = today).
    pub payment_date: String,
    /// Comment.
    pub comment: String,
    /// "customer" or the recording manager.
    pub created_by: String,
    /// Contact data (manager-recorded payments).
    pub contact: Contact,
}

/// The manual-payment use cases.
#[derive(Clone)]
pub struct ManualPayments {
    pool: PgPool,
    outbox: Outbox,
    clock: SharedClock,
    zone: Tz,
}

fn refusal(e: DecideError) -> Error {
    match e {
        DecideError::Refused(r) => Error::Refused(r),
        DecideError::Invalid(v) => Error::Invalid(v),
    }
}

fn comment(v: &mut Violations, field: &str, text: &str) {
    let n = text.chars().count();
    if n > 1000 {
        v.add(field, format!("must be at most 1000 characters, got {n}"));
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        v.add(field, "must not contain control characters");
    }
}

impl ManualPayments {
    /// Use cases on `pool`; "today" is taken in `zone`.
    pub fn new(pool: PgPool, outbox: Outbox, clock: SharedClock, zone: Tz) -> Self {
        ManualPayments { pool, outbox, clock, zone }
    }

    /// Creates or replaces a merchant (MP-01).
    pub async fn save_merchant(&self, input: &MerchantInput) -> Result<Merchant, Error> {
        let m = Merchant::parse(input).map_err(Error::Invalid)?;
        mp_config::save_merchant(&mut *self.pool.acquire().await?, &m, self.clock.now()).await?;
        Ok(m)
    }

    /// The merchant `id`.
    pub async fn merchant(&self, id: &str) -> Result<Merchant, Error> {
        well_formed("merchant_id", id, |s| MerchantId::parse(s).map(|_| ()))?;
        mp_config::merchant(&mut *self.pool.acquire().await?, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("merchant {id}")))
    }

    /// Creates or replaces an offer.
    pub async fn save_offer(&self, input: &OfferInput) -> Result<Offer, Error> {
        let o = Offer::parse(input).map_err(Error::Invalid)?;
        mp_config::save_offer(&mut *self.pool.acquire().await?, &o, self.clock.now()).await?;
        Ok(o)
    }

    /// The offer `id`.
    pub async fn offer(&self, id: &str) -> Result<Offer, Error> {
        well_formed("offer_id", id, |s| OfferId::parse(s).map(|_| ()))?;
        mp_config::offer(&mut *self.pool.acquire().await?, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("offer {id}")))
    }

    /// Opens a manual payment (MP-03, MP-07); idempotent on the request id.
    pub async fn open(&self, r: &OpenRequest) -> Result<(Payment, Vec<Change>), Error> {
        let mut v = Violations::new();
        v.check("request_id", kit::id::RequestId::parse(r.request_id.clone()));
        v.check("customer_id", CustomerId::parse(r.customer_id.clone()));
        if r.offer_id.is_empty() {
            v.add("offer_id", "is mandatory");
        }
        let wanted = match r.currency.as_str() {
            "" => None,
            c if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Currency::parse(c).ok(),
            _ => {
                v.add("currency", "must be an ISO 4217 code such as CHF, or empty");
                None
            }
        };
        let now = self.clock.now();
        let date = if r.payment_date.is_empty() {
            Some(now.with_timezone(&self.zone).date_naive())
        } else {
            let d = convert::date(&r.payment_date);
            if d.is_none() {
                v.add("payment_date", "must be a date YYYY-MM-DD, or empty for today");
            }
            d
        };
        comment(&mut v, "comment", &r.comment);
        let today = now.with_timezone(&self.zone).date_naive();
        if date.is_some_and(|d| d > today) {
            v.add("payment_date", format!("must not be in the future (today is {today})"));
        }
        let Some(payment_date) = date.filter(|_| v.is_empty()) else { return Err(Error::Invalid(v)) };

        let mut db = self.pool.begin().await?;
        if let Some(p) = mp_payments::by_request(&mut db, &r.request_id).await? {
            return self.existing(&mut db, p, r).await;
        }
        let offer = mp_config::offer(&mut db, &r.offer_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("offer {}", r.offer_id)))?;
        let Some(merchant) = mp_config::merchant(&mut db, &offer.payment_system_id).await? else {
            return Err(Error::refused(
                "NOT_A_MANUAL_MERCHANT",
                format!(
                    "offer {} is paid through {}, which is not a manual-payment merchant",
                    offer.id, offer.payment_system_id
                ),
            ));
        };
        let currency = merchant.payment_currency(wanted);
        let price = offer.price_in(currency).ok_or_else(|| {
            Error::refused("NO_PRICE_IN_CURRENCY", format!("offer {} has no price in {currency}", offer.id))
        })?;
        let order_id = kit::OrderId::parse(format!("mp-{}", uuid::Uuid::now_v7().simple()))
            .map_err(|e| Error::invalid("order_id", e.to_string()))?;
        let p = Payment {
            order_id,
            offer_id: offer.id.to_string(),
            merchant_id: merchant.id.to_string(),
            customer_id: r.customer_id.clone(),
            price,
            payment_date,
            customer_comment: r.comment.clone(),
            state: State::Open,
            deadline: offer.deadline(now),
            created_by: r.created_by.clone(),
            manager_comment: String::new(),
            fees: None,
            created_at: now,
        };
        if !mp_payments::insert(&mut db, &p, &r.request_id, &r.contact).await? {
            // Another call with this request id won the race.
            drop(db);
            let mut conn = self.pool.acquire().await?;
            let p = mp_payments::by_request(&mut conn, &r.request_id)
                .await?
                .ok_or_else(|| Error::NotFound(r.request_id.clone()))?;
            return self.existing(&mut conn, p, r).await;
        }
        let change = Change {
            from: String::new(),
            to: State::Open.as_str().into(),
            actor: r.created_by.clone(),
            note: r.comment.clone(),
            at: now,
        };
        mp_payments::add_change(&mut db, p.order_id.as_str(), &change).await?;
        self.outbox.add(&mut db, event(&p, bus::MANUAL_OPENED, None, &r.created_by, false, "")?).await?;
        db.commit().await?;
        metrics::counter!(TRANSITIONS_TOTAL, "to" => "open", "automatic" => "false").increment(1);
        Ok((p, vec![change]))
    }

    async fn existing(
        &self,
        conn: &mut PgConnection,
        p: Payment,
        r: &OpenRequest,
    ) -> Result<(Payment, Vec<Change>), Error> {
        if p.offer_id != r.offer_id || p.customer_id != r.customer_id {
            return Err(Error::refused(
                "REQUEST_ID_REUSED",
                format!("request {} opened another payment", r.request_id),
            ));
        }
        let history = mp_payments::history(conn, p.order_id.as_str()).await?;
        Ok((p, history))
    }

    /// A payment date a manager sets may not be in the future either.
    fn adjusted_date(&self, adjust: &Adjust) -> Result<(), Error> {
        let today = self.today();
        match adjust.payment_date {
            Some(d) if d > today => {
                Err(Error::invalid("adjustments.payment_date", format!("must not be in the future (today is {today})")))
            }
            _ => Ok(()),
        }
    }

    /// A manager approves (MP-04).
    pub async fn approve(&self, order_id: &str, actor: &str, adjust: Adjust) -> Result<(Payment, Vec<Change>), Error> {
        self.adjusted_date(&adjust)?;
        self.transition(order_id, |p, m, now| {
            let merchant = m.ok_or_else(|| {
                DecideError::Refused(crate::domain::Refusal::new(
                    "NOT_A_MANUAL_MERCHANT",
                    "the payment's merchant is gone",
                ))
            })?;
            manual::payment::decide(p, Command::Approve { actor, adjust, merchant, now })
        })
        .await
    }

    /// A manager rejects (MP-04).
    pub async fn reject(&self, order_id: &str, actor: &str, adjust: Adjust) -> Result<(Payment, Vec<Change>), Error> {
        self.adjusted_date(&adjust)?;
        self.transition(order_id, |p, _, _| manual::payment::decide(p, Command::Reject { actor, adjust })).await
    }

    /// A manager refunds (MP-06).
    pub async fn refund(
        &self,
        order_id: &str,
        actor: &str,
        comment: Option<String>,
    ) -> Result<(Payment, Vec<Change>), Error> {
        self.transition(order_id, |p, _, _| manual::payment::decide(p, Command::Refund { actor, comment })).await
    }

    async fn transition<F>(&self, order_id: &str, decide: F) -> Result<(Payment, Vec<Change>), Error>
    where
        F: FnOnce(&Payment, Option<&Merchant>, DateTime<Utc>) -> Result<Vec<manual::Event>, DecideError>,
    {
        well_formed("order_id", order_id, |s| kit::OrderId::parse(s).map(|_| ()))?;
        let now = self.clock.now();
        let mut db = self.pool.begin().await?;
        let p = mp_payments::get(&mut db, order_id, true)
            .await?
            .ok_or_else(|| Error::NotFound(format!("payment {order_id}")))?;
        let merchant = mp_config::merchant(&mut db, &p.merchant_id).await?;
        let events = match decide(&p, merchant.as_ref(), now) {
            Ok(events) => events,
            Err(e) => {
                // Release the row lock before answering: a dropped transaction is rolled back
                // only later, when the pool gets the connection back, and until then the
                // expiry job's SKIP LOCKED would pass the payment over.
                db.rollback().await?;
                return Err(refusal(e));
            }
        };
        let p = self.write(&mut db, p, &events, now).await?;
        let history = mp_payments::history(&mut db, order_id).await?;
        db.commit().await?;
        Ok((p, history))
    }

    /// Applies `events` to `p` and writes row, history and events in `db`.
    async fn write(
        &self,
        db: &mut PgConnection,
        mut p: Payment,
        events: &[manual::Event],
        now: DateTime<Utc>,
    ) -> Result<Payment, Error> {
        for e in events {
            let before = p.state;
            p = manual::payment::apply(p, e);
            let change = Change {
                from: before.as_str().into(),
                to: p.state.as_str().into(),
                actor: e.actor().into(),
                note: e.note().into(),
                at: now,
            };
            mp_payments::add_change(db, p.order_id.as_str(), &change).await?;
            self.outbox.add(db, event(&p, e.event_type(), Some(before), e.actor(), e.automatic(), e.note())?).await?;
            metrics::counter!(TRANSITIONS_TOTAL, "to" => p.state.as_str(), "automatic" => if e.automatic() { "true" } else { "false" })
                .increment(1);
        }
        mp_payments::update(db, &p, now).await?;
        Ok(p)
    }

    /// One pass of the scheduled job (MP-05): rejects open payments whose deadline passed on
    /// the Clock, each in its own transaction, so a payment that cannot be read or written is
    /// logged, counted and left for the next pass (and a person) without stopping the others.
    /// Returns how many were rejected.
    pub async fn expire_once(&self) -> Result<usize, Error> {
        const BATCH: i64 = 100;
        let now = self.clock.now();
        let mut total = 0;
        let mut after: Option<(DateTime<Utc>, String)> = None;
        loop {
            let due = mp_payments::due_ids(&self.pool, now, after.as_ref(), BATCH).await?;
            for (_, order_id) in &due {
                match self.expire(order_id, now).await {
                    Ok(true) => total += 1,
                    Ok(false) => {}
                    Err(e) => {
                        metrics::counter!(EXPIRY_FAILURES_TOTAL).increment(1);
                        tracing::error!(order_id, error = %e, "manual payment past its deadline could not be rejected");
                    }
                }
            }
            if i64::try_from(due.len()).unwrap_or(0) < BATCH {
                return Ok(total);
            }
            after = due.last().cloned();
        }
    }

    /// Rejects one payment past its deadline; `false` when another worker holds it or it is no
    /// longer open and due.
    async fn expire(&self, order_id: &str, now: DateTime<Utc>) -> Result<bool, Error> {
        let mut db = self.pool.begin().await?;
        let Some(p) = mp_payments::get_skip_locked(&mut db, order_id).await? else { return Ok(false) };
        let Ok(events) = manual::payment::decide(&p, Command::Expire { now }) else { return Ok(false) };
        self.write(&mut db, p, &events, now).await?;
        db.commit().await?;
        Ok(true)
    }

    /// Offers a manual payment can be recorded for (paid through a manual-payment merchant), by
    /// id, after `after`.
    pub async fn manual_offers(
        &self,
        after: &str,
        limit: i64,
        merchants: Option<&[String]>,
    ) -> Result<Vec<Offer>, Error> {
        if !after.is_empty() {
            well_formed("page.page_token", after, |s| OfferId::parse(s).map(|_| ()))?;
        }
        Ok(mp_config::manual_offers(&mut *self.pool.acquire().await?, after, limit, merchants).await?)
    }

    /// The contact data a manager entered for these payments (personal data: callers check the
    /// role before asking).
    pub async fn contacts(&self, order_ids: &[String]) -> Result<std::collections::BTreeMap<String, Contact>, Error> {
        Ok(mp_payments::contacts(&mut *self.pool.acquire().await?, order_ids).await?)
    }

    /// A payment with its history.
    pub async fn get(&self, order_id: &str) -> Result<(Payment, Vec<Change>), Error> {
        well_formed("order_id", order_id, |s| kit::OrderId::parse(s).map(|_| ()))?;
        let mut conn = self.pool.acquire().await?;
        let p = mp_payments::get(&mut conn, order_id, false)
            .await?
            .ok_or_else(|| Error::NotFound(format!("payment {order_id}")))?;
        let h = mp_payments::history(&mut conn, order_id).await?;
        Ok((p, h))
    }

    /// One page of payments (of one customer, when given; of these merchants, when given).
    pub async fn list(
        &self,
        state: Option<State>,
        customer: Option<&str>,
        after: Option<(DateTime<Utc>, String)>,
        limit: i64,
        merchants: Option<&[String]>,
    ) -> Result<Vec<Payment>, Error> {
        Ok(mp_payments::list(&self.pool, state, customer, after, limit, merchants).await?)
    }

    /// Today in the configured zone.
    pub fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.zone).date_naive()
    }
}

fn event(
    p: &Payment,
    event_type: &str,
    previous: Option<State>,
    actor: &str,
    automatic: bool,
    note: &str,
) -> Result<NewEvent, kit::bus::EventError> {
    let msg = pb::ManualPaymentChanged {
        payment: Some(convert::payment(p, &[])),
        previous_state: previous.map_or(pb::ManualPaymentState::Unspecified, convert::state) as i32,
        actor: actor.to_owned(),
        automatic,
        note: note.to_owned(),
    };
    let summary = format!(
        "manual payment {} ({} {}){}",
        p.state.as_str(),
        p.price.currency(),
        p.price.amount_str(),
        if automatic { ", automatically after the deadline" } else { "" }
    );
    NewEvent::new(p.order_id.clone(), event_type, &msg, summary)
}

/// SE-07: an id is checked for its form before it reaches the database (a NUL or an oversized
/// value would otherwise come back as a database error, INTERNAL), and refused naming `field`.
fn well_formed(field: &str, value: &str, parse: impl Fn(&str) -> Result<(), kit::IdError>) -> Result<(), Error> {
    parse(value).map_err(|e| Error::invalid(field, e.to_string()))
}
