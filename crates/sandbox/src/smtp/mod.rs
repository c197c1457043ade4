//! SMTP sink: a plain RFC 5321 subset server that keeps every mail it receives, so tests can
//! read back what a service sent (PX-02 test mail, PX-32 incident mails).
//!
//! # Protocol
//! `220` greeting; `EHLO` (advertises `AUTH PLAIN LOGIN`, `8BITMIME`, `SIZE 10485760`) or
//! `HELO`; `AUTH PLAIN` (initial response or `334` continuation) and `AUTH LOGIN`; `MAIL
//! FROM:<…>` (null sender allowed, `SIZE=` checked); several `RCPT TO:<…>` (up to 100);
//! `DATA` with dot-unstuffing until `CRLF.CRLF`; `RSET`, `NOOP`, `VRFY` (252), `HELP`,
//! `QUIT`. Errors: `500` unknown command / empty or too long line, `501` bad arguments or
//! undecodable AUTH data, `503` bad sequence (MAIL before HELO/EHLO, RCPT before MAIL, DATA
//! before RCPT, nested MAIL, AUTH twice or before EHLO), `504` unknown AUTH mechanism, `552`
//! too big, `421` after 5 idle minutes. **No STARTTLS** (`502`, not advertised): clients must
//! use plain SMTP against the sink (lettre: `builder_dangerous(host).port(port)`, or
//! `Tls::None`).
//!
//! Authentication: by default any credentials are accepted (and the user recorded); a mail
//! without AUTH is accepted too. `POST /admin/smtp/auth {user, password}` makes the sink
//! require exactly those: other credentials get `535 5.7.8`, `MAIL` without AUTH `530 5.7.0`.
//!
//! Every mail is stored with sender, recipients, raw data, decoded `Subject`, AUTH user, HELO
//! name and `received_at` (sandbox time), and logged in the request log as method `SMTP`,
//! path `DATA`.
//!
//! # Faults
//! Operation `send`, decided when the final `.` arrives: fail-before → `451 4.3.0` (mail not
//! stored; `hang` waits then drops the connection, `reset` drops it, a 429 burst answers
//! `421 4.7.0` and closes); act-then-fail → the mail **is stored**, then the connection is
//! dropped without the final `250` (after a wait for `hang`). Latency delays the answer.
//!
//! # Admin routes (`/admin/smtp`)
//! `GET /messages`, `GET /messages/{id}`, `DELETE /messages`; `GET|POST|DELETE /auth`.

mod admin;
mod mime;
mod server;
mod session;

use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::shared::Shared;

pub use admin::{AuthMode, RequireAuth};

/// Sink state.
#[derive(Debug, Default)]
pub struct State {
    /// Every stored mail, oldest first.
    pub(crate) messages: Vec<Message>,
    /// Last message id handed out.
    pub(crate) last_id: u64,
    /// Credentials required for AUTH (`None`: accept any).
    pub(crate) required: Option<session::Credentials>,
}

/// One stored mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// From 1.
    pub id: u64,
    /// Name given in HELO/EHLO.
    pub helo: String,
    /// User of a successful AUTH.
    pub auth_user: Option<String>,
    /// `MAIL FROM` address (empty for the null sender).
    pub from: String,
    /// `RCPT TO` addresses.
    pub recipients: Vec<String>,
    /// Decoded `Subject` header.
    pub subject: Option<String>,
    /// Raw message after dot-unstuffing (CRLF line ends).
    pub data: String,
    /// Sandbox time of the final `.`.
    pub received_at: DateTime<Utc>,
}

/// Serves SMTP on `listener` until the sandbox stops.
pub async fn serve(listener: TcpListener, shared: Shared) {
    server::serve(listener, shared).await;
}

/// Admin routes under `/admin/smtp`.
pub fn admin(shared: Shared) -> Router {
    admin::router(shared)
}
