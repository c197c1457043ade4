//! SMTP sink, checked with lettre (a real SMTP client) and with raw TCP sessions against the
//! RFC 5321 dialogue: replies, bad-sequence errors, AUTH, dot-unstuffing and faults.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sandbox::{FailMode, FaultSpec, Sandbox, System};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::helpers;

fn mailer(sb: &Sandbox, user: &str, password: &str) -> AsyncSmtpTransport<Tokio1Executor> {
    let addr = sb.addr(System::Smtp);
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .credentials(Credentials::new(user.into(), password.into()))
        .build()
}

fn mail(subject: &str) -> Message {
    Message::builder()
        .from("payops <noreply@payops.test>".parse::<Mailbox>().unwrap())
        .to("ops@shop.test".parse::<Mailbox>().unwrap())
        .to("backup@shop.test".parse::<Mailbox>().unwrap())
        .subject(subject)
        .body(String::from("Incident INC-42\r\n.a line starting with a dot\r\nbye\r\n"))
        .unwrap()
}

struct Raw {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl Raw {
    async fn connect(sb: &Sandbox) -> (Raw, String) {
        let (r, w) = TcpStream::connect(sb.addr(System::Smtp)).await.unwrap().into_split();
        let mut raw = Raw { r: BufReader::new(r), w };
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    /// Reads one (possibly multi-line) reply.
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            assert!(self.r.read_line(&mut line).await.unwrap() > 0, "connection closed; got {all:?}");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn send(&mut self, line: &str) {
        self.w.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await
    }
}

fn code(reply: &str) -> &str {
    &reply[..3]
}

#[tokio::test]
async fn smtp_mail_sent_with_lettre_is_stored_and_read_back() {
    let sb = helpers::start().await;
    let admin = sb.client();
    mailer(&sb, "tenant-7", "pw").send(mail("Fehler bei Bestellung 4711 – Vorfall INC-42")).await.unwrap();

    let messages = admin.smtp_messages().await.unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.subject.as_deref(), Some("Fehler bei Bestellung 4711 – Vorfall INC-42"));
    assert_eq!(m.from, "noreply@payops.test");
    assert_eq!(m.recipients, ["ops@shop.test", "backup@shop.test"]);
    assert_eq!(m.auth_user.as_deref(), Some("tenant-7"));
    assert!(m.data.contains("\r\n.a line starting with a dot\r\n"), "dot-unstuffed: {}", m.data);
    assert!(!m.data.contains("\r\n..a line"), "{}", m.data);
    assert_eq!(admin.smtp_message(m.id).await.unwrap(), *m);

    let log = admin.requests(Some(System::Smtp)).await.unwrap();
    assert_eq!((log.len(), log[0].method.as_str(), log[0].status), (1, "SMTP", 250));

    admin.smtp_clear().await.unwrap();
    assert!(admin.smtp_messages().await.unwrap().is_empty());
}

#[tokio::test]
async fn smtp_raw_session_gets_the_protocol_replies_and_bad_sequence_errors() {
    let sb = helpers::start().await;
    let (mut s, greeting) = Raw::connect(&sb).await;
    assert_eq!(code(&greeting), "220");
    assert_eq!(code(&s.cmd("MAIL FROM:<a@x.test>").await), "503", "MAIL before EHLO");
    let ehlo = s.cmd("EHLO client.test").await;
    assert!(ehlo.starts_with("250-"), "{ehlo}");
    for ext in ["AUTH PLAIN LOGIN", "8BITMIME", "SIZE"] {
        assert!(ehlo.contains(ext), "{ext} advertised: {ehlo}");
    }
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert_eq!(code(&s.cmd("STARTTLS").await), "502");
    assert_eq!(code(&s.cmd("RCPT TO:<b@y.test>").await), "503", "RCPT before MAIL");
    assert_eq!(code(&s.cmd("DATA").await), "503", "DATA before MAIL");
    assert_eq!(code(&s.cmd("MAIL FROM:<a@x.test>").await), "250");
    assert_eq!(code(&s.cmd("MAIL FROM:<a@x.test>").await), "503", "nested MAIL");
    assert_eq!(code(&s.cmd("DATA").await), "503", "DATA before RCPT");
    assert_eq!(code(&s.cmd("RCPT TO:<b@y.test>").await), "250");
    assert_eq!(code(&s.cmd("RCPT TO:<c@y.test>").await), "250");
    assert_eq!(code(&s.cmd("RCPT TO:").await), "501");
    assert_eq!(code(&s.cmd("DATA").await), "354");
    for line in ["Subject: raw", "", "..stuffed", "plain"] {
        s.send(line).await;
    }
    let done = s.cmd(".").await;
    assert_eq!(code(&done), "250", "{done}");
    assert_eq!(code(&s.cmd("NOOP").await), "250");
    assert_eq!(code(&s.cmd("MAIL FROM:<a@x.test>").await), "250");
    assert_eq!(code(&s.cmd("RSET").await), "250");
    assert_eq!(code(&s.cmd("DATA").await), "503", "RSET ended the transaction");
    assert_eq!(code(&s.cmd("BOGUS").await), "500");
    assert_eq!(code(&s.cmd("HELO").await), "501");
    assert_eq!(code(&s.cmd("QUIT").await), "221");

    let m = &sb.client().smtp_messages().await.unwrap()[0];
    assert_eq!(m.data, "Subject: raw\r\n\r\n.stuffed\r\nplain\r\n");
    assert_eq!((m.subject.as_deref(), m.helo.as_str(), m.auth_user.as_deref()), (Some("raw"), "client.test", None));
}

#[tokio::test]
async fn smtp_required_credentials_refuse_others_with_535() {
    let sb = helpers::start().await;
    let admin = sb.client();
    admin.smtp_require_auth("tenant", "s3cret").await.unwrap();

    let err = mailer(&sb, "tenant", "wrong").send(mail("x")).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("535") || err.status().is_some_and(|c| c.to_string() == "535"), "{err}");

    let (mut s, _) = Raw::connect(&sb).await;
    s.cmd("EHLO c").await;
    assert_eq!(code(&s.cmd("MAIL FROM:<a@x.test>").await), "530", "AUTH required");

    mailer(&sb, "tenant", "s3cret").send(mail("ok")).await.unwrap();
    assert_eq!(admin.smtp_messages().await.unwrap().len(), 1);
    admin.smtp_accept_any_auth().await.unwrap();
    mailer(&sb, "anyone", "anything").send(mail("again")).await.unwrap();
    assert_eq!(admin.smtp_messages().await.unwrap().len(), 2);
}

#[tokio::test]
async fn sb_05_smtp_fail_before_answers_451_and_stores_nothing() {
    let sb = helpers::start().await;
    let admin = sb.client();
    admin.add_fault(&FaultSpec::fail_times(System::Smtp, "send", FailMode::Error, 1)).await.unwrap();
    let err = mailer(&sb, "u", "p").send(mail("first")).await.unwrap_err();
    assert!(err.is_transient(), "451 is transient: {err}");
    assert!(admin.smtp_messages().await.unwrap().is_empty());
    mailer(&sb, "u", "p").send(mail("retry")).await.unwrap();
    assert_eq!(admin.smtp_messages().await.unwrap().len(), 1);
}

#[tokio::test]
async fn sb_05_smtp_act_then_fail_stores_the_mail_but_drops_the_connection() {
    let sb = helpers::start().await;
    let admin = sb.client();
    admin.add_fault(&FaultSpec::act_then_fail_once(System::Smtp, "send", FailMode::Error)).await.unwrap();
    let result = mailer(&sb, "u", "p").send(mail("Vorfall INC-9")).await;
    assert!(result.is_err(), "the client saw no final 250");
    let stored = admin.smtp_messages().await.unwrap();
    assert_eq!(stored.len(), 1, "but the mail was stored");
    assert_eq!(stored[0].subject.as_deref(), Some("Vorfall INC-9"));
    assert_eq!(admin.fired_faults().await.unwrap()[0].kind, "act_then_fail");
}
