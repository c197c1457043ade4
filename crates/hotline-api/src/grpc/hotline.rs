//! `payops.hotline.v1.HotlineService`.

use std::sync::Arc;

use proto::payops::hotline::v1::hotline_service_server::HotlineService;
use proto::payops::hotline::v1::{
    CreateB2bTicketRequest, CreateB2bTicketResponse, CreateB2cTicketRequest, CreateB2cTicketResponse,
    GenerateCodeRequest, GenerateCodeResponse, GetDailyOverviewRequest, GetDailyOverviewResponse, ListInvoicesRequest,
    ListInvoicesResponse, LookupCodeRequest, LookupCodeResponse, PreflightRequest, PreflightResponse,
    SearchCustomersRequest, SearchCustomersResponse,
};
use tonic::{Request, Response, Status};

use super::{convert, session};
use crate::domain::b2b::B2bInput;
use crate::domain::b2c::LookupInput;
use crate::service::Hotline;

/// The gRPC hotline service.
pub struct HotlineApi {
    hotline: Arc<Hotline>,
}

impl HotlineApi {
    /// A service over `hotline`.
    pub fn new(hotline: Arc<Hotline>) -> Self {
        HotlineApi { hotline }
    }
}

#[tonic::async_trait]
impl HotlineService for HotlineApi {
    async fn lookup_code(&self, request: Request<LookupCodeRequest>) -> Result<Response<LookupCodeResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        let input = LookupInput {
            device_b_code: r.device_b_code,
            payment_mobile: r.payment_mobile,
            twint_ref: r.twint_ref,
            payment_date: r.payment_date,
            payment_time: r.payment_time,
            contact_email: r.contact_email,
            contact_mobile: r.contact_mobile,
        };
        let l = self.hotline.lookup_code(&s.actor, &input).await?;
        Ok(Response::new(convert::lookup(&l)))
    }

    async fn generate_code(
        &self,
        request: Request<GenerateCodeRequest>,
    ) -> Result<Response<GenerateCodeResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        kit::grpc::record_order_id(&r.transaction_id.to_string());
        let (g, replayed) = self.hotline.generate_code(&s.actor, r.transaction_id, &r.password).await?;
        Ok(Response::new(GenerateCodeResponse { generation: Some(convert::generation(&g, &s.actor.name)), replayed }))
    }

    async fn create_b2c_ticket(
        &self,
        request: Request<CreateB2cTicketRequest>,
    ) -> Result<Response<CreateB2cTicketResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        let t = self.hotline.create_b2c_ticket(&s.actor, &r.request_id, &r.lookup_id).await?;
        Ok(Response::new(CreateB2cTicketResponse { ticket: Some(convert::ticket(&t)) }))
    }

    async fn search_customers(
        &self,
        request: Request<SearchCustomersRequest>,
    ) -> Result<Response<SearchCustomersResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let found = self.hotline.search_customers(&s.actor, &request.into_inner().query).await?;
        Ok(Response::new(SearchCustomersResponse { customers: found.iter().map(convert::customer).collect() }))
    }

    async fn list_invoices(
        &self,
        request: Request<ListInvoicesRequest>,
    ) -> Result<Response<ListInvoicesResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let (c, invoices) = self.hotline.list_invoices(&s.actor, request.into_inner().customer_id).await?;
        Ok(Response::new(ListInvoicesResponse {
            customer: Some(convert::customer(&c)),
            invoices: invoices.iter().map(convert::invoice).collect(),
        }))
    }

    async fn create_b2b_ticket(
        &self,
        request: Request<CreateB2bTicketRequest>,
    ) -> Result<Response<CreateB2bTicketResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let r = request.into_inner();
        let amount = r.amount.map(|m| kit::money::Money::try_from(m).map_err(|e| e.to_string()));
        let input = B2bInput {
            customer_id: r.customer_id,
            building_address: r.building_address,
            payment_date: r.payment_date,
            payment_time: r.payment_time,
            amount,
            tenant_email: r.tenant_email,
            tenant_mobile: r.tenant_mobile,
            twint_ref: r.twint_ref,
            problem_type: r.problem_type,
            landlord: r.landlord,
            beneficiary: r.beneficiary,
            details: r.details,
            management_email: r.management_email,
        };
        let t = self.hotline.create_b2b_ticket(&s.actor, &r.request_id, &input).await?;
        Ok(Response::new(CreateB2bTicketResponse { ticket: Some(convert::ticket(&t)) }))
    }

    async fn get_daily_overview(
        &self,
        request: Request<GetDailyOverviewRequest>,
    ) -> Result<Response<GetDailyOverviewResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let date = request.into_inner().date;
        let o = self.hotline.daily_overview(&s.actor, Some(&date)).await?;
        Ok(Response::new(GetDailyOverviewResponse {
            date: o.date.format("%Y-%m-%d").to_string(),
            count: i32::try_from(o.count()).unwrap_or(i32::MAX),
            total: Some(o.total.into()),
            payments: o.payments.iter().map(convert::payment).collect(),
            unknown_count: i32::try_from(o.unknown()).unwrap_or(i32::MAX),
        }))
    }

    async fn preflight(&self, request: Request<PreflightRequest>) -> Result<Response<PreflightResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let report = self.hotline.preflight(&s.actor).await?;
        Ok(Response::new(PreflightResponse { report: Some(report.to_proto()) }))
    }
}
