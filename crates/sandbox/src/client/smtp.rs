//! Admin client methods for the SMTP sink (`/admin/smtp/…`).

use super::{ClientError, SandboxClient};
use crate::smtp::{AuthMode, Message, RequireAuth};

impl SandboxClient {
    /// Every stored mail, oldest first.
    pub async fn smtp_messages(&self) -> Result<Vec<Message>, ClientError> {
        self.get("/admin/smtp/messages").await
    }

    /// One stored mail.
    pub async fn smtp_message(&self, id: u64) -> Result<Message, ClientError> {
        self.get(&format!("/admin/smtp/messages/{id}")).await
    }

    /// Forgets every stored mail.
    pub async fn smtp_clear(&self) -> Result<(), ClientError> {
        self.delete("/admin/smtp/messages").await
    }

    /// From now on only `user`/`password` may AUTH, and MAIL needs AUTH.
    pub async fn smtp_require_auth(&self, user: &str, password: &str) -> Result<AuthMode, ClientError> {
        self.post("/admin/smtp/auth", &RequireAuth { user: user.into(), password: password.into() }).await
    }

    /// Accepts any credentials again (the default).
    pub async fn smtp_accept_any_auth(&self) -> Result<(), ClientError> {
        self.delete("/admin/smtp/auth").await
    }
}
