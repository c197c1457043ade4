//! Form parameters as the PostFinance (ASP) platform reads them: names are case-insensitive
//! (`orderID` = `ORDERID`), the first occurrence wins, values are kept verbatim. Bodies are
//! `application/x-www-form-urlencoded`, decoded as UTF-8 or ISO-8859-1 (`orderstandard.asp`).

/// Request parameters in the order received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Value of `name` (any case), empty values included.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Value of `name` when present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

/// Which charset the percent-decoded bytes are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UTF-8 (invalid sequences replaced).
    Utf8,
    /// ISO-8859-1.
    Latin1,
    /// UTF-8 when the whole body is valid UTF-8, else ISO-8859-1 (DirectLink).
    Auto,
}

fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn text(bytes: Vec<u8>, utf8: bool) -> String {
    if utf8 {
        String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    } else {
        bytes.into_iter().map(char::from).collect()
    }
}

/// Decodes a form body or query string.
pub fn decode(body: &[u8], charset: Charset) -> Params {
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = body
        .split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut it = p.splitn(2, |b| *b == b'=');
            let k = unescape(it.next().unwrap_or_default());
            let v = unescape(it.next().unwrap_or_default());
            (k, v)
        })
        .collect();
    let utf8 = match charset {
        Charset::Utf8 => true,
        Charset::Latin1 => false,
        Charset::Auto => pairs.iter().all(|(k, v)| std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok()),
    };
    Params(pairs.into_iter().map(|(k, v)| (text(k, utf8), text(v, utf8))).collect())
}

/// Form-encodes `s` (UTF-8): unreserved characters stay, space becomes `+`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_in_either_charset() {
        let p = decode(b"orderID=A+1&AMOUNT=1500&CN=M%C3%BCller&X=%zz&Y", Charset::Utf8);
        assert_eq!(p.get("ORDERID"), Some("A 1"));
        assert_eq!(p.get("cn"), Some("Müller"));
        assert_eq!(p.get("x"), Some("%zz"));
        assert_eq!(p.get("Y"), Some(""));
        assert_eq!(p.non_empty("Y"), None);
        assert_eq!(decode(b"CN=M%FCller", Charset::Latin1).get("CN"), Some("Müller"));
        assert_eq!(decode(b"CN=M%FCller", Charset::Auto).get("CN"), Some("Müller"));
        assert_eq!(decode(b"CN=M%C3%BCller", Charset::Auto).get("CN"), Some("Müller"));
        assert_eq!(decode(b"A=%4", Charset::Utf8).get("A"), Some("%4"));
    }

    #[test]
    fn encoding_round_trips() {
        let s = "Zürich & Co/1+1=2 ~";
        assert_eq!(decode(format!("A={}", encode(s)).as_bytes(), Charset::Utf8).get("A"), Some(s));
    }
}
