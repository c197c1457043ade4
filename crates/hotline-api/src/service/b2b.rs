//! B2B use cases: search managements from 2 characters (HL-20), list a management's invoices
//! (HL-21), and the B2B request ticket (HL-22 … HL-24).

use super::Hotline;
use super::audit::entry;
use super::b2c::check_request_id;
use crate::domain::agent::{Actor, Permission};
use crate::domain::b2b::{self, B2bInput, B2bRequest, Management};
use crate::error::{Error, Result};
use crate::smallinvoice::{Contact, Invoice, SiError};
use crate::ticketing::OpenedTicket;

/// Most managements returned by a search.
pub const SEARCH_LIMIT: u32 = 20;

/// A smallinvoice failure as the hotline reports it: "not found", or smallinvoice failing in
/// words an agent can pass on (never a guess, never a default).
fn si_error(e: SiError, what: &'static str) -> Error {
    match e {
        SiError::NotFound => Error::NotFound(what),
        other => Error::partner("SMALLINVOICE", other.to_string()),
    }
}

impl Hotline {
    /// Managements whose name matches `query` (at least 2 characters).
    pub async fn search_customers(&self, actor: &Actor, query: &str) -> Result<Vec<Contact>> {
        self.require(actor, Permission::ReadCustomers).await?;
        let q = query.trim();
        if q.chars().count() < 2 {
            return Err(Error::field("query", "mindestens 2 Zeichen"));
        }
        if q.chars().count() > 100 {
            return Err(Error::field("query", "höchstens 100 Zeichen"));
        }
        let found = self.smallinvoice.search_contacts(q, SEARCH_LIMIT).await.map_err(|e| si_error(e, "customer"))?;
        let mut a = entry(actor, "customer_search", format!("query:{q}"), "ok");
        a.details.insert("results".into(), found.len().to_string());
        self.audit(a).await?;
        Ok(found)
    }

    /// A management and its invoices, newest first.
    pub async fn list_invoices(&self, actor: &Actor, customer_id: i64) -> Result<(Contact, Vec<Invoice>)> {
        self.require(actor, Permission::ReadCustomers).await?;
        if customer_id <= 0 {
            return Err(Error::field("customer_id", "expected a smallinvoice contact id"));
        }
        let contact = self.smallinvoice.contact(customer_id).await.map_err(|e| si_error(e, "customer"))?;
        let invoices = self.smallinvoice.invoices(customer_id).await.map_err(|e| si_error(e, "customer"))?;
        let mut a = entry(actor, "invoices_listed", format!("customer:{customer_id}"), "ok");
        a.details.insert("invoices".into(), invoices.len().to_string());
        self.audit(a).await?;
        Ok((contact, invoices))
    }

    /// Opens the B2B ticket (HL-23) after checking every field at once (HL-22); tenant-side
    /// problems are sent to the B2C process (HL-24).
    pub async fn create_b2b_ticket(&self, actor: &Actor, request_id: &str, input: &B2bInput) -> Result<OpenedTicket> {
        self.require(actor, Permission::CreateTicket).await?;
        let request_check = check_request_id(request_id);
        let parsed = B2bRequest::parse(input);
        let request = match (request_check, parsed) {
            (Ok(()), Ok(r)) => r,
            (rc, parsed) => {
                let mut v = kit::grpc::status::Violations::new();
                if let Err(e) = rc {
                    v.add("request_id", e);
                }
                if let Err(pv) = parsed {
                    for (f, r) in pv.items() {
                        v.add(f.clone(), r.clone());
                    }
                }
                return Err(Error::Invalid(v));
            }
        };
        if b2b::is_tenant_side(&request.problem_type) {
            return Err(Error::Precondition {
                reason: "USE_B2C_PROCESS",
                message: "Bitte zum B2C-Tab wechseln und den Mieter-Prozess durchführen.".into(),
            });
        }
        let c = self.smallinvoice.contact(request.customer_id).await.map_err(|e| si_error(e, "customer"))?;
        let m = Management { id: c.id, number: c.number, name: c.name, email: c.email };
        let order_id = format!("hl-{request_id}");
        let draft = b2b::ticket(request_id, &order_id, &request, &m, &self.settings.hotline_email);
        let mut a = entry(actor, "b2b_ticket", format!("customer:{}", m.id), "ok");
        a.details.insert("problem_type".into(), request.problem_type.clone());
        a.details.insert("amount".into(), request.amount.to_string());
        self.open_ticket(actor, "b2b", draft, a).await
    }
}
