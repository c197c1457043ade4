//! `payops.hotline.v1.TimelineService`.

use std::sync::Arc;

use proto::payops::hotline::v1::timeline_service_server::TimelineService;
use proto::payops::hotline::v1::{GetOrderTimelineRequest, GetOrderTimelineResponse, Links};
use tonic::{Request, Response, Status};

use super::{convert, session};
use crate::service::Hotline;

/// The gRPC timeline service.
pub struct Timeline {
    hotline: Arc<Hotline>,
}

impl Timeline {
    /// A service over `hotline`.
    pub fn new(hotline: Arc<Hotline>) -> Self {
        Timeline { hotline }
    }
}

#[tonic::async_trait]
impl TimelineService for Timeline {
    async fn get_order_timeline(
        &self,
        request: Request<GetOrderTimelineRequest>,
    ) -> Result<Response<GetOrderTimelineResponse>, Status> {
        let s = session(&self.hotline, &request).await?;
        let order_id = request.into_inner().order_id;
        kit::grpc::record_order_id(&order_id);
        let t = self.hotline.order_timeline(&s.actor, &order_id).await?;
        Ok(Response::new(GetOrderTimelineResponse {
            order_id: t.order_id,
            events: t.events.iter().map(convert::event).collect(),
            links: Some(Links { pixi_sync_dashboard: t.dashboard_url, pixi_sync_errors: t.errors_url }),
        }))
    }
}
