//! B2C use cases: the code lookup with its four outcomes (HL-10, HL-11) and the B2C ticket
//! (HL-14). Mobile numbers and e-mail addresses appear in logs only masked (HL-42).

use kit::redact::Phone;
use uuid::Uuid;

use super::Hotline;
use super::audit::entry;
use crate::domain::agent::{Actor, Permission};
use crate::domain::b2c::{self, LookupForm, LookupInput, Outcome};
use crate::error::{Error, Result};
use crate::pgw::{PgwError, Search};
use crate::store::{generations, lookups};
use crate::ticketing::OpenedTicket;

/// A lookup's answer.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Id for the ticket.
    pub id: Uuid,
    /// Found, expired or not found.
    pub outcome: Outcome,
    /// Completed payments that matched.
    pub matches: u32,
}

impl Hotline {
    /// "Code suchen": validates the form (every field at once), asks PGW, and answers found,
    /// expired or not found; a PGW failure is an error, never "not found".
    pub async fn lookup_code(&self, actor: &Actor, input: &LookupInput) -> Result<Lookup> {
        self.require(actor, Permission::LookupCode).await?;
        let form = LookupForm::parse(input, self.today()).map_err(Error::Invalid)?;
        let search = Search {
            mobile: form.payment_mobile.clone(),
            twint_ref: form.twint_ref.clone(),
            device: Some(form.device_b_code.clone()),
            date: Some(form.payment_date),
        };
        let mobile = form.payment_mobile.as_deref().map(|m| Phone(m).to_string()).unwrap_or_default();
        let matches = match self.pgw.search(&search).await {
            Ok(m) => m,
            Err(e) => {
                let mut a = entry(actor, "code_lookup", format!("device:{}", form.device_b_code), "failed");
                a.details.insert("error".into(), "pgw".into());
                self.audit(a).await?;
                metrics::counter!("payops_hotline_lookups_total", "outcome" => "error").increment(1);
                tracing::warn!(device = %form.device_b_code, mobile = %mobile, error = %e, "PGW lookup failed");
                return Err(pgw_error(e));
            }
        };
        let (outcome, count) = b2c::decide(&form, matches);
        let id = Uuid::now_v7();
        lookups::insert(&self.pool, id, &actor.name, &form, &outcome, self.clock.now()).await?;
        let mut a = entry(actor, "code_lookup", format!("device:{}", form.device_b_code), "ok");
        a.details.insert("outcome".into(), outcome.situation().into());
        a.details.insert("lookup_id".into(), id.to_string());
        a.details.insert("date".into(), form.payment_date.to_string());
        if !mobile.is_empty() {
            a.details.insert("mobile".into(), mobile.clone());
        }
        if let Some(p) = outcome.payment() {
            a.target = format!("transaction:{}", p.transaction_id);
            a.details.insert("device".into(), p.device_b_code.clone());
            a.details.insert("amount".into(), p.amount.to_string());
        }
        self.audit(a).await?;
        metrics::counter!("payops_hotline_lookups_total", "outcome" => outcome.situation()).increment(1);
        tracing::info!(device = %form.device_b_code, mobile = %mobile, outcome = outcome.situation(), matches = count, "code lookup");
        Ok(Lookup { id, outcome, matches: count })
    }

    /// Opens the ticket of lookup `lookup_id` (HL-14); idempotent on `request_id`.
    pub async fn create_b2c_ticket(&self, actor: &Actor, request_id: &str, lookup_id: &str) -> Result<OpenedTicket> {
        self.require(actor, Permission::CreateTicket).await?;
        let mut v = kit::grpc::status::Violations::new();
        v.check("request_id", check_request_id(request_id));
        let id = match Uuid::parse_str(lookup_id.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("lookup_id", "expected the lookup_id of a code lookup");
                None
            }
        };
        let Some(id) = id.filter(|_| v.is_empty()) else { return Err(Error::Invalid(v)) };
        let (form, outcome) = lookups::get(&self.pool, id).await?.ok_or(Error::NotFound("lookup"))?;
        let order_id = match outcome.payment() {
            Some(p) => p.transaction_id.to_string(),
            None => format!("hl-{request_id}"),
        };
        // An admin may have replaced the expired code since the lookup: the ticket reports the
        // code the tenant now has, not the one the lookup saw.
        let new_code = match &outcome {
            Outcome::Expired { payment: p } => match &p.code {
                Some(c) => generations::newest_after(&self.pool, p.transaction_id, c.issued_at)
                    .await?
                    .map(|(code, valid_until)| b2c::NewCode { code, valid_until }),
                None => None,
            },
            _ => None,
        };
        let draft = b2c::ticket(
            request_id,
            &order_id,
            &form,
            &outcome,
            new_code.as_ref(),
            &self.settings.hotline_email,
            self.settings.timezone,
        );
        let mut a = entry(actor, "b2c_ticket", format!("order:{order_id}"), "ok");
        a.details.insert("situation".into(), outcome.situation().into());
        if new_code.is_some() {
            a.details.insert("new_code".into(), "reported".into());
        }
        self.open_ticket(actor, "b2c", draft, a).await
    }
}

/// A PGW failure as the hotline reports it: PGW failed, said plainly (HL-11).
pub fn pgw_error(e: PgwError) -> Error {
    match e {
        PgwError::Unavailable(d) => Error::partner("PGW", d),
        PgwError::Refused { status, code, .. } => Error::partner("PGW", format!("refused {status} {code}")),
        PgwError::Contract(c) => Error::partner("PGW", c.to_string()),
    }
}

/// A caller's idempotency key: 1 to 60 characters of `[A-Za-z0-9_-]` (it becomes part of an
/// order id).
pub fn check_request_id(id: &str) -> std::result::Result<(), String> {
    kit::id::validate_id(id, 60).map_err(|e| e.to_string())
}
