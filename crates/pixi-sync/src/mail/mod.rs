//! E-mail through the tenant's SMTP configuration (PX-02, PX-32) with lettre: plain SMTP
//! (TLS mode "none", e.g. a relay on a trusted network or the sandbox sink), STARTTLS, or
//! implicit TLS; AUTH when a user is configured. One mail per incident; the incident id is in
//! the subject and the body.

use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::settings::TlsMode;

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// An address or the message is invalid.
    #[error("invalid mail: {0}")]
    Invalid(String),
    /// The server refused or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(String),
}

/// Where to send.
#[derive(Clone)]
pub struct SmtpTarget {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// User (empty: no AUTH).
    pub user: String,
    /// Password.
    pub password: Option<SecretString>,
    /// Sender.
    pub sender: String,
    /// Recipient.
    pub recipient: String,
}

impl std::fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTarget").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

/// Sends mails.
#[derive(Debug, Clone)]
pub struct Mailer {
    timeout: Duration,
}

impl Mailer {
    /// A mailer with a per-mail timeout.
    pub fn new(timeout: Duration) -> Self {
        Mailer { timeout }
    }

    /// Sends one plain-text mail.
    pub async fn send(&self, to: &SmtpTarget, subject: &str, body: &str) -> Result<(), MailError> {
        let from: Mailbox = to.sender.parse().map_err(|_| MailError::Invalid("sender".into()))?;
        let rcpt: Mailbox = to.recipient.parse().map_err(|_| MailError::Invalid("recipient".into()))?;
        let message = Message::builder()
            .from(from)
            .to(rcpt)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| MailError::Invalid(e.to_string()))?;
        let builder = match to.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&to.host),
            TlsMode::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&to.host)
                .map_err(|e| MailError::Smtp(e.to_string()))?,
            TlsMode::Implicit => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&to.host).map_err(|e| MailError::Smtp(e.to_string()))?
            }
        };
        let mut builder = builder.port(to.port).timeout(Some(self.timeout));
        if !to.user.is_empty() {
            let pw = to.password.as_ref().map(|p| p.expose_secret().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(to.user.clone(), pw));
        }
        let transport = builder.build();
        let started = Instant::now();
        let result = transport.send(message).await;
        let outcome = if result.is_ok() { "ok" } else { "failed" };
        kit::metrics::external_call("smtp", "send", outcome, started.elapsed());
        result.map(|_| ()).map_err(|e| MailError::Smtp(e.to_string()))
    }
}
