//! The `payops.invoice_checks.v1.ManualPaymentService` adapter. Approve, reject, refund,
//! record and configuration need the manager role (MP-04, MP-06, MP-07).
//!
//! SE-03: a manual-payment merchant is the tenant. A caller whose credential names tenants acts
//! only on the merchants it names, on their offers and on payments to them; anything else
//! answers exactly like an unknown id (NOT_FOUND), and listings show only its merchants'.

use chrono::DateTime;
use kit::grpc::Principal;
use kit::grpc::status::Violations;
use kit::money::{Currency, Money};
use proto::payops::common::v1::PageResponse;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::manual_payment_service_server::ManualPaymentService;
use rust_decimal::Decimal;
use tonic::{Request, Response, Status};

use super::{Access, convert};
use crate::domain::manual::{Adjust, fees::validate_rate};
use crate::error::Error;
use crate::service::manual::{ManualPayments, OpenRequest};
use crate::store::mp_payments::Contact;

/// The gRPC service.
pub struct ManualPaymentApi {
    mp: ManualPayments,
    access: Access,
}

impl ManualPaymentApi {
    /// The adapter over `mp`, checking roles with `access`.
    pub fn new(mp: ManualPayments, access: Access) -> Self {
        ManualPaymentApi { mp, access }
    }
}

fn principal<T>(r: &Request<T>) -> Option<Principal> {
    r.extensions().get::<Principal>().cloned()
}

/// The merchants the caller may act for (SE-03): `None` for a caller for every tenant.
fn merchant_scope<T>(r: &Request<T>) -> Result<Option<Vec<String>>, Status> {
    Ok(match &kit::grpc::caller(r)?.tenants {
        kit::grpc::Tenants::All => None,
        kit::grpc::Tenants::Only(set) => Some(set.iter().cloned().collect()),
    })
}

fn allowed(scope: &Option<Vec<String>>, merchant: &str) -> bool {
    scope.as_ref().is_none_or(|s| s.iter().any(|m| m == merchant))
}

fn denied(what: &str) -> Status {
    Status::permission_denied(format!("the caller may not act for this {what}"))
}

/// Parses the manager's adjustments; every violation at once.
fn adjust(a: Option<pb::Adjustments>) -> Result<Adjust, Error> {
    let Some(a) = a else { return Ok(Adjust::default()) };
    let mut v = Violations::new();
    let price = a.price.as_ref().and_then(|p| {
        let c = v.check("adjustments.price.currency", Currency::parse(&p.currency));
        if p.amount_minor <= 0 {
            v.add("adjustments.price.amount_minor", "must be more than zero");
        }
        c.map(|c| Money::new(p.amount_minor, c))
    });
    let payment_date = match a.payment_date.as_str() {
        "" => None,
        d => {
            let parsed = convert::date(d);
            if parsed.is_none() {
                v.add("adjustments.payment_date", "must be a date YYYY-MM-DD");
            }
            parsed
        }
    };
    let n = a.comment.chars().count();
    if n > 1000 {
        v.add("adjustments.comment", format!("must be at most 1000 characters, got {n}"));
    }
    let mut rates: Vec<(Currency, Decimal)> = Vec::new();
    for (i, r) in a.rates.iter().enumerate() {
        let c = v.check(&format!("adjustments.rates[{i}].currency"), Currency::parse(&r.currency));
        let rate = r
            .rate
            .trim()
            .parse::<Decimal>()
            .ok()
            .filter(|_| r.rate.trim().chars().all(|c| c.is_ascii_digit() || c == '.'));
        match (c, rate) {
            (_, None) => {
                v.add(format!("adjustments.rates[{i}].rate"), "must be a positive decimal with a dot, e.g. 0.9371")
            }
            (Some(c), Some(rate)) => match validate_rate(rate) {
                Err(why) => v.add(format!("adjustments.rates[{i}].rate"), why),
                Ok(()) if rates.iter().any(|(x, _)| *x == c) => {
                    v.add(format!("adjustments.rates[{i}].currency"), "listed twice")
                }
                Ok(()) => rates.push((c, rate)),
            },
            (None, Some(_)) => {}
        }
    }
    if !v.is_empty() {
        return Err(Error::Invalid(v));
    }
    Ok(Adjust { price, payment_date, comment: (!a.comment.is_empty()).then_some(a.comment), rates })
}

fn payment_response(
    p: &crate::domain::manual::Payment,
    h: &[crate::store::mp_payments::Change],
) -> Option<pb::ManualPayment> {
    Some(convert::payment(p, h))
}

#[tonic::async_trait]
impl ManualPaymentService for ManualPaymentApi {
    async fn save_merchant(
        &self,
        request: Request<pb::SaveMerchantRequest>,
    ) -> Result<Response<pb::SaveMerchantResponse>, Status> {
        self.access.manager(principal(&request).as_ref(), "SaveMerchant", "").await?;
        let scope = merchant_scope(&request)?;
        let m =
            request.into_inner().merchant.ok_or_else(|| Status::from(Error::invalid("merchant", "is mandatory")))?;
        if !allowed(&scope, &m.merchant_id) {
            return Err(denied("merchant"));
        }
        let saved = self.mp.save_merchant(&convert::merchant_input(&m)).await?;
        Ok(Response::new(pb::SaveMerchantResponse { merchant: Some(convert::merchant(&saved)) }))
    }

    async fn get_merchant(
        &self,
        request: Request<pb::GetMerchantRequest>,
    ) -> Result<Response<pb::GetMerchantResponse>, Status> {
        let scope = merchant_scope(&request)?;
        let id = request.into_inner().merchant_id;
        let m = self.mp.merchant(&id).await?;
        if !allowed(&scope, &id) {
            return Err(Error::NotFound(format!("merchant {id}")).into());
        }
        Ok(Response::new(pb::GetMerchantResponse { merchant: Some(convert::merchant(&m)) }))
    }

    async fn save_offer(
        &self,
        request: Request<pb::SaveOfferRequest>,
    ) -> Result<Response<pb::SaveOfferResponse>, Status> {
        self.access.manager(principal(&request).as_ref(), "SaveOffer", "").await?;
        let scope = merchant_scope(&request)?;
        let o = request.into_inner().offer.ok_or_else(|| Status::from(Error::invalid("offer", "is mandatory")))?;
        if scope.is_some() {
            // Neither moving an offer to a merchant of its own nor taking over another's offer.
            let existing = self.mp.offer(&o.offer_id).await.ok().map(|e| e.payment_system_id);
            if !allowed(&scope, &o.payment_system_id) || existing.is_some_and(|m| !allowed(&scope, &m)) {
                return Err(denied("offer"));
            }
        }
        let saved = self.mp.save_offer(&convert::offer_input(&o)).await?;
        Ok(Response::new(pb::SaveOfferResponse { offer: Some(convert::offer(&saved)) }))
    }

    async fn get_offer(&self, request: Request<pb::GetOfferRequest>) -> Result<Response<pb::GetOfferResponse>, Status> {
        let scope = merchant_scope(&request)?;
        let id = request.into_inner().offer_id;
        let o = self.mp.offer(&id).await?;
        if !allowed(&scope, &o.payment_system_id) {
            return Err(Error::NotFound(format!("offer {id}")).into());
        }
        Ok(Response::new(pb::GetOfferResponse { offer: Some(convert::offer(&o)) }))
    }

    async fn list_offers(
        &self,
        request: Request<pb::ListOffersRequest>,
    ) -> Result<Response<pb::ListOffersResponse>, Status> {
        let scope = merchant_scope(&request)?;
        let page = request.into_inner().page.unwrap_or_default();
        let size = page_size(page.page_size)?;
        let offers = self.mp.manual_offers(&page.page_token, size, scope.as_deref()).await?;
        let next = match offers.last() {
            Some(o) if i64::try_from(offers.len()).unwrap_or(0) == size => o.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListOffersResponse {
            offers: offers.iter().map(convert::offer).collect(),
            page: Some(PageResponse { next_page_token: next }),
        }))
    }

    async fn pay_manually(
        &self,
        request: Request<pb::PayManuallyRequest>,
    ) -> Result<Response<pb::PayManuallyResponse>, Status> {
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        self.require_offer_scope(&scope, &r.offer_id).await?;
        let open = OpenRequest {
            request_id: r.request_id,
            offer_id: r.offer_id,
            customer_id: r.customer_id,
            currency: r.currency,
            payment_date: r.payment_date,
            comment: r.comment,
            created_by: crate::domain::manual::payment::CUSTOMER.into(),
            contact: Contact::default(),
        };
        let (p, h) = self.mp.open(&open).await?;
        kit::grpc::record_order_id(p.order_id.as_str());
        Ok(Response::new(pb::PayManuallyResponse { payment: payment_response(&p, &h) }))
    }

    async fn record_manual_payment(
        &self,
        request: Request<pb::RecordManualPaymentRequest>,
    ) -> Result<Response<pb::RecordManualPaymentResponse>, Status> {
        let manager = self.access.manager(principal(&request).as_ref(), "RecordManualPayment", "").await?;
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        self.require_offer_scope(&scope, &r.offer_id).await?;
        let mut v = Violations::new();
        if r.email.chars().count() > 254 || (!r.email.is_empty() && !r.email.contains('@')) {
            v.add("email", "must be an e-mail address of at most 254 characters");
        }
        if r.phone.chars().count() > 32 || r.phone.chars().any(|c| !(c.is_ascii_digit() || " +-()/".contains(c))) {
            v.add("phone", "must be a phone number of at most 32 characters");
        }
        v.into_result()?;
        let open = OpenRequest {
            request_id: r.request_id,
            offer_id: r.offer_id,
            customer_id: r.customer_id,
            currency: r.currency,
            payment_date: r.payment_date,
            comment: r.comment,
            created_by: manager,
            contact: Contact { email: r.email, phone: r.phone },
        };
        let (p, h) = self.mp.open(&open).await?;
        kit::grpc::record_order_id(p.order_id.as_str());
        Ok(Response::new(pb::RecordManualPaymentResponse { payment: payment_response(&p, &h) }))
    }

    async fn approve_payment(
        &self,
        request: Request<pb::ApprovePaymentRequest>,
    ) -> Result<Response<pb::ApprovePaymentResponse>, Status> {
        let who = principal(&request);
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let manager = self.access.manager(who.as_ref(), "ApprovePayment", &r.order_id).await?;
        self.require_payment_scope(&scope, &r.order_id).await?;
        let (p, h) = self.mp.approve(&r.order_id, &manager, adjust(r.adjustments)?).await?;
        Ok(Response::new(pb::ApprovePaymentResponse { payment: payment_response(&p, &h) }))
    }

    async fn reject_payment(
        &self,
        request: Request<pb::RejectPaymentRequest>,
    ) -> Result<Response<pb::RejectPaymentResponse>, Status> {
        let who = principal(&request);
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let manager = self.access.manager(who.as_ref(), "RejectPayment", &r.order_id).await?;
        self.require_payment_scope(&scope, &r.order_id).await?;
        let (p, h) = self.mp.reject(&r.order_id, &manager, adjust(r.adjustments)?).await?;
        Ok(Response::new(pb::RejectPaymentResponse { payment: payment_response(&p, &h) }))
    }

    async fn refund_payment(
        &self,
        request: Request<pb::RefundPaymentRequest>,
    ) -> Result<Response<pb::RefundPaymentResponse>, Status> {
        let who = principal(&request);
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.order_id);
        let manager = self.access.manager(who.as_ref(), "RefundPayment", &r.order_id).await?;
        self.require_payment_scope(&scope, &r.order_id).await?;
        if r.comment.chars().count() > 1000 {
            return Err(Error::invalid("comment", "must be at most 1000 characters").into());
        }
        let comment = (!r.comment.is_empty()).then_some(r.comment);
        let (p, h) = self.mp.refund(&r.order_id, &manager, comment).await?;
        Ok(Response::new(pb::RefundPaymentResponse { payment: payment_response(&p, &h) }))
    }

    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        let manager = Access::is_manager(principal(&request).as_ref());
        let scope = merchant_scope(&request)?;
        let id = request.into_inner().order_id;
        kit::grpc::record_order_id(&id);
        let (p, h) = self.mp.get(&id).await?;
        if !allowed(&scope, &p.merchant_id) {
            return Err(Error::NotFound(format!("payment {id}")).into());
        }
        let mut payment = payment_response(&p, &h);
        if manager {
            self.with_contacts(payment.iter_mut()).await?;
        }
        Ok(Response::new(pb::GetPaymentResponse { payment }))
    }

    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let manager = Access::is_manager(principal(&request).as_ref());
        let scope = merchant_scope(&request)?;
        let r = request.into_inner();
        let page = r.page.unwrap_or_default();
        let size = page_size(page.page_size)?;
        let customer = match r.customer_id.as_str() {
            "" => None,
            c => Some(
                crate::domain::manual::CustomerId::parse(c.to_owned())
                    .map_err(|e| Status::from(Error::invalid("customer_id", e.to_string())))?,
            ),
        };
        let after = match page.page_token.as_str() {
            "" => None,
            t => {
                let parsed = t.split_once('.').and_then(|(micros, id)| {
                    Some((DateTime::from_timestamp_micros(micros.parse().ok()?)?, id.to_owned()))
                });
                Some(parsed.ok_or_else(|| {
                    Status::from(Error::invalid("page.page_token", "is not a token from this listing"))
                })?)
            }
        };
        let payments =
            self.mp.list(convert::state_filter(r.state), customer.as_deref(), after, size, scope.as_deref()).await?;
        let next = match payments.last() {
            Some(p) if i64::try_from(payments.len()).unwrap_or(0) == size => {
                format!("{}.{}", p.created_at.timestamp_micros(), p.order_id)
            }
            _ => String::new(),
        };
        let mut listed: Vec<pb::ManualPayment> = payments.iter().map(|p| convert::payment(p, &[])).collect();
        if manager {
            self.with_contacts(listed.iter_mut()).await?;
        }
        Ok(Response::new(pb::ListPaymentsResponse {
            payments: listed,
            page: Some(PageResponse { next_page_token: next }),
        }))
    }
}

impl ManualPaymentApi {
    /// SE-03 before opening a payment: the offer's merchant is one the caller may act for (an
    /// offer of another merchant answers like an unknown one; ids the open refuses for their
    /// form are left to it, so it names the field).
    async fn require_offer_scope(&self, scope: &Option<Vec<String>>, offer_id: &str) -> Result<(), Status> {
        if scope.is_none() {
            return Ok(());
        }
        match self.mp.offer(offer_id).await {
            Ok(o) if !allowed(scope, &o.payment_system_id) => Err(Error::NotFound(format!("offer {offer_id}")).into()),
            _ => Ok(()),
        }
    }

    /// SE-03 before acting on a payment: it is to a merchant the caller may act for; else it
    /// answers like an unknown payment. Callers for every tenant skip the read.
    async fn require_payment_scope(&self, scope: &Option<Vec<String>>, order_id: &str) -> Result<(), Status> {
        if scope.is_none() {
            return Ok(());
        }
        match self.mp.get(order_id).await {
            Ok((p, _)) if !allowed(scope, &p.merchant_id) => Err(Error::NotFound(format!("payment {order_id}")).into()),
            _ => Ok(()),
        }
    }

    /// Adds the contact data a manager entered (callers checked the manager role).
    async fn with_contacts<'a>(&self, payments: impl Iterator<Item = &'a mut pb::ManualPayment>) -> Result<(), Error> {
        let payments: Vec<&mut pb::ManualPayment> = payments.collect();
        let ids: Vec<String> = payments.iter().map(|p| p.order_id.clone()).collect();
        let contacts = self.mp.contacts(&ids).await?;
        for p in payments {
            p.contact =
                contacts.get(&p.order_id).map(|c| pb::Contact { email: c.email.clone(), phone: c.phone.clone() });
        }
        Ok(())
    }
}

/// Page size 0 means 50; at most 500.
fn page_size(n: i32) -> Result<i64, Status> {
    match n {
        0 => Ok(50),
        n if (1..=500).contains(&n) => Ok(i64::from(n)),
        _ => Err(Error::invalid("page.page_size", "must be between 0 and 500").into()),
    }
}
