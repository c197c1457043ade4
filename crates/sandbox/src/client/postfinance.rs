//! Admin client methods for the PostFinance simulator (`/admin/postfinance/…`).

use serde_json::Value;

use super::{ClientError, SandboxClient};
use crate::postfinance::{
    CustomerOutcome, Env, Merchant, PfAnswers, PfCustomer, PfForceStatus, PfSettle, PfTransaction, Session, Transaction,
};

fn env_name(env: Env) -> &'static str {
    match env {
        Env::Test => "test",
        Env::Prod => "prod",
    }
}

impl SandboxClient {
    /// Creates (or replaces) a merchant account in its environment.
    pub async fn postfinance_add_merchant(&self, merchant: &Merchant) -> Result<(), ClientError> {
        self.post::<_, Value>("/admin/postfinance/merchants", merchant).await.map(|_| ())
    }

    /// Seeds an authorised (or sold) transaction.
    pub async fn postfinance_add_transaction(&self, tx: &PfTransaction) -> Result<Transaction, ClientError> {
        self.post("/admin/postfinance/transactions", tx).await
    }

    /// One transaction with its full maintenance history.
    pub async fn postfinance_transaction(&self, env: Env, payid: u64) -> Result<Transaction, ClientError> {
        self.get(&format!("/admin/postfinance/transactions/{}/{payid}", env_name(env))).await
    }

    /// Every transaction of `env`.
    pub async fn postfinance_transactions(&self, env: Env) -> Result<Vec<Transaction>, ClientError> {
        self.get(&format!("/admin/postfinance/transactions?env={}", env_name(env))).await
    }

    /// Finalises pending maintenance now; answers how many levels changed.
    pub async fn postfinance_settle(&self, settle: &PfSettle) -> Result<u64, ClientError> {
        let v: Value = self.post("/admin/postfinance/settle", settle).await?;
        Ok(v["settled"].as_u64().unwrap_or_default())
    }

    /// Makes one history level report `status` from now on (e.g. a code clients do not know).
    pub async fn postfinance_force_status(&self, force: &PfForceStatus) -> Result<(), ClientError> {
        self.post::<_, Value>("/admin/postfinance/status", force).await.map(|_| ())
    }

    /// Open payment-page sessions.
    pub async fn postfinance_sessions(&self) -> Result<Vec<Session>, ClientError> {
        self.get("/admin/postfinance/sessions").await
    }

    /// Plays the customer on the payment page; answers the redirect the browser follows.
    pub async fn postfinance_customer(&self, action: &PfCustomer) -> Result<CustomerOutcome, ClientError> {
        self.post("/admin/postfinance/customer", action).await
    }

    /// Shapes `querydirect` answers from now on (attributes left out, `PAYIDSUB=""`).
    pub async fn postfinance_answers(&self, answers: &PfAnswers) -> Result<(), ClientError> {
        self.post::<_, Value>("/admin/postfinance/answers", answers).await.map(|_| ())
    }
}
