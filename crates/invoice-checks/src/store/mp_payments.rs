//! `mp_payments` and `mp_history`: manual payments and every state change. Changes happen under
//! a row lock (`FOR UPDATE`), so a manager's approval and the automatic rejection at the
//! deadline cannot both win; the due-payments query skips rows another replica is working on.

use chrono::{DateTime, NaiveDate, Utc};
use kit::money::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};

use crate::domain::manual::{Fees, Payment, State};

/// A history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Who.
    pub actor: String,
    /// Comment or reason.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Contact data of a payment a manager recorded (personal data: stored, never published).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    /// E-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
}

#[derive(Serialize, Deserialize)]
struct FeesJson {
    gross: i64,
    commission: i64,
    fixed_fee: i64,
    net: i64,
    currency: String,
    commission_percent: String,
    rates: Vec<(String, String)>,
}

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("mp_payments: stored {what} is unreadable").into())
}

fn fees_json(f: &Fees) -> FeesJson {
    FeesJson {
        gross: f.gross.minor(),
        commission: f.commission.minor(),
        fixed_fee: f.fixed_fee.minor(),
        net: f.net.minor(),
        currency: f.gross.currency().to_string(),
        commission_percent: f.commission_percent.to_string(),
        rates: f.rates.iter().map(|(c, r)| (c.to_string(), r.to_string())).collect(),
    }
}

fn fees_from(j: FeesJson) -> Result<Fees, sqlx::Error> {
    let c = Currency::parse(&j.currency).map_err(|_| corrupt("fees currency"))?;
    let rates = j
        .rates
        .iter()
        .map(|(c, r)| {
            Ok((Currency::parse(c).map_err(|_| corrupt("rate"))?, r.parse::<Decimal>().map_err(|_| corrupt("rate"))?))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Fees {
        gross: Money::new(j.gross, c),
        commission: Money::new(j.commission, c),
        fixed_fee: Money::new(j.fixed_fee, c),
        net: Money::new(j.net, c),
        commission_percent: j.commission_percent.parse().map_err(|_| corrupt("commission"))?,
        rates,
    })
}

const COLUMNS: &str = "order_id, offer_id, merchant_id, customer_id, price_minor, currency, payment_date, \
    customer_comment, state, deadline, created_by, manager_comment, fees, created_at";

fn read(r: &sqlx::postgres::PgRow) -> Result<Payment, sqlx::Error> {
    let currency: String = r.try_get("currency")?;
    let state: String = r.try_get("state")?;
    let fees: Option<sqlx::types::Json<FeesJson>> = r.try_get("fees")?;
    Ok(Payment {
        order_id: kit::OrderId::parse(r.try_get::<String, _>("order_id")?).map_err(|_| corrupt("order id"))?,
        offer_id: r.try_get("offer_id")?,
        merchant_id: r.try_get("merchant_id")?,
        customer_id: r.try_get("customer_id")?,
        price: Money::new(r.try_get("price_minor")?, Currency::parse(&currency).map_err(|_| corrupt("currency"))?),
        payment_date: r.try_get::<NaiveDate, _>("payment_date")?,
        customer_comment: r.try_get("customer_comment")?,
        state: State::parse(&state).ok_or_else(|| corrupt("state"))?,
        deadline: r.try_get("deadline")?,
        created_by: r.try_get("created_by")?,
        manager_comment: r.try_get("manager_comment")?,
        fees: fees.map(|j| fees_from(j.0)).transpose()?,
        created_at: r.try_get("created_at")?,
    })
}

/// Inserts a new open payment for `request_id`; `false` when the request id exists already.
pub async fn insert(
    conn: &mut PgConnection,
    p: &Payment,
    request_id: &str,
    contact: &Contact,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "INSERT INTO mp_payments (order_id, request_id, offer_id, merchant_id, customer_id, price_minor, currency, \
         payment_date, customer_comment, state, deadline, created_by, contact_email, contact_phone, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(p.order_id.as_str())
    .bind(request_id)
    .bind(&p.offer_id)
    .bind(&p.merchant_id)
    .bind(&p.customer_id)
    .bind(p.price.minor())
    .bind(p.price.currency().as_str())
    .bind(p.payment_date)
    .bind(&p.customer_comment)
    .bind(p.state.as_str())
    .bind(p.deadline)
    .bind(&p.created_by)
    .bind(&contact.email)
    .bind(&contact.phone)
    .bind(p.created_at)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The payment `order_id`; `lock` takes the row lock.
pub async fn get(conn: &mut PgConnection, order_id: &str, lock: bool) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM mp_payments WHERE order_id = $1{}", if lock { " FOR UPDATE" } else { "" });
    sqlx::query(&sql).bind(order_id).fetch_optional(conn).await?.as_ref().map(read).transpose()
}

/// The payment recorded for `request_id`.
pub async fn by_request(conn: &mut PgConnection, request_id: &str) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM mp_payments WHERE request_id = $1");
    sqlx::query(&sql).bind(request_id).fetch_optional(conn).await?.as_ref().map(read).transpose()
}

/// Writes the changeable fields of `p`.
pub async fn update(conn: &mut PgConnection, p: &Payment, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE mp_payments SET price_minor = $2, currency = $3, payment_date = $4, state = $5, manager_comment = $6, \
         fees = $7, updated_at = $8 WHERE order_id = $1",
    )
    .bind(p.order_id.as_str())
    .bind(p.price.minor())
    .bind(p.price.currency().as_str())
    .bind(p.payment_date)
    .bind(p.state.as_str())
    .bind(&p.manager_comment)
    .bind(p.fees.as_ref().map(|f| sqlx::types::Json(fees_json(f))))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a history entry.
pub async fn add_change(conn: &mut PgConnection, order_id: &str, c: &Change) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mp_history (order_id, from_state, to_state, actor, note, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(order_id)
    .bind(&c.from)
    .bind(&c.to)
    .bind(&c.actor)
    .bind(&c.note)
    .bind(c.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The history of `order_id`, oldest first.
pub async fn history(conn: &mut PgConnection, order_id: &str) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query("SELECT from_state, to_state, actor, note, at FROM mp_history WHERE order_id = $1 ORDER BY id")
        .bind(order_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Change {
                from: r.try_get("from_state")?,
                to: r.try_get("to_state")?,
                actor: r.try_get("actor")?,
                note: r.try_get("note")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Ids of open payments whose deadline is at or before `now`, after the cursor
/// `(deadline, order_id)`, oldest deadline first. Only ids: a row the service cannot read must
/// not hide the others (each is then read and changed on its own).
pub async fn due_ids(
    pool: &PgPool,
    now: DateTime<Utc>,
    after: Option<&(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<(DateTime<Utc>, String)>, sqlx::Error> {
    let (at, id) = after.map_or((None, ""), |(a, i)| (Some(*a), i.as_str()));
    sqlx::query(
        "SELECT deadline, order_id FROM mp_payments WHERE state = 'open' AND deadline <= $1 \
         AND ($2::timestamptz IS NULL OR (deadline, order_id) > ($2, $3)) ORDER BY deadline, order_id LIMIT $4",
    )
    .bind(now)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Ok((r.try_get("deadline")?, r.try_get("order_id")?)))
    .collect()
}

/// The payment `order_id` locked for the caller's transaction, `None` when another worker holds
/// it (or it is gone).
pub async fn get_skip_locked(conn: &mut PgConnection, order_id: &str) -> Result<Option<Payment>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM mp_payments WHERE order_id = $1 FOR UPDATE SKIP LOCKED");
    sqlx::query(&sql).bind(order_id).fetch_optional(conn).await?.as_ref().map(read).transpose()
}

/// The contact data of `order_ids` (only payments a manager recorded have any).
pub async fn contacts(
    conn: &mut PgConnection,
    order_ids: &[String],
) -> Result<std::collections::BTreeMap<String, Contact>, sqlx::Error> {
    sqlx::query(
        "SELECT order_id, contact_email, contact_phone FROM mp_payments WHERE order_id = ANY($1) \
         AND (contact_email <> '' OR contact_phone <> '')",
    )
    .bind(order_ids)
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        Ok((r.try_get("order_id")?, Contact { email: r.try_get("contact_email")?, phone: r.try_get("contact_phone")? }))
    })
    .collect()
}

/// One page of payments (of one customer, when given), newest first, after the cursor
/// `(created_at, order_id)`.
pub async fn list(
    pool: &PgPool,
    state: Option<State>,
    customer: Option<&str>,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
    merchants: Option<&[String]>,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mp_payments WHERE ($1::text IS NULL OR state = $1) \
         AND ($5::text IS NULL OR customer_id = $5) \
         AND ($6::text[] IS NULL OR merchant_id = ANY($6)) \
         AND ($2::timestamptz IS NULL OR (created_at, order_id) < ($2, $3)) \
         ORDER BY created_at DESC, order_id DESC LIMIT $4"
    );
    let (at, id) = after.map_or((None, String::new()), |(a, i)| (Some(a), i));
    sqlx::query(&sql)
        .bind(state.map(State::as_str))
        .bind(at)
        .bind(id)
        .bind(limit)
        .bind(customer)
        .bind(merchants)
        .fetch_all(pool)
        .await?
        .iter()
        .map(read)
        .collect()
}
