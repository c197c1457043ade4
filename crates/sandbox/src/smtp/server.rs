//! The TCP side of the sink: accepts connections, reads lines, feeds the session, and
//! delivers finished messages under the fault rules of operation `send` (fail-before → 451,
//! act-then-fail → the mail is stored and the connection dropped without the final 250).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::session::{Envelope, HOST, Session, Step};
use super::{Message, mime};
use crate::faults::{FailMode, Failure};
use crate::log::RecordedRequest;
use crate::shared::Shared;
use crate::system::System;

/// A connection idle this long is closed with 421.
const IDLE: Duration = Duration::from_secs(300);
/// Longest command line accepted.
const MAX_COMMAND: usize = 4096;

/// Accepts connections until the sandbox stops.
pub(crate) async fn serve(listener: TcpListener, shared: Shared) {
    loop {
        tokio::select! {
            _ = shared.0.token.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(connection(stream, shared.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "smtp sink accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// What the server does after a delivery attempt.
enum After {
    Reply(String),
    Close(String),
    Drop,
}

async fn connection(stream: TcpStream, shared: Shared) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let greeting = format!("220 {HOST} ESMTP payops sandbox SMTP sink (plain SMTP only, no STARTTLS)\r\n");
    if write.write_all(greeting.as_bytes()).await.is_err() {
        return;
    }
    let mut session = Session::default();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read_line = tokio::time::timeout(IDLE, read.read_until(b'\n', &mut buf));
        let n = tokio::select! {
            _ = shared.0.token.cancelled() => {
                let _ = write.write_all(b"421 4.3.2 Service shutting down\r\n").await;
                return;
            }
            r = read_line => match r {
                Ok(Ok(n)) => n,
                Ok(Err(_)) => return,
                Err(_) => {
                    let _ = write.write_all(b"421 4.4.2 Idle timeout, closing connection\r\n").await;
                    return;
                }
            },
        };
        if n == 0 {
            return;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let step = if line.len() > MAX_COMMAND && !session_in_data(&session) {
            Step::Reply("500 5.5.6 Error: line too long".into())
        } else {
            let required = Shared::lock(&shared.0.smtp).required.clone();
            session.handle(line, required.as_ref())
        };
        let after = match step {
            Step::Nothing => continue,
            Step::Reply(r) => After::Reply(r),
            Step::Close(r) => After::Close(r),
            Step::Deliver(env) => deliver(&shared, env).await,
        };
        let (text, close) = match after {
            After::Reply(r) => (r, false),
            After::Close(r) => (r, true),
            After::Drop => return,
        };
        if write.write_all(format!("{text}\r\n").as_bytes()).await.is_err() || close {
            return;
        }
    }
}

fn session_in_data(s: &Session) -> bool {
    s.in_data()
}

/// Stores a finished message under the fault rules and says how to answer.
async fn deliver(shared: &Shared, env: Envelope) -> After {
    let d = shared.0.faults.decide(System::Smtp, "send", shared.now());
    if !d.latency.is_zero() {
        tokio::time::sleep(d.latency).await;
    }
    if let Some(f) = d.before {
        log(shared, &env, 451);
        return match f {
            Failure::Mode(FailMode::Error, ..) => {
                After::Reply("451 4.3.0 Requested action aborted: local error in processing".into())
            }
            Failure::Mode(FailMode::Hang, _, ms) => {
                hang(shared, ms).await;
                After::Drop
            }
            Failure::Mode(FailMode::Reset, ..) => After::Drop,
            Failure::TooMany(_) => After::Close("421 4.7.0 Too many messages, try again later".into()),
        };
    }
    let id = store(shared, &env);
    log(shared, &env, 250);
    match d.after {
        Some(Failure::Mode(FailMode::Hang, _, ms)) => {
            hang(shared, ms).await;
            After::Drop
        }
        Some(_) => After::Drop,
        None => After::Reply(format!("250 2.0.0 Ok: queued as {id:08X}")),
    }
}

async fn hang(shared: &Shared, ms: u64) {
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
        _ = shared.0.token.cancelled() => {}
    }
}

fn store(shared: &Shared, env: &Envelope) -> u64 {
    let mut st = Shared::lock(&shared.0.smtp);
    st.last_id += 1;
    let id = st.last_id;
    st.messages.push(Message {
        id,
        helo: env.helo.clone(),
        auth_user: env.auth_user.clone(),
        from: env.from.clone(),
        recipients: env.recipients.clone(),
        subject: mime::subject(&env.data),
        data: String::from_utf8_lossy(&env.data).into_owned(),
        received_at: shared.now(),
    });
    id
}

/// Records the message in the sandbox request log (method `SMTP`, path `DATA`).
fn log(shared: &Shared, env: &Envelope, status: u16) {
    let mut headers = BTreeMap::new();
    headers.insert("mail-from".to_owned(), env.from.clone());
    headers.insert("rcpt-to".to_owned(), env.recipients.join(", "));
    if let Some(u) = &env.auth_user {
        headers.insert("auth-user".to_owned(), u.clone());
    }
    shared.0.log.push(RecordedRequest {
        seq: 0,
        at: shared.now(),
        system: System::Smtp,
        method: "SMTP".into(),
        path: "DATA".into(),
        headers,
        body: String::from_utf8_lossy(&env.data).into_owned(),
        status,
    });
}
