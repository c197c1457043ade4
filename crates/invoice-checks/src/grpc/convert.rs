//! Conversions between proto messages and domain types, in both directions. Parsing into the
//! domain keeps raw values (the domain validates and reports every violation); rendering is
//! total.

use chrono::NaiveDate;
use kit::bus::event::timestamp;
use kit::money::Money;
use proto::payops::common::v1 as common;
use proto::payops::invoice_checks::v1 as pb;

use crate::domain::RawMoney;
use crate::domain::manual::{Fees, Merchant, MerchantInput, Offer, OfferInput, Payment, State};
use crate::domain::swissbilling::{AddressInput, ItemInput, OpCode, OrderInput, PfEnv};
use crate::service::swissbilling::TxView;
use crate::store::mp_payments::Change;

/// Proto money from exact money.
pub fn money(m: Money) -> common::Money {
    common::Money { amount_minor: m.minor(), currency: m.currency().to_string() }
}

/// Raw money from proto (validated later).
pub fn raw(m: Option<&common::Money>) -> Option<RawMoney> {
    m.map(|m| RawMoney { minor: m.amount_minor, currency: m.currency.clone() })
}

/// The proto environment.
pub fn environment(env: PfEnv) -> pb::PostFinanceEnvironment {
    match env {
        PfEnv::Test => pb::PostFinanceEnvironment::Test,
        PfEnv::Prod => pb::PostFinanceEnvironment::Prod,
    }
}

fn address(a: &pb::Address) -> AddressInput {
    AddressInput {
        company: a.company.clone(),
        name_prefix: a.name_prefix.clone(),
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        street_number: a.street_number.clone(),
        street_line1: a.street_line1.clone(),
        street_line2: a.street_line2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        country_code: a.country_code.clone(),
        mobile_number: a.mobile_number.clone(),
        phone_number: a.phone_number.clone(),
    }
}

/// An order as the domain reads it.
pub fn order(o: &pb::InvoiceOrder) -> OrderInput {
    OrderInput {
        tenant: o.tenant.clone(),
        order_id: o.order_id.clone(),
        amount: raw(o.amount.as_ref()),
        email: o.email.clone(),
        language: o.language.clone(),
        customer_id: o.customer_id.clone(),
        billing: o.billing.as_ref().map(address),
        shipping: o.shipping.as_ref().map(address),
        items: o
            .items
            .iter()
            .map(|i| ItemInput {
                item_id: i.item_id.clone(),
                name: i.name.clone(),
                unit_price: raw(i.unit_price.as_ref()),
                vat_code: i.vat_code.clone(),
                quantity: i.quantity,
                category: i.category.clone(),
                tax_included: i.tax_included,
            })
            .collect(),
        generic_bl_data: o.generic_bl_data.clone(),
    }
}

/// The domain operation of a proto operation (`None` when unspecified or unknown).
pub fn operation(op: i32) -> Option<OpCode> {
    use pb::MaintenanceOperation as M;
    match M::try_from(op).ok()? {
        M::Unspecified => None,
        M::CaptureLast => Some(OpCode::Sas),
        M::CapturePartial => Some(OpCode::Sal),
        M::RefundPartial => Some(OpCode::Rfd),
        M::RefundLast => Some(OpCode::Rfs),
        M::DeletePartial => Some(OpCode::Del),
        M::DeleteLast => Some(OpCode::Des),
        M::Renew => Some(OpCode::Ren),
        M::ManualAuthorisation => Some(OpCode::ManualAuthorisation),
    }
}

/// A transaction with its levels and attempts.
pub fn transaction(v: &TxView) -> pb::SwissBillingTransaction {
    let tx = &v.tx;
    let m = |minor: i64| Some(money(Money::new(minor, tx.currency)));
    let status = tx.latest_status();
    pb::SwissBillingTransaction {
        order_id: tx.order_id.to_string(),
        tenant: tx.tenant.clone(),
        environment: environment(tx.env) as i32,
        payid: i64::try_from(tx.payid).unwrap_or(i64::MAX),
        payment_method: tx.payment_method.clone(),
        authorised: m(tx.authorised()),
        captured: m(tx.captured()),
        captured_final: m(tx.captured_final()),
        refunded: m(tx.refunded()),
        deleted: m(tx.deleted()),
        in_flight: m(tx.in_flight_total()),
        status_code: i32::from(status.code),
        status_name: status.name.to_owned(),
        status_flagged: tx.flagged(),
        levels: v
            .levels
            .iter()
            .map(|l| pb::HistoryLevel {
                payidsub: i32::try_from(l.level.payidsub).unwrap_or(i32::MAX),
                kind: l.level.kind.as_str().to_owned(),
                operation: l.level.operation.clone(),
                amount: m(l.level.amount),
                status_code: i32::from(l.level.status.code),
                status_name: l.level.status.name.to_owned(),
                status_flagged: !l.level.status.known,
                recorded_at: Some(timestamp(l.recorded_at)),
                settled_at: l.settled_at.map(timestamp),
            })
            .collect(),
        attempts: v
            .attempts
            .iter()
            .map(|a| pb::MaintenanceAttempt {
                request_id: a.request_id.clone(),
                operation: a.operation.clone(),
                amount: m(a.amount),
                phase: a.phase.clone(),
                ncerror: a.ncerror.clone(),
                ncerror_plus: a.ncerror_plus.clone(),
                payidsub: a.payidsub.and_then(|p| i32::try_from(p).ok()).unwrap_or(0),
                requested_at: Some(timestamp(a.requested_at)),
            })
            .collect(),
    }
}

/// A merchant as the domain reads it.
pub fn merchant_input(m: &pb::ManualMerchant) -> MerchantInput {
    MerchantInput {
        merchant_id: m.merchant_id.clone(),
        name: m.name.clone(),
        description: m.description.clone(),
        image_url: m.image_url.clone(),
        commission_percent: m.commission_percent.clone(),
        fixed_fee: raw(m.fixed_fee.as_ref()),
        account_currency: m.account_currency.clone(),
        fallback_currency: m.fallback_currency.clone(),
        supported_currencies: m.supported_currencies.clone(),
        comment_hint: m.comment_hint.clone(),
    }
}

/// A merchant for the API.
pub fn merchant(m: &Merchant) -> pb::ManualMerchant {
    pb::ManualMerchant {
        merchant_id: m.id.to_string(),
        name: m.name.clone(),
        description: m.description.clone(),
        image_url: m.image_url.clone(),
        commission_percent: m.commission_percent.to_string(),
        fixed_fee: Some(money(m.fixed_fee)),
        account_currency: m.account_currency.to_string(),
        fallback_currency: m.fallback_currency.to_string(),
        supported_currencies: m.supported_currencies.iter().map(ToString::to_string).collect(),
        comment_hint: m.comment_hint.clone(),
    }
}

/// An offer as the domain reads it.
pub fn offer_input(o: &pb::Offer) -> OfferInput {
    OfferInput {
        offer_id: o.offer_id.clone(),
        name: o.name.clone(),
        payment_system_id: o.payment_system_id.clone(),
        prices: o.prices.iter().map(|p| RawMoney { minor: p.amount_minor, currency: p.currency.clone() }).collect(),
        confirmation_days: o.confirmation_days,
    }
}

/// An offer for the API.
pub fn offer(o: &Offer) -> pb::Offer {
    pb::Offer {
        offer_id: o.id.to_string(),
        name: o.name.clone(),
        payment_system_id: o.payment_system_id.clone(),
        prices: o.prices.iter().map(|p| money(*p)).collect(),
        confirmation_days: i32::try_from(o.confirmation_days).unwrap_or(i32::MAX),
    }
}

/// The proto state.
pub fn state(s: State) -> pb::ManualPaymentState {
    match s {
        State::Open => pb::ManualPaymentState::Open,
        State::Approved => pb::ManualPaymentState::Approved,
        State::Completed => pb::ManualPaymentState::Completed,
        State::Rejected => pb::ManualPaymentState::Rejected,
        State::Refunded => pb::ManualPaymentState::Refunded,
    }
}

/// The domain state of a proto state (`None` for unspecified).
pub fn state_filter(s: i32) -> Option<State> {
    match pb::ManualPaymentState::try_from(s).ok()? {
        pb::ManualPaymentState::Unspecified => None,
        pb::ManualPaymentState::Open => Some(State::Open),
        pb::ManualPaymentState::Approved => Some(State::Approved),
        pb::ManualPaymentState::Completed => Some(State::Completed),
        pb::ManualPaymentState::Rejected => Some(State::Rejected),
        pb::ManualPaymentState::Refunded => Some(State::Refunded),
    }
}

fn state_name(s: &str) -> pb::ManualPaymentState {
    State::parse(s).map_or(pb::ManualPaymentState::Unspecified, state)
}

/// Fees for the API.
pub fn fees(f: &Fees) -> pb::Fees {
    pb::Fees {
        gross: Some(money(f.gross)),
        commission: Some(money(f.commission)),
        fixed_fee: Some(money(f.fixed_fee)),
        net: Some(money(f.net)),
        commission_percent: f.commission_percent.to_string(),
        rates: f.rates.iter().map(|(c, r)| pb::ExchangeRate { currency: c.to_string(), rate: r.to_string() }).collect(),
    }
}

/// A payment for the API (history may be empty, as in listings and events).
pub fn payment(p: &Payment, history: &[Change]) -> pb::ManualPayment {
    pb::ManualPayment {
        order_id: p.order_id.to_string(),
        offer_id: p.offer_id.clone(),
        merchant_id: p.merchant_id.clone(),
        customer_id: p.customer_id.clone(),
        price: Some(money(p.price)),
        payment_date: p.payment_date.to_string(),
        customer_comment: p.customer_comment.clone(),
        state: state(p.state) as i32,
        deadline: Some(timestamp(p.deadline)),
        created_by: p.created_by.clone(),
        manager_comment: p.manager_comment.clone(),
        fees: p.fees.as_ref().map(fees),
        history: history
            .iter()
            .map(|c| pb::PaymentChange {
                from_state: state_name(&c.from) as i32,
                to_state: state_name(&c.to) as i32,
                actor: c.actor.clone(),
                note: c.note.clone(),
                at: Some(timestamp(c.at)),
            })
            .collect(),
        created_at: Some(timestamp(p.created_at)),
        contact: None,
    }
}

/// Parses `YYYY-MM-DD`.
pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
