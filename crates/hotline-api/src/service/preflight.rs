//! The preflight as a use case (CT-06): admins only, audited like every read.

use kit::preflight::Report;

use super::Hotline;
use super::audit::entry;
use crate::domain::agent::{Actor, Permission};
use crate::error::Result;

impl Hotline {
    /// Runs the read-only checks of PGW and smallinvoice ([`crate::preflight`]).
    pub async fn preflight(&self, actor: &Actor) -> Result<Report> {
        self.require(actor, Permission::ManageAgents).await?;
        let report =
            crate::preflight::run(&self.pgw, &self.smallinvoice, self.today(), &self.settings.preflight_target).await;
        let mut a = entry(actor, "preflight", "partners", if report.passed() { "ok" } else { "failed" });
        a.details.insert("failed".into(), report.failures().count().to_string());
        self.audit(a).await?;
        Ok(report)
    }
}
