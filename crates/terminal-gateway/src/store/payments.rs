//! The `payments` table (purchases and terminal refunds). The partial unique index
//! `payments_one_holder_per_terminal` keeps one payment on a terminal across replicas, from its
//! start until Nets told how its transaction ended (TG-30); the unique `payments_request_unique`
//! makes starts idempotent (TG-31). Leases (`owner`, `lease_until`) say which instance tracks a
//! waiting payment; an expired lease means its tracker died. `probe_until` makes a lookup or a
//! void single-flight across replicas.

use chrono::{DateTime, Utc};
use kit::{Currency, Money, OrderId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::domain::payment::{CancelBy, Card, Outcome, Payment, Reason, State, VoidState};
use crate::domain::{TenantId, TerminalId};

/// The partial unique index of TG-30.
pub const ONE_HOLDER: &str = "payments_one_holder_per_terminal";
/// The unique request id of TG-31.
pub const REQUEST_UNIQUE: &str = "payments_request_unique";

/// How the card was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// On a terminal.
    Terminal,
    /// Recorded by hand (TG-05).
    Manual,
}

/// What a payment does with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Takes money (`purchase`).
    Purchase,
    /// Gives money back to the presented card (`returnOfGoods`).
    Refund,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Purchase => "purchase",
            Kind::Refund => "refund",
        }
    }
}

/// A stored payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Payment id.
    pub id: Uuid,
    /// Purchase or refund.
    pub kind: Kind,
    /// The purchase a refund pays back.
    pub refund_of: Option<Uuid>,
    /// The `orderId` sent to Nets (digits from a sequence; older payments: 32 hex digits).
    pub nets_ref: String,
    /// The terminal's time zone when the payment started (reads lookup times).
    pub time_zone: Option<chrono_tz::Tz>,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Caller's request id.
    pub request_id: String,
    /// Order.
    pub order_id: OrderId,
    /// Amount.
    pub amount: Money,
    /// Terminal (terminal payments).
    pub terminal_id: Option<TerminalId>,
    /// Workstation.
    pub workstation_id: Option<String>,
    /// Method.
    pub method: Method,
    /// The state machine's view.
    pub machine: Payment,
    /// When the gateway cancels it on the terminal.
    pub deadline: Option<DateTime<Utc>>,
    /// Tracking instance.
    pub owner: Option<String>,
    /// Until when its lease runs.
    pub lease_until: Option<DateTime<Utc>>,
    /// Start.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When its purchase answer was lost (a lookup waits a little after it).
    pub answer_lost_at: Option<DateTime<Utc>>,
    /// Revisits that learned nothing in a row (paces the next one).
    pub probes: i32,
}

const COLUMNS: &str = "id, kind, refund_of, nets_ref, time_zone, tenant_id, request_id, order_id, amount_minor, currency, \
    terminal_id, workstation_id, method, state, outcome_reason, outcome_detail, cancel_requested, card, late_approval, \
    version, deadline, owner, lease_until, detached, holds_terminal, void_state, answer_lost_at, probes, created_at, \
    updated_at";

fn decode<E: std::error::Error + Send + Sync + 'static>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn bad(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("invalid stored {what}").into())
}

fn row(r: &PgRow) -> Result<PaymentRecord, sqlx::Error> {
    let currency = Currency::parse(r.try_get::<&str, _>("currency")?).map_err(decode)?;
    let state = State::parse(r.try_get::<&str, _>("state")?).ok_or_else(|| bad("state"))?;
    let outcome = match r.try_get::<Option<String>, _>("outcome_reason")? {
        Some(reason) => Some(Outcome {
            reason: Reason::parse(&reason).ok_or_else(|| bad("outcome"))?,
            detail: r.try_get::<Option<String>, _>("outcome_detail")?.unwrap_or_default(),
        }),
        None => None,
    };
    let card = |col: &str| -> Result<Option<Card>, sqlx::Error> {
        Ok(r.try_get::<Option<sqlx::types::Json<Card>>, _>(col)?.map(|j| j.0))
    };
    let method = match r.try_get::<&str, _>("method")? {
        "manual" => Method::Manual,
        _ => Method::Terminal,
    };
    let void = match r.try_get::<Option<&str>, _>("void_state")? {
        Some(v) => Some(VoidState::parse(v).ok_or_else(|| bad("void state"))?),
        None => None,
    };
    Ok(PaymentRecord {
        id: r.try_get("id")?,
        kind: if r.try_get::<&str, _>("kind")? == "refund" { Kind::Refund } else { Kind::Purchase },
        refund_of: r.try_get("refund_of")?,
        nets_ref: r.try_get::<Option<String>, _>("nets_ref")?.unwrap_or_default(),
        time_zone: match r.try_get::<Option<&str>, _>("time_zone")? {
            Some(z) => Some(z.parse().map_err(|_| bad("time zone"))?),
            None => None,
        },
        tenant_id: TenantId::parse(r.try_get::<String, _>("tenant_id")?).map_err(decode)?,
        request_id: r.try_get("request_id")?,
        order_id: OrderId::parse(r.try_get::<String, _>("order_id")?).map_err(decode)?,
        amount: Money::new(r.try_get("amount_minor")?, currency),
        terminal_id: r
            .try_get::<Option<String>, _>("terminal_id")?
            .map(TerminalId::parse)
            .transpose()
            .map_err(decode)?,
        workstation_id: r.try_get("workstation_id")?,
        method,
        machine: Payment {
            state,
            cancel_requested: r.try_get::<Option<&str>, _>("cancel_requested")?.and_then(CancelBy::parse),
            outcome,
            card: card("card")?,
            late_approval: card("late_approval")?,
            detached: r.try_get("detached")?,
            holds_terminal: r.try_get("holds_terminal")?,
            void,
            version: r.try_get("version")?,
        },
        deadline: r.try_get("deadline")?,
        owner: r.try_get("owner")?,
        lease_until: r.try_get("lease_until")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        answer_lost_at: r.try_get("answer_lost_at")?,
        probes: r.try_get("probes")?,
    })
}

/// The next `orderId` for Nets.
pub async fn next_nets_ref(conn: &mut PgConnection) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT nextval('nets_order_ref')").fetch_one(conn).await?;
    Ok(n.to_string())
}

/// Inserts a new payment. Violations: [`ONE_HOLDER`] (terminal busy), [`REQUEST_UNIQUE`].
pub async fn insert(conn: &mut PgConnection, p: &PaymentRecord) -> Result<(), sqlx::Error> {
    let m = &p.machine;
    sqlx::query(
        "INSERT INTO payments (id, tenant_id, request_id, order_id, amount_minor, currency, terminal_id, workstation_id, \
         method, state, outcome_reason, outcome_detail, card, version, deadline, owner, lease_until, created_at, updated_at, \
         kind, refund_of, nets_ref, time_zone, holds_terminal) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21, $22, $23)",
    )
    .bind(p.id)
    .bind(p.tenant_id.as_str())
    .bind(&p.request_id)
    .bind(p.order_id.as_str())
    .bind(p.amount.minor())
    .bind(p.amount.currency().as_str())
    .bind(p.terminal_id.as_deref())
    .bind(&p.workstation_id)
    .bind(match p.method {
        Method::Terminal => "terminal",
        Method::Manual => "manual",
    })
    .bind(m.state.as_str())
    .bind(m.outcome.as_ref().map(|o| o.reason.as_str()))
    .bind(m.outcome.as_ref().map(|o| o.detail.as_str()))
    .bind(m.card.clone().map(sqlx::types::Json))
    .bind(m.version)
    .bind(p.deadline)
    .bind(&p.owner)
    .bind(p.lease_until)
    .bind(p.created_at)
    .bind(p.kind.as_str())
    .bind(p.refund_of)
    .bind((!p.nets_ref.is_empty()).then_some(p.nets_ref.as_str()))
    .bind(p.time_zone.map(|z| z.name()))
    .bind(m.holds_terminal)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Writes the machine's fields back (inside the transaction that locked the row).
pub async fn save(conn: &mut PgConnection, id: Uuid, m: &Payment, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payments SET state = $2, outcome_reason = $3, outcome_detail = $4, cancel_requested = $5, card = $6, \
         late_approval = $7, version = $8, detached = $9, updated_at = $10, holds_terminal = $11, void_state = $12, \
         owner = CASE WHEN $2 = 'waiting' THEN owner END, lease_until = CASE WHEN $2 = 'waiting' THEN lease_until END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(m.state.as_str())
    .bind(m.outcome.as_ref().map(|o| o.reason.as_str()))
    .bind(m.outcome.as_ref().map(|o| o.detail.as_str()))
    .bind(m.cancel_requested.map(CancelBy::as_str))
    .bind(m.card.clone().map(sqlx::types::Json))
    .bind(m.late_approval.clone().map(sqlx::types::Json))
    .bind(m.version)
    .bind(m.detached)
    .bind(at)
    .bind(m.holds_terminal)
    .bind(m.void.map(VoidState::as_str))
    .execute(conn)
    .await
    .map(|_| ())
}

/// One payment of a tenant.
pub async fn get(pool: &PgPool, tenant: &TenantId, id: Uuid) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND tenant_id = $2"))
        .bind(id)
        .bind(tenant.as_str())
        .fetch_optional(pool)
        .await?;
    r.as_ref().map(row).transpose()
}

/// One payment by id alone (workers that have no tenant at hand).
pub async fn by_id(pool: &PgPool, id: Uuid) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1")).bind(id).fetch_optional(pool).await?;
    r.as_ref().map(row).transpose()
}

/// One payment, locked for the rest of the transaction (every transition goes through here,
/// so concurrent observers of one payment are serialised), with its terminal's failure streak
/// read in the same round trip (so an approval only writes the terminal row when it ends a
/// streak).
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<(PaymentRecord, i32)>, sqlx::Error> {
    let columns: Vec<String> = COLUMNS.split(',').map(|c| format!("p.{}", c.trim())).collect();
    let r = sqlx::query(&format!(
        "SELECT {}, COALESCE(t.consecutive_failures, 0) AS streak FROM payments p \
         LEFT JOIN terminals t ON t.tenant_id = p.tenant_id AND t.terminal_id = p.terminal_id \
         WHERE p.id = $1 FOR UPDATE OF p",
        columns.join(", ")
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    r.as_ref().map(|r| Ok((row(r)?, r.try_get("streak")?))).transpose()
}

/// The payment a request id started.
pub async fn by_request(
    pool: &PgPool,
    tenant: &TenantId,
    request_id: &str,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE tenant_id = $1 AND request_id = $2"))
        .bind(tenant.as_str())
        .bind(request_id)
        .fetch_optional(pool)
        .await?;
    r.as_ref().map(row).transpose()
}

/// The payment holding a terminal, if any (waiting, or closed without Nets' final word).
pub async fn holder_of(pool: &PgPool, tenant: &str, terminal: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM payments WHERE tenant_id = $1 AND terminal_id = $2 AND holds_terminal")
        .bind(tenant)
        .bind(terminal)
        .fetch_optional(pool)
        .await
}

/// Every payment of an order, oldest first.
pub async fn of_order(pool: &PgPool, tenant: &TenantId, order: &OrderId) -> Result<Vec<PaymentRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM payments WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at, id"
    ))
    .bind(tenant.as_str())
    .bind(order.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(row).collect()
}

/// Payments that need the supervisor: waiting ones past their deadline, with an expired lease,
/// or detached and tracked by `owner`; and closed ones that still hold their terminal and are
/// due for a revisit (any replica: the probe claim makes it single-flight).
pub async fn due(
    pool: &PgPool,
    owner: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PaymentRecord>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "(SELECT {COLUMNS} FROM payments WHERE state = 'waiting' AND method = 'terminal' \
          AND (deadline <= $2 OR lease_until IS NULL OR lease_until < $2 OR (owner = $1 AND detached)) \
          ORDER BY deadline LIMIT $3) \
         UNION ALL \
         (SELECT {COLUMNS} FROM payments WHERE holds_terminal AND state <> 'waiting' \
          AND (next_probe_at IS NULL OR next_probe_at <= $2) AND (probe_until IS NULL OR probe_until < $2) \
          ORDER BY next_probe_at NULLS FIRST LIMIT $3)"
    ))
    .bind(owner)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(row).collect()
}

/// Payments waiting right now (all replicas).
pub async fn count_waiting(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM payments WHERE state = 'waiting'").fetch_one(pool).await
}

/// Takes over a waiting payment whose lease expired (or that `owner` holds already).
pub async fn claim(
    pool: &PgPool,
    id: Uuid,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE payments SET owner = $2, lease_until = $4 WHERE id = $1 AND state = 'waiting' \
         AND (owner = $2 OR owner IS NULL OR lease_until IS NULL OR lease_until < $3)",
    )
    .bind(id)
    .bind(owner)
    .bind(now)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Extends every lease `owner` holds (one statement per renewal round, however many payments),
/// except on payments whose row another transaction holds right now — an answer being recorded,
/// a cancel — which the next round renews (rounds come every third of the lease). Waiting for
/// such a row kept every payment the statement had locked by then until it ended, and the
/// recordings of their answers queued behind it.
pub async fn renew_leases(pool: &PgPool, owner: &str, until: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE payments SET lease_until = $2 WHERE id IN \
         (SELECT id FROM payments WHERE owner = $1 AND state = 'waiting' FOR UPDATE SKIP LOCKED)",
    )
    .bind(owner)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Gives up every lease `owner` holds (graceful shutdown), so another replica takes over at
/// once instead of after the lease runs out.
pub async fn release_leases(pool: &PgPool, owner: &str) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("UPDATE payments SET owner = NULL, lease_until = NULL WHERE owner = $1 AND state = 'waiting'")
        .bind(owner)
        .execute(pool)
        .await?;
    Ok(r.rows_affected())
}

/// The purchase a refund is for, locked for the rest of the transaction.
pub async fn lock_purchase(
    conn: &mut PgConnection,
    tenant: &TenantId,
    id: Uuid,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM payments WHERE id = $1 AND tenant_id = $2 FOR UPDATE"))
        .bind(id)
        .bind(tenant.as_str())
        .fetch_optional(conn)
        .await?;
    r.as_ref().map(row).transpose()
}
