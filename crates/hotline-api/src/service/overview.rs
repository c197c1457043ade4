//! The daily overview (HL-30): every completed PGW payment of one local day with the count
//! and the exact CHF total.

use chrono::NaiveDate;

use super::Hotline;
use super::audit::entry;
use crate::domain::agent::{Actor, Permission};
use crate::domain::payment::DayOverview;
use crate::error::{Error, Result};

impl Hotline {
    /// The overview of `date` (`None`: today in the configured zone).
    pub async fn daily_overview(&self, actor: &Actor, date: Option<&str>) -> Result<DayOverview> {
        self.require(actor, Permission::ReadOverview).await?;
        let date = match date.map(str::trim).filter(|d| !d.is_empty()) {
            None => self.today(),
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Error::field("date", "Datum im Format JJJJ-MM-TT"))?,
        };
        let listing = self.pgw.day(date).await.map_err(super::b2c::pgw_error)?;
        let overview = DayOverview::build(date, listing.payments).map_err(|e| Error::Internal(e.to_string()))?;
        if overview.unknown() > 0 {
            tracing::warn!(%date, unknown = overview.unknown(), "PGW listed payments with a status our contract does not name");
        }
        if listing.total != overview.total {
            // Our exact sum is shown; a differing PGW total is worth a look, not a wrong answer.
            tracing::warn!(%date, pgw_total = ?listing.total, our_total = %overview.total, "PGW day total differs from the sum of its payments");
        }
        let mut a = entry(actor, "daily_overview", format!("date:{date}"), "ok");
        a.details.insert("count".into(), overview.count().to_string());
        a.details.insert("total".into(), overview.total.to_string());
        if overview.unknown() > 0 {
            a.details.insert("unknown_status".into(), overview.unknown().to_string());
        }
        self.audit(a).await?;
        Ok(overview)
    }
}
