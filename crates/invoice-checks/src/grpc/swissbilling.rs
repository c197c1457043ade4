//! The `payops.invoice_checks.v1.SwissBillingService` adapter.

use kit::grpc::status::Violations;
use kit::money::{Currency, Money};
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::swiss_billing_service_server::SwissBillingService;
use tonic::{Request, Response, Status};

use super::convert;
use crate::domain::swissbilling::Violation;
use crate::error::Error;
use crate::postfinance::hosted::ReturnUrls;
use crate::service::sb_maintenance::MaintainKind;
use crate::service::swissbilling::SwissBilling;

/// The gRPC service.
pub struct SwissBillingApi {
    sb: SwissBilling,
}

impl SwissBillingApi {
    /// The adapter over `sb`.
    pub fn new(sb: SwissBilling) -> Self {
        SwissBillingApi { sb }
    }
}

fn violation(v: Violation) -> pb::Violation {
    pb::Violation { field: v.field, reason: v.reason, rule: v.rule.to_owned(), postfinance_parameter: v.parameter }
}

/// SE-03: a caller bound to some tenants acts only for them. An empty tenant is left to the
/// method's own validation (it names the field).
fn require_tenant<T>(request: &Request<T>, tenant: &str) -> Result<(), Status> {
    if tenant.is_empty() { Ok(()) } else { kit::grpc::caller(request)?.require_tenant(tenant) }
}

impl SwissBillingApi {
    /// SE-03 for methods that name only an order: the stored transaction's tenant must be one the
    /// caller may act for. Callers for every tenant skip the read. An order of another tenant
    /// answers exactly like an unknown one, so its existence is not told either.
    async fn require_order_tenant<T>(&self, request: &Request<T>, order_id: &str) -> Result<(), Status> {
        let principal = kit::grpc::caller(request)?;
        if principal.tenants == kit::grpc::Tenants::All || kit::OrderId::parse(order_id.to_owned()).is_err() {
            // Every tenant, or an id the method refuses for its form (naming the field).
            return Ok(());
        }
        match self.sb.view(order_id).await {
            Ok(view) if principal.may_act_for(&view.tx.tenant) => Ok(()),
            Ok(_) | Err(Error::NotFound(_)) => Err(Error::NotFound(format!("transaction {order_id}")).into()),
            Err(e) => Err(e.into()),
        }
    }
}

fn order_id(field: &str, id: &str) -> Result<kit::OrderId, Status> {
    kit::grpc::record_order_id(id);
    kit::OrderId::parse(id).map_err(|e| Error::invalid(field, e.to_string()).into())
}

#[tonic::async_trait]
impl SwissBillingService for SwissBillingApi {
    async fn check_order(
        &self,
        request: Request<pb::CheckOrderRequest>,
    ) -> Result<Response<pb::CheckOrderResponse>, Status> {
        require_tenant(&request, request.get_ref().order.as_ref().map_or("", |o| o.tenant.as_str()))?;
        let r = request.into_inner();
        let order = r.order.ok_or_else(|| Status::from(Error::invalid("order", "is mandatory")))?;
        kit::grpc::record_order_id(&order.order_id);
        let violations = match self.sb.check(&convert::order(&order)) {
            Ok(_) => vec![],
            Err(list) => list.into_iter().map(violation).collect(),
        };
        Ok(Response::new(pb::CheckOrderResponse { passes: violations.is_empty(), violations }))
    }

    async fn prepare_payment_page(
        &self,
        request: Request<pb::PreparePaymentPageRequest>,
    ) -> Result<Response<pb::PreparePaymentPageResponse>, Status> {
        require_tenant(&request, request.get_ref().order.as_ref().map_or("", |o| o.tenant.as_str()))?;
        let r = request.into_inner();
        let order = r.order.ok_or_else(|| Status::from(Error::invalid("order", "is mandatory")))?;
        kit::grpc::record_order_id(&order.order_id);
        let urls = r.urls.unwrap_or_default();
        let urls = ReturnUrls {
            accept: urls.accept_url,
            decline: urls.decline_url,
            exception: urls.exception_url,
            cancel: urls.cancel_url,
        };
        let form = self.sb.prepare(&convert::order(&order), &urls).await?;
        Ok(Response::new(pb::PreparePaymentPageResponse {
            action_url: form.action_url,
            parameters: form.params.into_iter().map(|(name, value)| pb::FormParameter { name, value }).collect(),
        }))
    }

    async fn verify_return(
        &self,
        request: Request<pb::VerifyReturnRequest>,
    ) -> Result<Response<pb::VerifyReturnResponse>, Status> {
        require_tenant(&request, &request.get_ref().tenant)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        if r.tenant.is_empty() {
            v.add("tenant", "is mandatory");
        }
        if r.parameters.is_empty() {
            v.add("parameters", "are mandatory: pass every query parameter of the return");
        } else if r.parameters.len() > 200 {
            v.add("parameters", "at most 200 parameters");
        }
        v.into_result()?;
        let params: Vec<(String, String)> = r.parameters.into_iter().map(|p| (p.name, p.value)).collect();
        let (view, first_time) = self.sb.verify_return(&r.tenant, &params).await?;
        kit::grpc::record_order_id(view.tx.order_id.as_str());
        Ok(Response::new(pb::VerifyReturnResponse { transaction: Some(convert::transaction(&view)), first_time }))
    }

    async fn maintain(&self, request: Request<pb::MaintainRequest>) -> Result<Response<pb::MaintainResponse>, Status> {
        self.require_order_tenant(&request, &request.get_ref().order_id).await?;
        let r = request.into_inner();
        let mut v = Violations::new();
        kit::grpc::record_order_id(&r.order_id);
        let id = v.check("order_id", kit::OrderId::parse(r.order_id.clone()));
        v.check("request_id", kit::id::RequestId::parse(r.request_id.clone()));
        let op = convert::operation(r.operation);
        if op.is_none() {
            v.add("operation", "is mandatory: one of the MAINTENANCE_OPERATION_* values");
        }
        let amount = match &r.amount {
            None => None,
            Some(m) => {
                let c = v.check("amount.currency", Currency::parse(&m.currency));
                if m.amount_minor <= 0 {
                    v.add("amount.amount_minor", "must be more than zero");
                }
                c.map(|c| Money::new(m.amount_minor, c))
            }
        };
        let (Some(id), Some(op)) = (id, op) else { return Err(v.into_status()) };
        v.into_result()?;
        let result = self.sb.maintain(&id, &r.request_id, op, amount).await?;
        let outcome = match result.kind {
            MaintainKind::Accepted => pb::MaintenanceOutcome::Accepted,
            MaintainKind::AlreadyApplied => pb::MaintenanceOutcome::AlreadyApplied,
            MaintainKind::Unknown => pb::MaintenanceOutcome::Unknown,
        };
        Ok(Response::new(pb::MaintainResponse {
            outcome: outcome as i32,
            payidsub: result.level.as_ref().map_or(0, |l| i32::try_from(l.payidsub).unwrap_or(i32::MAX)),
            status_code: result.level.as_ref().map_or(0, |l| i32::from(l.status.code)),
            status_name: result.level.as_ref().map(|l| l.status.name.to_owned()).unwrap_or_default(),
            transaction: Some(convert::transaction(&result.view)),
        }))
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        let id = order_id("order_id", &request.get_ref().order_id)?;
        self.require_order_tenant(&request, &id).await?;
        let view = self.sb.view(&id).await?;
        Ok(Response::new(pb::GetTransactionResponse { transaction: Some(convert::transaction(&view)) }))
    }

    async fn refresh_transaction(
        &self,
        request: Request<pb::RefreshTransactionRequest>,
    ) -> Result<Response<pb::RefreshTransactionResponse>, Status> {
        let id = order_id("order_id", &request.get_ref().order_id)?;
        self.require_order_tenant(&request, &id).await?;
        let (view, changed) = self.sb.refresh(&id).await?;
        Ok(Response::new(pb::RefreshTransactionResponse {
            transaction: Some(convert::transaction(&view)),
            changed_levels: i32::try_from(changed).unwrap_or(i32::MAX),
        }))
    }

    async fn preflight(
        &self,
        request: Request<pb::PreflightRequest>,
    ) -> Result<Response<pb::PreflightResponse>, Status> {
        require_tenant(&request, &request.get_ref().tenant)?;
        let name = request.into_inner().tenant;
        let report = self.sb.preflight(&name).await?;
        Ok(Response::new(pb::PreflightResponse { report: Some(report.to_proto()) }))
    }
}
