//! Admin client methods for the PGW simulator (`/admin/pgw/…`).

use super::{ClientError, SandboxClient};
use crate::pgw::{DeviceView, Env, Generation, PgwApiKey, PgwDevice, PgwTransaction, TransactionView};

impl SandboxClient {
    /// Makes `key` a valid `X-API-Key` of `env`.
    pub async fn pgw_add_api_key(&self, env: Env, key: &str) -> Result<(), ClientError> {
        let body = PgwApiKey { env, key: key.to_owned() };
        self.post::<_, serde_json::Value>("/admin/pgw/api-keys", &body).await.map(|_| ())
    }

    /// Seeds a device.
    pub async fn pgw_add_device(&self, device: &PgwDevice) -> Result<DeviceView, ClientError> {
        self.post("/admin/pgw/devices", device).await
    }

    /// Seeds a payment with its code.
    pub async fn pgw_add_transaction(&self, tx: &PgwTransaction) -> Result<TransactionView, ClientError> {
        self.post("/admin/pgw/transactions", tx).await
    }

    /// Every payment of `env`, as the API shows it now.
    pub async fn pgw_transactions(&self, env: Env) -> Result<Vec<TransactionView>, ClientError> {
        self.get(&format!("/admin/pgw/transactions?env={}", env.name())).await
    }

    /// Every code generation recorded in `env`.
    pub async fn pgw_generations(&self, env: Env) -> Result<Vec<Generation>, ClientError> {
        self.get(&format!("/admin/pgw/generations?env={}", env.name())).await
    }

    /// Switches PGW's deviations from our contract (ignore `Idempotency-Key`, omit fields).
    pub async fn pgw_behaviour(&self, behaviour: &crate::pgw::Behaviour) -> Result<(), ClientError> {
        self.post::<_, serde_json::Value>("/admin/pgw/behaviour", behaviour).await.map(|_| ())
    }
}
