//! Just enough RFC 5322 / RFC 2047 to show a stored mail's `Subject`: the header block ends
//! at the first empty line, folded lines are unfolded, and encoded words (`=?utf-8?B?…?=`,
//! `=?utf-8?Q?…?=`, also ISO-8859-1) are decoded.

use base64::Engine;

/// The decoded `Subject` header of a raw message, if any.
pub(crate) fn subject(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let mut unfolded: Vec<String> = Vec::new();
    for line in text.split("\r\n").flat_map(|l| l.split('\n')) {
        if line.is_empty() {
            break;
        }
        match unfolded.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => unfolded.push(line.to_owned()),
        }
    }
    unfolded.iter().find_map(|h| {
        let (name, value) = h.split_once(':')?;
        name.trim().eq_ignore_ascii_case("subject").then(|| decode_words(value.trim()))
    })
}

/// Decodes RFC 2047 encoded words; whitespace between two encoded words is dropped.
pub(crate) fn decode_words(value: &str) -> String {
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        match encoded_word(&rest[start..]) {
            Some((decoded, len)) => {
                parts.push((false, rest[..start].to_owned()));
                parts.push((true, decoded));
                rest = &rest[start + len..];
            }
            None => {
                parts.push((false, rest[..start + 2].to_owned()));
                rest = &rest[start + 2..];
            }
        }
    }
    parts.push((false, rest.to_owned()));
    let mut out = String::new();
    for (i, (encoded, text)) in parts.iter().enumerate() {
        let between_words =
            !encoded && text.trim().is_empty() && i > 0 && parts[i - 1].0 && parts.get(i + 1).is_some_and(|(e, _)| *e);
        if !between_words {
            out.push_str(text);
        }
    }
    out
}

/// Decodes one `=?charset?enc?text?=` at the start of `s`; returns the text and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (enc, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let payload = &body[..end];
    let bytes = match enc.to_ascii_uppercase().as_str() {
        "B" => base64::engine::general_purpose::STANDARD.decode(payload).ok()?,
        "Q" => q_decode(payload)?,
        _ => return None,
    };
    let text = match charset.to_ascii_lowercase().as_str() {
        "iso-8859-1" | "latin1" => bytes.iter().map(|b| char::from(*b)).collect(),
        _ => String::from_utf8_lossy(&bytes).into_owned(),
    };
    Some((text, 2 + charset.len() + 1 + enc.len() + 1 + end + 2))
}

fn q_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_found_unfolded_and_decoded() {
        let cases: [(&str, Option<&str>); 7] = [
            ("Subject: Hello\r\n\r\nbody", Some("Hello")),
            ("From: a\r\nsubject:  Folded\r\n line\r\n\r\n", Some("Folded line")),
            ("From: a\r\n\r\nSubject: in body", None),
            ("Subject: =?utf-8?B?RmVobGVyIGJlaSBCZXN0ZWxsdW5nIMOcMQ==?=\r\n\r\n", Some("Fehler bei Bestellung Ü1")),
            ("Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus?= Berlin\r\n\r\n", Some("Grüße aus Berlin")),
            ("Subject: =?utf-8?B?QQ==?=\r\n =?utf-8?B?Qg==?=\r\n\r\n", Some("AB")),
            ("Subject: =?iso-8859-1?Q?caf=E9?= =?bogus\r\n\r\n", Some("café =?bogus")),
        ];
        for (raw, expected) in cases {
            assert_eq!(subject(raw.as_bytes()).as_deref(), expected, "{raw:?}");
        }
    }
}
