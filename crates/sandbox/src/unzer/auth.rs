//! HTTP Basic authentication with the private key as user name and an empty password (§1.1).
//! A public key may only create payment types; on anything else it gets 403.

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;

use super::model::State;
use super::wire::{ApiError, codes};

/// An authenticated caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) merchant: usize,
}

/// Why the `Authorization` header was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFail {
    Missing,
    WrongMethod,
    Malformed,
}

/// The key in an `Authorization: Basic base64("<key>:")` header.
pub(crate) fn parse_basic(header: Option<&str>) -> Result<String, AuthFail> {
    let h = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(AuthFail::Missing)?;
    let (scheme, rest) = h.split_once(' ').ok_or(AuthFail::WrongMethod)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AuthFail::WrongMethod);
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).map_err(|_| AuthFail::Malformed)?;
    let text = String::from_utf8(raw).map_err(|_| AuthFail::Malformed)?;
    let key = text.split_once(':').map_or(text.as_str(), |(k, _)| k);
    if key.is_empty() {
        return Err(AuthFail::Malformed);
    }
    Ok(key.to_owned())
}

/// Whether a failed call carried a public key (its error body then has no `merchantMessage`).
pub(crate) fn is_public(st: &State, headers: &HeaderMap) -> bool {
    let h = headers.get("authorization").and_then(|v| v.to_str().ok());
    parse_basic(h).is_ok_and(|k| st.merchants.iter().any(|m| m.public_key == k))
}

/// Authenticates a request; `private` resources refuse public keys with 403.
pub(crate) fn check(st: &State, headers: &HeaderMap, private: bool) -> Result<Caller, ApiError> {
    let h = headers.get("authorization").and_then(|v| v.to_str().ok());
    let key = parse_basic(h).map_err(|f| match f {
        AuthFail::Missing => ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::MISSING_LOGIN,
            "Authentication failed: no API key was sent. Use HTTP Basic with the private key as user name.",
        ),
        AuthFail::WrongMethod => ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::WRONG_AUTH_METHOD,
            "Wrong authentication method: use HTTP Basic with your key.",
        ),
        AuthFail::Malformed => ApiError::new(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_KEY,
            "Invalid key: the Basic credentials are malformed.",
        ),
    })?;
    for (i, m) in st.merchants.iter().enumerate() {
        if m.private_key == key {
            return Ok(Caller { merchant: i });
        }
        if m.public_key == key {
            if private {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    codes::INSUFFICIENT_PERMISSION,
                    "Insufficient permission: a public key cannot access this resource. Use the private key.",
                ));
            }
            return Ok(Caller { merchant: i });
        }
    }
    Err(ApiError::new(StatusCode::UNAUTHORIZED, codes::INVALID_KEY, "Invalid key: the given key is not known."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_parse() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let cases = [
            (None, Err(AuthFail::Missing)),
            (Some(String::new()), Err(AuthFail::Missing)),
            (Some(format!("Basic {}", b64("s-priv-abc:"))), Ok("s-priv-abc".to_owned())),
            (Some(format!("basic {}", b64("s-priv-abc"))), Ok("s-priv-abc".to_owned())),
            (Some(format!("Basic {}", b64(":"))), Err(AuthFail::Malformed)),
            (Some("Basic !!!".to_owned()), Err(AuthFail::Malformed)),
            (Some("Bearer eyJ0eXAi".to_owned()), Err(AuthFail::WrongMethod)),
            (Some("s-priv-abc".to_owned()), Err(AuthFail::WrongMethod)),
        ];
        for (header, expected) in cases {
            assert_eq!(parse_basic(header.as_deref()), expected, "{header:?}");
        }
    }
}
