//! Admin client methods for nets.

use super::{ClientError, SandboxClient};
use crate::nets::{
    AutoMode, CustomerAction, NetsAccount, NetsConfig, NetsConnection, NetsCustomer, NetsTerminalSeed,
    NetsTerminalView, NetsTransaction, NetsTransactions,
};

impl SandboxClient {
    /// The Nets simulator's configuration.
    pub async fn nets_config(&self) -> Result<NetsConfig, ClientError> {
        self.get("/admin/nets/config").await
    }

    /// Replaces the Nets simulator's configuration.
    pub async fn nets_set_config(&self, config: &NetsConfig) -> Result<NetsConfig, ClientError> {
        self.post("/admin/nets/config", config).await
    }

    /// Creates (or re-keys) a Connect@Cloud account.
    pub async fn nets_add_account(&self, username: &str, password: &str) -> Result<(), ClientError> {
        let body = NetsAccount { username: username.to_owned(), password: password.to_owned() };
        self.post::<_, serde_json::Value>("/admin/nets/accounts", &body).await.map(|_| ())
    }

    /// Creates or updates a terminal.
    pub async fn nets_add_terminal(&self, seed: &NetsTerminalSeed) -> Result<NetsTerminalView, ClientError> {
        self.post("/admin/nets/terminals", seed).await
    }

    /// Every terminal (without history).
    pub async fn nets_terminals(&self) -> Result<Vec<NetsTerminalView>, ClientError> {
        self.get("/admin/nets/terminals").await
    }

    /// One terminal with its transaction history.
    pub async fn nets_terminal(&self, terminal_id: &str) -> Result<NetsTerminalView, ClientError> {
        self.get(&format!("/admin/nets/terminals/{terminal_id}")).await
    }

    /// The customer (or issuer) acts on the terminal's transaction in progress.
    pub async fn nets_customer(
        &self,
        terminal_id: &str,
        action: CustomerAction,
    ) -> Result<NetsTransaction, ClientError> {
        self.nets_customer_code(terminal_id, action, None).await
    }

    /// Drives the customer with a decline response code or a rejection reason code.
    pub async fn nets_customer_code(
        &self,
        terminal_id: &str,
        action: CustomerAction,
        code: Option<&str>,
    ) -> Result<NetsTransaction, ClientError> {
        let body = NetsCustomer { action, code: code.map(str::to_owned) };
        self.post(&format!("/admin/nets/terminals/{terminal_id}/customer"), &body).await
    }

    /// Sets how one terminal's customer behaves.
    pub async fn nets_set_mode(&self, terminal_id: &str, mode: AutoMode) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>(&format!("/admin/nets/terminals/{terminal_id}/mode"), &mode).await.map(|_| ())
    }

    /// Sets how every terminal's customer behaves.
    pub async fn nets_set_mode_all(&self, mode: AutoMode) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>("/admin/nets/mode", &mode).await.map(|_| ())
    }

    /// Connects or disconnects a terminal.
    pub async fn nets_set_connected(&self, terminal_id: &str, connected: bool) -> Result<(), ClientError> {
        let path = format!("/admin/nets/terminals/{terminal_id}/connection");
        self.post::<_, serde_json::Value>(&path, &NetsConnection { connected }).await.map(|_| ())
    }

    /// Every transaction started on any terminal.
    pub async fn nets_transactions(&self) -> Result<NetsTransactions, ClientError> {
        self.get("/admin/nets/transactions").await
    }
}
