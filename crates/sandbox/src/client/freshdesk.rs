//! Admin client methods for freshdesk.

use super::{ClientError, SandboxClient};
use crate::freshdesk::{
    FreshdeskApiKey, FreshdeskConfig, FreshdeskConfigPatch, FreshdeskRate, FreshdeskStatusChange, FreshdeskTicketView,
    FreshdeskTickets,
};

impl SandboxClient {
    /// The Freshdesk account configuration.
    pub async fn freshdesk_config(&self) -> Result<FreshdeskConfig, ClientError> {
        self.get("/admin/freshdesk/config").await
    }

    /// Changes parts of the Freshdesk account configuration.
    pub async fn freshdesk_configure(&self, patch: &FreshdeskConfigPatch) -> Result<FreshdeskConfig, ClientError> {
        self.post("/admin/freshdesk/config", patch).await
    }

    /// Accepts `key` as an API key.
    pub async fn freshdesk_add_api_key(&self, key: &str) -> Result<(), ClientError> {
        let body = FreshdeskApiKey { key: key.to_owned() };
        self.post::<_, serde_json::Value>("/admin/freshdesk/api_keys", &body).await.map(|_| ())
    }

    /// Every ticket with its notes and the counts per external reference.
    pub async fn freshdesk_tickets(&self) -> Result<FreshdeskTickets, ClientError> {
        self.get("/admin/freshdesk/tickets").await
    }

    /// The tickets carrying external reference `reference`.
    pub async fn freshdesk_tickets_by_ref(&self, reference: &str) -> Result<FreshdeskTickets, ClientError> {
        let q: String = reference
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        self.get(&format!("/admin/freshdesk/tickets?external_ref={q}")).await
    }

    /// The rate-limit windows.
    pub async fn freshdesk_rate(&self) -> Result<FreshdeskRate, ClientError> {
        self.get("/admin/freshdesk/rate").await
    }

    /// An agent sets ticket `id` to `status` (2 open, 3 pending, 4 resolved, 5 closed).
    pub async fn freshdesk_set_status(&self, id: u64, status: u8) -> Result<FreshdeskTicketView, ClientError> {
        self.post(&format!("/admin/freshdesk/tickets/{id}/status"), &FreshdeskStatusChange { status }).await
    }
}
