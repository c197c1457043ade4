//! ListDeadLetters and ReplayDeadLetter (TK-05): operators see the ticket work that failed after
//! every allowed attempt (or was refused) and send it through again once the cause is fixed. A
//! replay puts the item back in the queue with a fresh attempt budget and works on it at once;
//! its journal entries keep an unknown outcome probed first, so a replay never duplicates a
//! ticket.

use proto::payops::common::v1::PageResponse;
use proto::payops::ticketing::v1::{
    ListDeadLettersRequest, ListDeadLettersResponse, ReplayDeadLetterRequest, ReplayDeadLetterResponse,
};

use super::{Ticketing, convert};
use crate::error::Error;
use crate::store::work;

/// Page size when the caller asks for none, and the largest allowed.
const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 500;

impl Ticketing {
    pub(super) async fn list_dead_letters(&self, r: ListDeadLettersRequest) -> Result<ListDeadLettersResponse, Error> {
        let page = r.page.unwrap_or_default();
        let mut v = kit::grpc::status::Violations::new();
        let size = match i64::from(page.page_size) {
            0 => DEFAULT_PAGE,
            n if (1..=MAX_PAGE).contains(&n) => n,
            n => {
                v.add("page.page_size", format!("must be 0 to {MAX_PAGE}, got {n}"));
                DEFAULT_PAGE
            }
        };
        let after = if page.page_token.is_empty() {
            0
        } else {
            page.page_token.parse::<i64>().unwrap_or_else(|_| {
                v.add("page.page_token", "is not a token from a previous page");
                0
            })
        };
        if !v.is_empty() {
            return Err(Error::Invalid(v));
        }
        let mut rows = work::dead_letters(&self.pool, after, size + 1).await?;
        let more = rows.len() as i64 > size;
        rows.truncate(usize::try_from(size).unwrap_or(0));
        let next_page_token =
            if more { rows.last().map(|r| r.id.to_string()).unwrap_or_default() } else { String::new() };
        Ok(ListDeadLettersResponse {
            dead_letters: rows.into_iter().map(convert::dead_letter).collect(),
            page: Some(PageResponse { next_page_token }),
        })
    }

    pub(super) async fn replay_dead_letter(
        &self,
        r: ReplayDeadLetterRequest,
    ) -> Result<ReplayDeadLetterResponse, Error> {
        if r.id <= 0 {
            let mut v = kit::grpc::status::Violations::new();
            v.add("id", "must be a dead-letter id");
            return Err(Error::Invalid(v));
        }
        let now = self.exec.clock().now();
        let Some(row) = work::requeue(&self.pool, r.id, now).await? else {
            return match work::get(&self.pool, r.id).await? {
                Some(row) if row.status == "dead" || row.status == "done" => Err(Error::NotReplayable(r.id)),
                Some(_) => Err(Error::Queued { retry_after: std::time::Duration::from_secs(1) }),
                None => Err(Error::NotFound(format!("dead letter {}", r.id))),
            };
        };
        kit::grpc::record_order_id(&row.order_id);
        tracing::info!(work = row.id, kind = %row.kind, "dead letter replayed");
        let row = self.settle(row.id, &row.order_id).await?;
        let ticket = self.outcome(row).await?;
        Ok(ReplayDeadLetterResponse { ticket: Some(convert::ticket(ticket)) })
    }
}
