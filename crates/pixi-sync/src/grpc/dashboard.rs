//! `payops.pixi_sync.v1.DashboardService` (PX-30, PX-44): processed orders with filters,
//! "problem solved" (audited, nothing else), "try again" (`retry`), configuration problems,
//! reconciliation.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use kit::OrderId;
use proto::payops::common::v1::PageResponse;
use proto::payops::pixi_sync::v1 as pb;
use proto::payops::pixi_sync::v1::dashboard_service_server::DashboardService;
use serde_json::json;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{documents, mismatch_msg, money, problem, run_msg, summary, ts};
use super::{Api, actor, uuid};
use crate::bus::{self, Subject};
use crate::error::{Error, Result};
use crate::store::orders::{self, Filter, OrderRow};
use crate::store::reconciliation;
use crate::store::{audit, incidents, pixi_apis, sync_state, tenants};

/// The service.
pub struct Dashboard {
    pub(super) api: Api,
}

fn page_token(o: &OrderRow) -> String {
    URL_SAFE_NO_PAD.encode(format!(
        "{}|{}|{}",
        o.updated_at.timestamp_nanos_opt().unwrap_or(0),
        o.pixi_api_id,
        o.order_nr
    ))
}

fn parse_token(t: &str) -> Option<(DateTime<Utc>, Uuid, i64)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(t).ok()?).ok()?;
    let mut parts = raw.split('|');
    let at = DateTime::from_timestamp_nanos(parts.next()?.parse().ok()?);
    let api = Uuid::parse_str(parts.next()?).ok()?;
    let nr = parts.next()?.parse().ok()?;
    Some((at, api, nr))
}

fn time(
    field: &str,
    t: Option<&prost_types::Timestamp>,
    v: &mut kit::grpc::status::Violations,
) -> Option<DateTime<Utc>> {
    let t = t?;
    let r = kit::bus::event::from_timestamp(t);
    if r.is_none() {
        v.add(field, "is not a valid timestamp");
    }
    r
}

impl Dashboard {
    /// The service over `api`.
    pub fn new(api: Api) -> Self {
        Dashboard { api }
    }

    pub(super) async fn tenant(&self, id: &str) -> Result<Uuid> {
        let id = uuid("tenant_id", id)?;
        tenants::get(&self.api.pool, id).await?.ok_or(Error::NotFound("tenant"))?;
        Ok(id)
    }

    pub(super) async fn order(&self, tenant_id: Uuid, api: &str, nr: i64) -> Result<OrderRow> {
        let api = uuid("pixi_api_config_id", api)?;
        orders::get(&self.api.pool, api, nr).await?.filter(|o| o.tenant_id == tenant_id).ok_or(Error::NotFound("order"))
    }

    pub(super) async fn with_incidents(&self, rows: &[OrderRow]) -> Result<Vec<pb::OrderSummary>> {
        let keys: Vec<(Uuid, i64)> = rows.iter().map(|o| (o.pixi_api_id, o.order_nr)).collect();
        let open = incidents::open_ids(&self.api.pool, &keys).await?;
        Ok(rows
            .iter()
            .map(|o| {
                let ids = open
                    .iter()
                    .filter(|(a, n, _)| *a == o.pixi_api_id && *n == o.order_nr)
                    .map(|(_, _, id)| id.clone())
                    .collect();
                summary(o, ids)
            })
            .collect())
    }

    async fn list(&self, r: pb::ListOrdersRequest) -> Result<pb::ListOrdersResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        let mut v = kit::grpc::status::Violations::new();
        let api = if r.pixi_api_config_id.is_empty() {
            None
        } else {
            v.check("pixi_api_config_id", Uuid::parse_str(&r.pixi_api_config_id).map_err(|_| "must be a UUID"))
        };
        let mut states = Vec::new();
        for s in &r.states {
            match pb::SyncState::try_from(*s) {
                Ok(pb::SyncState::Unspecified) | Err(_) => v.add("states", "contains an unknown state"),
                Ok(st) => states.push(
                    match st {
                        pb::SyncState::Waiting => "waiting",
                        pb::SyncState::Released => "released",
                        pb::SyncState::Locked => "locked",
                        pb::SyncState::Completed => "completed",
                        _ => "not_processed",
                    }
                    .to_owned(),
                ),
            }
        }
        let problems: Vec<String> = match pb::ProblemFilter::try_from(r.problem) {
            Ok(pb::ProblemFilter::Unspecified) => vec![],
            Ok(pb::ProblemFilter::Any) => vec!["error".into(), "hint".into()],
            Ok(pb::ProblemFilter::Error) => vec!["error".into()],
            Ok(pb::ProblemFilter::Hint) => vec!["hint".into()],
            Ok(pb::ProblemFilter::None) => vec!["none".into()],
            Err(_) => {
                v.add("problem", "is not a known filter");
                vec![]
            }
        };
        let from = time("updated_from", r.updated_from.as_ref(), &mut v);
        let to = time("updated_to", r.updated_to.as_ref(), &mut v);
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            v.add("updated_to", "must be after updated_from");
        }
        if r.order_nr < 0 {
            v.add("order_nr", "must be a pixi order number");
        }
        let page = r.page.unwrap_or_default();
        if !(0..=500).contains(&page.page_size) {
            v.add("page.page_size", "must be between 0 and 500");
        }
        let after = if page.page_token.is_empty() {
            None
        } else {
            let t = parse_token(&page.page_token);
            if t.is_none() {
                v.add("page.page_token", "is not a token from a previous page");
            }
            t
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v));
        }
        let size = if page.page_size == 0 { 50 } else { i64::from(page.page_size) };
        let filter = Filter {
            tenant_id,
            pixi_api_id: api,
            states,
            problems,
            payment_method: Some(r.payment_method.trim().to_owned()).filter(|m| !m.is_empty()),
            from,
            to,
            order_nr: (r.order_nr > 0).then_some(r.order_nr),
            after,
            limit: size + 1,
        };
        let mut rows = orders::list(&self.api.pool, &filter).await?;
        let more = rows.len() as i64 > size;
        rows.truncate(usize::try_from(size).unwrap_or(50));
        let next = if more { rows.last().map(page_token).unwrap_or_default() } else { String::new() };
        Ok(pb::ListOrdersResponse {
            orders: self.with_incidents(&rows).await?,
            page: Some(PageResponse { next_page_token: next }),
        })
    }

    async fn get(&self, r: pb::GetOrderRequest) -> Result<pb::GetOrderResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        let o = self.order(tenant_id, &r.pixi_api_config_id, r.order_nr).await?;
        let pool = &self.api.pool;
        let incs = incidents::of_order(pool, o.pixi_api_id, o.order_nr).await?;
        let moves = crate::store::movements::list(pool, o.pixi_api_id, o.order_nr).await?;
        let history = orders::history_of(pool, o.pixi_api_id, o.order_nr).await?;
        Ok(pb::GetOrderResponse {
            order: self.with_incidents(std::slice::from_ref(&o)).await?.pop(),
            incidents: incs
                .iter()
                .map(|i| pb::Incident {
                    incident_id: i.id.clone(),
                    problem: problem(&i.severity) as i32,
                    code: i.code.clone(),
                    title: i.title.clone(),
                    description: i.description.clone(),
                    first_seen: ts(i.first_seen),
                    last_seen: ts(i.last_seen),
                    occurrences: i.occurrences,
                    mailed_at: i.mailed_at.and_then(ts),
                    solved_at: i.solved_at.and_then(ts),
                    solved_by: i.solved_by.clone().unwrap_or_default(),
                })
                .collect(),
            movements: moves
                .iter()
                .map(|m| pb::Movement {
                    key: m.key.clone(),
                    kind: m.kind.clone(),
                    document: m.document.clone(),
                    amount: money(m.amount_minor, &m.currency),
                    status: m.status.clone(),
                    transaction_id: m.transaction_id.clone().unwrap_or_default(),
                    created_at: ts(m.created_at),
                })
                .collect(),
            history: history
                .into_iter()
                .map(|(at, action, detail)| pb::HistoryEntry { at: ts(at), action, detail })
                .collect(),
            documents: documents(&o),
        })
    }

    async fn solve(&self, r: pb::MarkProblemSolvedRequest, by: String) -> Result<pb::MarkProblemSolvedResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        if by == "anonymous" {
            return Err(Error::invalid("solved_by", "must name who solved the problem"));
        }
        if r.note.chars().count() > 1000 {
            return Err(Error::invalid("note", "must be at most 1000 characters"));
        }
        let o = self.order(tenant_id, &r.pixi_api_config_id, r.order_nr).await?;
        let a = &self.api;
        let now = a.clock.now();
        let mut tx = a.pool.begin().await?;
        orders::lock(&mut tx, o.pixi_api_id, o.order_nr).await?;
        let ids = incidents::solve(&mut tx, o.pixi_api_id, o.order_nr, &by, now).await?;
        orders::clear_problem(&mut tx, o.pixi_api_id, o.order_nr, now).await?;
        orders::history(&mut tx, o.pixi_api_id, o.order_nr, now, "problem solved", &format!("by {by}")).await?;
        let detail =
            json!({ "order_nr": o.order_nr, "pixi_api_config_id": o.pixi_api_id, "incidents": ids, "note": r.note });
        audit::record(
            &mut tx,
            now,
            &by,
            "problem_solved",
            Some(tenant_id),
            &format!("{}:{}", o.pixi_api_id, o.order_nr),
            detail,
        )
        .await?;
        let subject = Subject {
            order_id: OrderId::parse(o.order_nr.to_string()).map_err(|e| Error::Corrupt(e.to_string()))?,
            order: pb::OrderRef {
                tenant_id: tenant_id.to_string(),
                pixi_api_config_id: o.pixi_api_id.to_string(),
                order_nr: o.order_nr,
                payment_id: o.payment_id.clone(),
            },
            currency: o.currency.clone(),
        };
        a.outbox.add(&mut tx, bus::solved(&subject, ids.clone(), &by)?).await?;
        tx.commit().await?;
        tracing::info!(order_nr = o.order_nr, incidents = ?ids, by = %by, "problem marked solved");
        let fresh = orders::get(&a.pool, o.pixi_api_id, o.order_nr).await?.ok_or(Error::NotFound("order"))?;
        Ok(pb::MarkProblemSolvedResponse {
            order: self.with_incidents(&[fresh]).await?.pop(),
            solved_incident_ids: ids,
        })
    }

    async fn reconcile(&self, r: pb::RunReconciliationRequest) -> Result<pb::RunReconciliationResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        let apis = pixi_apis::of_tenant(&self.api.pool, tenant_id).await?;
        let wanted = if r.pixi_api_config_id.is_empty() {
            None
        } else {
            Some(uuid("pixi_api_config_id", &r.pixi_api_config_id)?)
        };
        let apis: Vec<_> = apis.into_iter().filter(|a| wanted.is_none_or(|w| w == a.id)).collect();
        if apis.is_empty() {
            return Err(Error::NotFound("pixi API configuration"));
        }
        let mut out = pb::RunReconciliationResponse::default();
        for api in apis {
            let ctx = crate::service::api_context(&self.api.worker, api).await?;
            let (run, found) = crate::service::reconcile::run(&self.api.worker, &ctx, "on_demand").await?;
            out.runs.push(run_msg(&run));
            out.mismatches.extend(found.iter().map(mismatch_msg));
        }
        Ok(out)
    }

    async fn mismatches(&self, r: pb::ListMismatchesRequest) -> Result<pb::ListMismatchesResponse> {
        let tenant_id = self.tenant(&r.tenant_id).await?;
        let run = if r.run_id.is_empty() {
            let api = uuid("pixi_api_config_id", &r.pixi_api_config_id)?;
            reconciliation::latest(&self.api.pool, api).await?
        } else {
            reconciliation::run(&self.api.pool, uuid("run_id", &r.run_id)?).await?
        };
        let run = run.filter(|x| x.tenant_id == tenant_id).ok_or(Error::NotFound("reconciliation run"))?;
        let found = reconciliation::mismatches(&self.api.pool, run.id).await?;
        Ok(pb::ListMismatchesResponse {
            run: Some(run_msg(&run)),
            mismatches: found.iter().map(mismatch_msg).collect(),
        })
    }
}

#[tonic::async_trait]
impl DashboardService for Dashboard {
    async fn list_orders(
        &self,
        req: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        Ok(Response::new(self.list(req.into_inner()).await?))
    }

    async fn get_order(&self, req: Request<pb::GetOrderRequest>) -> Result<Response<pb::GetOrderResponse>, Status> {
        let r = req.into_inner();
        kit::grpc::record_order_id(&r.order_nr.to_string());
        Ok(Response::new(self.get(r).await?))
    }

    async fn mark_problem_solved(
        &self,
        req: Request<pb::MarkProblemSolvedRequest>,
    ) -> Result<Response<pb::MarkProblemSolvedResponse>, Status> {
        let by = actor(&req, &req.get_ref().solved_by);
        Ok(Response::new(self.solve(req.into_inner(), by).await?))
    }

    async fn retry_order(
        &self,
        req: Request<pb::RetryOrderRequest>,
    ) -> Result<Response<pb::RetryOrderResponse>, Status> {
        let by = actor(&req, &req.get_ref().requested_by);
        Ok(Response::new(self.retry(req.into_inner(), by).await?))
    }

    async fn list_config_problems(
        &self,
        req: Request<pb::ListConfigProblemsRequest>,
    ) -> Result<Response<pb::ListConfigProblemsResponse>, Status> {
        let tenant_id = self.tenant(&req.into_inner().tenant_id).await?;
        let rows = sync_state::config_problems(&self.api.pool, tenant_id).await.map_err(Error::from)?;
        Ok(Response::new(pb::ListConfigProblemsResponse {
            problems: rows
                .into_iter()
                .map(|p| pb::ConfigProblem {
                    pixi_api_config_id: p.pixi_api_id.to_string(),
                    payment_method: p.payment_method,
                    code: p.code,
                    message: p.message,
                    first_seen: ts(p.first_seen),
                    last_seen: ts(p.last_seen),
                })
                .collect(),
        }))
    }

    async fn run_reconciliation(
        &self,
        req: Request<pb::RunReconciliationRequest>,
    ) -> Result<Response<pb::RunReconciliationResponse>, Status> {
        Ok(Response::new(self.reconcile(req.into_inner()).await?))
    }

    async fn list_mismatches(
        &self,
        req: Request<pb::ListMismatchesRequest>,
    ) -> Result<Response<pb::ListMismatchesResponse>, Status> {
        Ok(Response::new(self.mismatches(req.into_inner()).await?))
    }
}
