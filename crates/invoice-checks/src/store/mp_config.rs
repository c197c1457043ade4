//! `mp_merchants` and `mp_offers`: manual-payment merchants and offers, replaced as a whole on
//! save.

use chrono::{DateTime, Utc};
use kit::money::{Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};

use crate::domain::manual::{Merchant, MerchantId, Offer, OfferId};

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("manual payments: stored {what} is unreadable").into())
}

/// Creates or replaces a merchant.
pub async fn save_merchant(conn: &mut PgConnection, m: &Merchant, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let supported: Vec<String> = m.supported_currencies.iter().map(ToString::to_string).collect();
    sqlx::query(
        "INSERT INTO mp_merchants (merchant_id, name, description, image_url, commission_percent, fixed_fee_minor, \
         fixed_fee_currency, account_currency, fallback_currency, supported_currencies, comment_hint, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (merchant_id) DO UPDATE SET \
         name = excluded.name, description = excluded.description, image_url = excluded.image_url, \
         commission_percent = excluded.commission_percent, fixed_fee_minor = excluded.fixed_fee_minor, \
         fixed_fee_currency = excluded.fixed_fee_currency, account_currency = excluded.account_currency, \
         fallback_currency = excluded.fallback_currency, supported_currencies = excluded.supported_currencies, \
         comment_hint = excluded.comment_hint, updated_at = excluded.updated_at",
    )
    .bind(m.id.as_str())
    .bind(&m.name)
    .bind(&m.description)
    .bind(&m.image_url)
    .bind(m.commission_percent.to_string())
    .bind(m.fixed_fee.minor())
    .bind(m.fixed_fee.currency().as_str())
    .bind(m.account_currency.as_str())
    .bind(m.fallback_currency.as_str())
    .bind(&supported)
    .bind(&m.comment_hint)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The merchant `id`.
pub async fn merchant(conn: &mut PgConnection, id: &str) -> Result<Option<Merchant>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT merchant_id, name, description, image_url, commission_percent, fixed_fee_minor, fixed_fee_currency, \
         account_currency, fallback_currency, supported_currencies, comment_hint FROM mp_merchants WHERE merchant_id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    let currency = |col: &str| -> Result<Currency, sqlx::Error> {
        Currency::parse(&r.try_get::<String, _>(col)?).map_err(|_| corrupt(col))
    };
    let supported: Vec<String> = r.try_get("supported_currencies")?;
    let percent: String = r.try_get("commission_percent")?;
    Ok(Some(Merchant {
        id: MerchantId::parse(r.try_get::<String, _>("merchant_id")?).map_err(|_| corrupt("merchant id"))?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        image_url: r.try_get("image_url")?,
        commission_percent: percent.parse().map_err(|_| corrupt("commission"))?,
        fixed_fee: Money::new(r.try_get("fixed_fee_minor")?, currency("fixed_fee_currency")?),
        account_currency: currency("account_currency")?,
        fallback_currency: currency("fallback_currency")?,
        supported_currencies: supported
            .iter()
            .map(|c| Currency::parse(c).map_err(|_| corrupt("supported currency")))
            .collect::<Result<_, _>>()?,
        comment_hint: r.try_get("comment_hint")?,
    }))
}

#[derive(Serialize, Deserialize)]
struct PriceJson {
    minor: i64,
    currency: String,
}

/// Creates or replaces an offer.
pub async fn save_offer(conn: &mut PgConnection, o: &Offer, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let prices: Vec<PriceJson> =
        o.prices.iter().map(|p| PriceJson { minor: p.minor(), currency: p.currency().to_string() }).collect();
    sqlx::query(
        "INSERT INTO mp_offers (offer_id, name, payment_system_id, prices, confirmation_days, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (offer_id) DO UPDATE SET name = excluded.name, \
         payment_system_id = excluded.payment_system_id, prices = excluded.prices, \
         confirmation_days = excluded.confirmation_days, updated_at = excluded.updated_at",
    )
    .bind(o.id.as_str())
    .bind(&o.name)
    .bind(&o.payment_system_id)
    .bind(sqlx::types::Json(prices))
    .bind(i32::try_from(o.confirmation_days).unwrap_or(i32::MAX))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The offer `id`.
pub async fn offer(conn: &mut PgConnection, id: &str) -> Result<Option<Offer>, sqlx::Error> {
    sqlx::query(
        "SELECT offer_id, name, payment_system_id, prices, confirmation_days FROM mp_offers WHERE offer_id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(read_offer)
    .transpose()
}

/// Offers paid through a manual-payment merchant (the only ones a manual payment can be
/// recorded for), by id, after `after`.
/// `merchants`: only offers of these merchants (a caller bound to tenants, SE-03); `None`: all.
pub async fn manual_offers(
    conn: &mut PgConnection,
    after: &str,
    limit: i64,
    merchants: Option<&[String]>,
) -> Result<Vec<Offer>, sqlx::Error> {
    sqlx::query(
        "SELECT o.offer_id, o.name, o.payment_system_id, o.prices, o.confirmation_days FROM mp_offers o \
         JOIN mp_merchants m ON m.merchant_id = o.payment_system_id WHERE o.offer_id > $1 \
         AND ($3::text[] IS NULL OR m.merchant_id = ANY($3)) \
         ORDER BY o.offer_id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .bind(merchants)
    .fetch_all(conn)
    .await?
    .iter()
    .map(read_offer)
    .collect()
}

fn read_offer(r: &sqlx::postgres::PgRow) -> Result<Offer, sqlx::Error> {
    let prices: sqlx::types::Json<Vec<PriceJson>> = r.try_get("prices")?;
    Ok(Offer {
        id: OfferId::parse(r.try_get::<String, _>("offer_id")?).map_err(|_| corrupt("offer id"))?,
        name: r.try_get("name")?,
        payment_system_id: r.try_get("payment_system_id")?,
        prices: prices
            .0
            .iter()
            .map(|p| Currency::parse(&p.currency).map(|c| Money::new(p.minor, c)).map_err(|_| corrupt("price")))
            .collect::<Result<_, _>>()?,
        confirmation_days: u32::try_from(r.try_get::<i32, _>("confirmation_days")?).map_err(|_| corrupt("days"))?,
    })
}
