//! Preflight (CT-06) over gRPC: the same read-only checks as `payops-ticketing-bridge
//! preflight`, against the configured Freshdesk account; a failed check is an answer
//! (`report.ok = false`), not an error.

use proto::payops::ticketing::v1::{PreflightRequest, PreflightResponse};

use super::Ticketing;
use crate::error::Error;
use crate::freshdesk::preflight;

impl Ticketing {
    pub(super) async fn preflight(&self, _r: PreflightRequest) -> Result<PreflightResponse, Error> {
        let p = &self.preflight;
        let report = preflight::run(&p.fd, &p.target, &p.expected).await;
        Ok(PreflightResponse { report: Some(report.to_proto()) })
    }
}
