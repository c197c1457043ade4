//! What to type into the portal's screens on the demo data: a B2C payment whose code is still
//! valid and one whose code expired (from hotline-api's daily overview of the sandbox PGW), a
//! property management to search for (smallinvoice), a pixi order for the timeline. Only ids
//! of the sandbox's synthetic data are printed (TWINT references, not mobile numbers).

use anyhow::Context;
use proto::payops::hotline::v1 as hl;
use proto::payops::hotline::v1::hotline_service_client::HotlineServiceClient;

use crate::seed::PIXI_USER;
use crate::{Targets, bearer, channel, scenario};

/// Lines for people, one screen each; screens without suitable data are left out.
pub async fn hints(t: &Targets) -> anyhow::Result<Vec<String>> {
    let token = scenario::login(t).await?;
    let mut hotline = HotlineServiceClient::new(channel(&t.hotline, &t.token)?);
    let today = t.sandbox().now().await.context("sandbox clock")?.date_naive();
    let (mut valid, mut expired) = (None, None);
    for back in 0..7 {
        let Some(day) = today.checked_sub_days(chrono::Days::new(back)) else { continue };
        let req = bearer(hl::GetDailyOverviewRequest { date: day.format("%Y-%m-%d").to_string() }, &token)?;
        for p in hotline.get_daily_overview(req).await.context("GetDailyOverview")?.into_inner().payments {
            let state = p.code.as_ref().map(|c| c.state);
            if state == Some(hl::CodeState::Valid as i32) && valid.is_none() {
                valid = Some(p);
            } else if state == Some(hl::CodeState::Expired as i32) && expired.is_none() {
                expired = Some(p);
            }
        }
    }
    let mut lines = Vec::new();
    let b2c = |what: &str, p: &hl::Payment| {
        format!(
            "B2C {what}: b-code {}, TWINT-Transaktions-Nr. {}, date {}, contact mieter@example.com",
            p.device_b_code, p.twint_ref, p.local_date
        )
    };
    if let Some(p) = &valid {
        lines.push(b2c("code found  ", p));
    }
    if let Some(p) = &expired {
        lines.push(b2c("code expired", p));
    }
    let query = "Immo";
    let req = bearer(hl::SearchCustomersRequest { query: query.into() }, &token)?;
    if let Ok(found) = hotline.search_customers(req).await
        && !found.into_inner().customers.is_empty()
    {
        lines.push(format!("B2B: Verwaltung suchen «{query}»"));
    }
    if let Some(order) = t.sandbox().pixi_orders(PIXI_USER).await.ok().and_then(|o| o.into_iter().next()) {
        lines.push(format!("Timeline: pixi order {} (or the order `make demo` prints)", order.order_nr));
    }
    Ok(lines)
}
