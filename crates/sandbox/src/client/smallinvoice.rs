//! Admin client methods for the smallinvoice simulator (`/admin/smallinvoice/…`).

use serde_json::Value;

use super::{ClientError, SandboxClient};
use crate::smallinvoice::{SiClient, SiContact, SiInvoice, SiOmitFields, SiPayment, SiRateLimit};

impl SandboxClient {
    /// Creates an OAuth client (credentials and scopes).
    pub async fn smallinvoice_add_client(&self, client: &SiClient) -> Result<(), ClientError> {
        self.post::<_, Value>("/admin/smallinvoice/clients", client).await.map(|_| ())
    }

    /// Seeds a contact; answers the contact item as the API shows it (with `main_address`).
    pub async fn smallinvoice_add_contact(&self, contact: &SiContact) -> Result<Value, ClientError> {
        self.post("/admin/smallinvoice/contacts", contact).await
    }

    /// Seeds an invoice; answers the invoice item (with `positions`).
    pub async fn smallinvoice_add_invoice(&self, invoice: &SiInvoice) -> Result<Value, ClientError> {
        self.post("/admin/smallinvoice/invoices", invoice).await
    }

    /// Records a payment on invoice `id`; answers the updated invoice item.
    pub async fn smallinvoice_pay_invoice(&self, id: u64, payment: &SiPayment) -> Result<Value, ClientError> {
        self.post(&format!("/admin/smallinvoice/invoices/{id}/payments"), payment).await
    }

    /// Sets the hourly rate budget and what is left of it.
    pub async fn smallinvoice_rate_limit(&self, limit: &SiRateLimit) -> Result<(), ClientError> {
        self.post::<_, Value>("/admin/smallinvoice/rate-limit", limit).await.map(|_| ())
    }

    /// Makes contacts and invoices leave `fields` out of their answers (empty: none).
    pub async fn smallinvoice_omit_fields(&self, fields: &[&str]) -> Result<(), ClientError> {
        let o = SiOmitFields { fields: fields.iter().map(|f| (*f).to_owned()).collect() };
        self.post::<_, Value>("/admin/smallinvoice/omit-fields", &o).await.map(|_| ())
    }
}
