//! Admin client methods for unzer (`/admin/unzer/…`).

use super::{ClientError, SandboxClient};
use crate::unzer::{
    ChargebackReq, ConfigPatch, Delivery, MerchantView, NewMerchant, PaymentView, Receive, RedirectReq, SeedPayment,
    UnzerConfig,
};

impl SandboxClient {
    /// Creates a merchant key pair (keys generated when not given).
    pub async fn unzer_create_merchant(&self, req: &NewMerchant) -> Result<MerchantView, ClientError> {
        self.post("/admin/unzer/merchants", req).await
    }

    /// Every merchant with its webhook registrations.
    pub async fn unzer_merchants(&self) -> Result<Vec<MerchantView>, ClientError> {
        self.get("/admin/unzer/merchants").await
    }

    /// Seeds a payment as a shop's checkout would have left it.
    pub async fn unzer_seed_payment(&self, req: &SeedPayment) -> Result<PaymentView, ClientError> {
        self.post("/admin/unzer/payments", req).await
    }

    /// Every payment with every transaction.
    pub async fn unzer_payments(&self) -> Result<Vec<PaymentView>, ClientError> {
        self.get("/admin/unzer/payments").await
    }

    /// Payments carrying `order_id`.
    pub async fn unzer_payments_by_order(&self, order_id: &str) -> Result<Vec<PaymentView>, ClientError> {
        self.get(&format!("/admin/unzer/payments?order_id={}", encode(order_id))).await
    }

    /// One payment (`s-pay-N`).
    pub async fn unzer_payment(&self, id: &str) -> Result<PaymentView, ClientError> {
        self.get(&format!("/admin/unzer/payments/{}", encode(id))).await
    }

    /// The customer's transfer arrived (prepayment, invoice); `None` = the open amount.
    pub async fn unzer_receive_transfer(
        &self,
        id: &str,
        amount_minor: Option<i64>,
    ) -> Result<PaymentView, ClientError> {
        self.post(&format!("/admin/unzer/payments/{}/receive", encode(id)), &Receive { amount_minor }).await
    }

    /// A chargeback on the payment.
    pub async fn unzer_chargeback(&self, id: &str, req: &ChargebackReq) -> Result<PaymentView, ClientError> {
        self.post(&format!("/admin/unzer/payments/{}/chargeback", encode(id)), req).await
    }

    /// The customer finished (`true`) or abandoned the redirect.
    pub async fn unzer_finish_redirect(&self, id: &str, success: bool) -> Result<PaymentView, ClientError> {
        self.post(&format!("/admin/unzer/payments/{}/redirect", encode(id)), &RedirectReq { success }).await
    }

    /// Every webhook delivery with its attempts.
    pub async fn unzer_deliveries(&self) -> Result<Vec<Delivery>, ClientError> {
        self.get("/admin/unzer/deliveries").await
    }

    /// Sends every delivery due now and returns those attempted.
    pub async fn unzer_run_deliveries(&self) -> Result<Vec<Delivery>, ClientError> {
        self.post("/admin/unzer/deliveries/run", &serde_json::json!({})).await
    }

    /// The switches.
    pub async fn unzer_config(&self) -> Result<UnzerConfig, ClientError> {
        self.get("/admin/unzer/config").await
    }

    /// Changes the given switches.
    pub async fn unzer_set_config(&self, patch: &ConfigPatch) -> Result<UnzerConfig, ClientError> {
        self.post("/admin/unzer/config", patch).await
    }
}

/// Percent-encodes a path segment or query value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
