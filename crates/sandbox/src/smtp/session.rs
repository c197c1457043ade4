//! The SMTP dialogue as a pure state machine: one input line in, one step out (a reply, a
//! reply then close, a finished message to deliver, or nothing while DATA is read). No I/O,
//! so the sequence rules are tested with tables.

use base64::Engine;

/// Largest message accepted (advertised as `SIZE`).
pub(crate) const MAX_SIZE: usize = 10 * 1024 * 1024;
/// Most recipients per message.
const MAX_RCPTS: usize = 100;
/// Name the sink gives itself.
pub(crate) const HOST: &str = "payops-sandbox";

/// Credentials the sink insists on (admin switch); `None` accepts any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

/// A finished message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub(crate) helo: String,
    pub(crate) auth_user: Option<String>,
    pub(crate) from: String,
    pub(crate) recipients: Vec<String>,
    /// Message content after dot-unstuffing, lines ending in CRLF.
    pub(crate) data: Vec<u8>,
}

/// What the server does after one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing to send (a DATA line).
    Nothing,
    /// Send these reply lines (joined by CRLF, without the final CRLF).
    Reply(String),
    /// Send the reply, then close.
    Close(String),
    /// DATA ended: store the message (subject to faults) and answer.
    Deliver(Envelope),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Mode {
    #[default]
    Command,
    Data,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPassword(String),
}

/// One connection's dialogue state.
#[derive(Debug, Default)]
pub(crate) struct Session {
    helo: Option<String>,
    user: Option<String>,
    from: Option<String>,
    rcpts: Vec<String>,
    mode: Mode,
    data: Vec<u8>,
    too_big: bool,
}

fn reply(s: &str) -> Step {
    Step::Reply(s.to_owned())
}

fn b64(s: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()?;
    String::from_utf8(raw).ok()
}

/// The address in `<addr>` (or a bare address), and the parameters after it.
fn path(arg: &str) -> Option<(String, &str)> {
    let arg = arg.trim_start();
    if let Some(rest) = arg.strip_prefix('<') {
        let end = rest.find('>')?;
        Some((rest[..end].to_owned(), rest[end + 1..].trim()))
    } else {
        let (addr, params) = arg.split_once(' ').unwrap_or((arg, ""));
        (!addr.is_empty()).then(|| (addr.to_owned(), params.trim()))
    }
}

impl Session {
    /// Whether message content is being read (long lines are fine there).
    pub(crate) fn in_data(&self) -> bool {
        self.mode == Mode::Data
    }

    /// Handles one line (without its CRLF).
    pub(crate) fn handle(&mut self, line: &[u8], required: Option<&Credentials>) -> Step {
        match std::mem::take(&mut self.mode) {
            Mode::Data => self.data_line(line),
            Mode::AuthPlain => self.auth_plain(&String::from_utf8_lossy(line), required),
            Mode::AuthLoginUser => match b64(&String::from_utf8_lossy(line)) {
                _ if line == b"*" => reply("501 5.7.0 Authentication cancelled"),
                Some(user) => {
                    self.mode = Mode::AuthLoginPassword(user);
                    reply("334 UGFzc3dvcmQ6")
                }
                None => reply("501 5.5.2 Cannot decode response"),
            },
            Mode::AuthLoginPassword(user) => match b64(&String::from_utf8_lossy(line)) {
                _ if line == b"*" => reply("501 5.7.0 Authentication cancelled"),
                Some(password) => self.login(user, &password, required),
                None => reply("501 5.5.2 Cannot decode response"),
            },
            Mode::Command => self.command(&String::from_utf8_lossy(line), required),
        }
    }

    fn data_line(&mut self, line: &[u8]) -> Step {
        if line == b"." {
            let env = Envelope {
                helo: self.helo.clone().unwrap_or_default(),
                auth_user: self.user.clone(),
                from: self.from.take().unwrap_or_default(),
                recipients: std::mem::take(&mut self.rcpts),
                data: std::mem::take(&mut self.data),
            };
            if std::mem::take(&mut self.too_big) {
                return reply("552 5.3.4 Message size exceeds fixed limit");
            }
            return Step::Deliver(env);
        }
        self.mode = Mode::Data;
        let line = line.strip_prefix(b".").unwrap_or(line);
        if self.data.len() + line.len() + 2 > MAX_SIZE {
            self.too_big = true;
        } else {
            self.data.extend_from_slice(line);
            self.data.extend_from_slice(b"\r\n");
        }
        Step::Nothing
    }

    fn login(&mut self, user: String, password: &str, required: Option<&Credentials>) -> Step {
        if required.is_some_and(|c| c.user != user || c.password != password) {
            return reply("535 5.7.8 Authentication credentials invalid");
        }
        self.user = Some(user);
        reply("235 2.7.0 Authentication successful")
    }

    fn auth_plain(&mut self, arg: &str, required: Option<&Credentials>) -> Step {
        if arg.trim() == "*" {
            return reply("501 5.7.0 Authentication cancelled");
        }
        let Some(text) = b64(arg) else { return reply("501 5.5.2 Cannot decode response") };
        let mut parts = text.split('\0');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(_authzid), Some(user), Some(password), None) if !user.is_empty() => {
                self.login(user.to_owned(), password, required)
            }
            _ => reply("501 5.5.2 Invalid PLAIN response"),
        }
    }

    fn reset(&mut self) {
        self.from = None;
        self.rcpts.clear();
        self.data.clear();
    }

    fn command(&mut self, line: &str, required: Option<&Credentials>) -> Step {
        let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if arg.is_empty() => {
                reply(&format!("501 5.5.4 Syntax: {} hostname", verb.to_ascii_uppercase()))
            }
            "EHLO" => {
                self.reset();
                self.helo = Some(arg.to_owned());
                Step::Reply(format!(
                    "250-{HOST} Hello {arg}\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-SIZE {MAX_SIZE}\r\n250 HELP"
                ))
            }
            "HELO" => {
                self.reset();
                self.helo = Some(arg.to_owned());
                Step::Reply(format!("250 {HOST}"))
            }
            "AUTH" => self.auth(arg, required),
            "MAIL" => self.mail(arg, required),
            "RCPT" => self.rcpt(arg),
            "DATA" if !arg.is_empty() => reply("501 5.5.4 Syntax: DATA"),
            "DATA" if self.from.is_none() => reply("503 5.5.1 Error: need MAIL command"),
            "DATA" if self.rcpts.is_empty() => reply("503 5.5.1 Error: need RCPT command"),
            "DATA" => {
                self.mode = Mode::Data;
                reply("354 End data with <CR><LF>.<CR><LF>")
            }
            "RSET" => {
                self.reset();
                reply("250 2.0.0 Ok")
            }
            "NOOP" => reply("250 2.0.0 Ok"),
            "QUIT" => Step::Close("221 2.0.0 Bye".into()),
            "VRFY" => reply("252 2.0.0 Cannot VRFY user, but will accept message"),
            "HELP" => reply("214 2.0.0 Commands: EHLO HELO AUTH MAIL RCPT DATA RSET NOOP QUIT"),
            "STARTTLS" => reply("502 5.5.1 STARTTLS not supported: use plain SMTP against the sink"),
            "" => reply("500 5.5.2 Error: bad syntax"),
            _ => reply("500 5.5.2 Error: command not recognized"),
        }
    }

    fn auth(&mut self, arg: &str, required: Option<&Credentials>) -> Step {
        if self.helo.is_none() {
            return reply("503 5.5.1 Error: send EHLO first");
        }
        if self.user.is_some() {
            return reply("503 5.5.1 Error: already authenticated");
        }
        if self.from.is_some() {
            return reply("503 5.5.1 Error: MAIL transaction in progress");
        }
        let (mech, initial) = arg.split_once(' ').unwrap_or((arg, ""));
        match (mech.to_ascii_uppercase().as_str(), initial.trim()) {
            ("", _) => reply("501 5.5.4 Syntax: AUTH mechanism"),
            ("PLAIN", "") => {
                self.mode = Mode::AuthPlain;
                reply("334 ")
            }
            ("PLAIN", initial) => self.auth_plain(initial, required),
            ("LOGIN", "") => {
                self.mode = Mode::AuthLoginUser;
                reply("334 VXNlcm5hbWU6")
            }
            ("LOGIN", initial) => match b64(initial) {
                Some(user) => {
                    self.mode = Mode::AuthLoginPassword(user);
                    reply("334 UGFzc3dvcmQ6")
                }
                None => reply("501 5.5.2 Cannot decode response"),
            },
            _ => reply("504 5.5.4 Unrecognized authentication type"),
        }
    }

    fn mail(&mut self, arg: &str, required: Option<&Credentials>) -> Step {
        if self.helo.is_none() {
            return reply("503 5.5.1 Error: send HELO/EHLO first");
        }
        if required.is_some() && self.user.is_none() {
            return reply("530 5.7.0 Authentication required");
        }
        if self.from.is_some() {
            return reply("503 5.5.1 Error: nested MAIL command");
        }
        let Some(rest) = arg.get(..5).filter(|p| p.eq_ignore_ascii_case("FROM:")).map(|_| &arg[5..]) else {
            return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
        };
        let Some((addr, params)) = path(rest).or_else(|| rest.trim().eq("<>").then(|| (String::new(), ""))) else {
            return reply("501 5.1.7 Bad sender address syntax");
        };
        let size = params
            .split_whitespace()
            .find_map(|p| p.get(..5).filter(|k| k.eq_ignore_ascii_case("SIZE=")).map(|_| &p[5..]))
            .and_then(|v| v.parse::<usize>().ok());
        if size.is_some_and(|s| s > MAX_SIZE) {
            return reply("552 5.3.4 Message size exceeds fixed limit");
        }
        self.from = Some(addr);
        reply("250 2.1.0 Ok")
    }

    fn rcpt(&mut self, arg: &str) -> Step {
        if self.from.is_none() {
            return reply("503 5.5.1 Error: need MAIL command");
        }
        let Some(rest) = arg.get(..3).filter(|p| p.eq_ignore_ascii_case("TO:")).map(|_| &arg[3..]) else {
            return reply("501 5.5.4 Syntax: RCPT TO:<address>");
        };
        match path(rest) {
            Some((addr, _)) if !addr.is_empty() => {
                if self.rcpts.len() >= MAX_RCPTS {
                    return reply("452 4.5.3 Error: too many recipients");
                }
                self.rcpts.push(addr);
                reply("250 2.1.5 Ok")
            }
            _ => reply("501 5.1.3 Bad recipient address syntax"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `lines` through a fresh session and returns the first reply code of each step
    /// (0 for no reply, 1 for a delivered message).
    fn codes(lines: &[&str], required: Option<&Credentials>) -> Vec<u16> {
        let mut s = Session::default();
        lines
            .iter()
            .map(|l| match s.handle(l.as_bytes(), required) {
                Step::Nothing => 0,
                Step::Deliver(_) => 1,
                Step::Reply(r) | Step::Close(r) => r[..3].parse().unwrap(),
            })
            .collect()
    }

    #[test]
    fn dialogues_get_the_rfc_5321_replies() {
        let plain = base64::engine::general_purpose::STANDARD.encode("\0bot\0secret");
        let wrong = base64::engine::general_purpose::STANDARD.encode("\0bot\0nope");
        let auth_plain = format!("AUTH PLAIN {plain}");
        let auth_wrong = format!("AUTH PLAIN {wrong}");
        let creds = Credentials { user: "bot".into(), password: "secret".into() };
        type Case<'a> = (&'a str, Vec<&'a str>, Option<&'a Credentials>, Vec<u16>);
        let cases: Vec<Case<'_>> = vec![
            (
                "happy path",
                vec![
                    "EHLO me",
                    "MAIL FROM:<a@x>",
                    "RCPT TO:<b@y>",
                    "RCPT TO:<c@y>",
                    "DATA",
                    "Subject: hi",
                    "",
                    "x",
                    ".",
                    "QUIT",
                ],
                None,
                vec![250, 250, 250, 250, 354, 0, 0, 0, 1, 221],
            ),
            ("mail before helo", vec!["MAIL FROM:<a@x>"], None, vec![503]),
            ("rcpt before mail", vec!["HELO me", "RCPT TO:<b@y>"], None, vec![250, 503]),
            ("data before rcpt", vec!["HELO me", "MAIL FROM:<a@x>", "DATA"], None, vec![250, 250, 503]),
            ("data before mail", vec!["HELO me", "DATA"], None, vec![250, 503]),
            ("nested mail", vec!["HELO me", "MAIL FROM:<a@x>", "MAIL FROM:<a@x>"], None, vec![250, 250, 503]),
            (
                "rset clears",
                vec!["HELO me", "MAIL FROM:<a@x>", "RSET", "RCPT TO:<b@y>"],
                None,
                vec![250, 250, 250, 503],
            ),
            (
                "bad syntax",
                vec!["HELO", "EHLO me", "MAIL TO:<a@x>", "MAIL FROM:<a@x>", "RCPT FROM:<b>"],
                None,
                vec![501, 250, 501, 250, 501],
            ),
            ("unknown and empty", vec!["FOO", "", "NOOP", "STARTTLS"], None, vec![500, 500, 250, 502]),
            ("null sender", vec!["HELO me", "MAIL FROM:<>"], None, vec![250, 250]),
            ("too big", vec!["EHLO me", "MAIL FROM:<a@x> SIZE=999999999"], None, vec![250, 552]),
            ("auth before ehlo", vec![auth_plain.as_str()], None, vec![503]),
            ("auth any by default", vec!["EHLO me", auth_wrong.as_str(), "MAIL FROM:<a@x>"], None, vec![250, 235, 250]),
            (
                "auth required",
                vec!["EHLO me", "MAIL FROM:<a@x>", auth_wrong.as_str(), auth_plain.as_str(), "MAIL FROM:<a@x>"],
                Some(&creds),
                vec![250, 530, 535, 235, 250],
            ),
            (
                "auth login",
                vec!["EHLO me", "AUTH LOGIN", "Ym90", "c2VjcmV0", "AUTH PLAIN"],
                Some(&creds),
                vec![250, 334, 334, 235, 503],
            ),
            ("auth plain two steps", vec!["EHLO me", "AUTH PLAIN", plain.as_str()], None, vec![250, 334, 235]),
            ("auth cancelled", vec!["EHLO me", "AUTH LOGIN", "*"], None, vec![250, 334, 501]),
            ("auth unknown mechanism", vec!["EHLO me", "AUTH CRAM-MD5"], None, vec![250, 504]),
        ];
        for (name, lines, required, expected) in cases {
            assert_eq!(codes(&lines, required), expected, "{name}");
        }
    }

    #[test]
    fn data_is_dot_unstuffed_and_the_envelope_kept() {
        let mut s = Session::default();
        for l in [
            "EHLO client",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@y>",
            "RCPT TO:c@y",
            "DATA",
            "Subject: t",
            "",
            "..leading dot",
            ".",
        ] {
            if let Step::Deliver(env) = s.handle(l.as_bytes(), None) {
                assert_eq!(env.from, "a@x");
                assert_eq!(env.recipients, vec!["b@y", "c@y"]);
                assert_eq!(env.helo, "client");
                assert_eq!(env.data, b"Subject: t\r\n\r\n.leading dot\r\n");
                return;
            }
        }
        panic!("no message delivered");
    }
}
