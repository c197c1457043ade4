//! Bearer authentication for gRPC callers. The kit checks the `authorization` header through an
//! [`Authenticator`] the service provides and puts the [`Principal`] into the request
//! extensions; handlers read it with `request.extensions().get::<Principal>()`.

use std::collections::HashMap;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{ConfigError, Env};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Caller name, e.g. a service or an agent login.
    pub subject: String,
    /// Roles, e.g. `service`, `admin`, `standard`.
    pub roles: Vec<String>,
}

impl Principal {
    /// True when the caller has `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// Verifies bearer tokens.
pub trait Authenticator: Send + Sync + 'static {
    /// The principal for `token`, or `None` when the token is unknown or expired.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>>;
}

/// Fixed service tokens from configuration: `SERVICE_TOKENS=name:token,name2:token2` (or
/// `SERVICE_TOKENS_FILE`). Every such caller gets the role `service`.
pub struct StaticTokens {
    /// Token → caller name.
    tokens: HashMap<String, String>,
}

impl StaticTokens {
    /// Reads `SERVICE_TOKENS`; `None` when unset (authentication off).
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(secret) = env.secret_optional("SERVICE_TOKENS")? else { return Ok(None) };
        Self::parse(&secret).map(Some)
    }

    /// Parses `name:token,...`.
    pub fn parse(secret: &SecretString) -> Result<Self, ConfigError> {
        let mut tokens = HashMap::new();
        for pair in secret.expose_secret().split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, token) = pair
                .split_once(':')
                .ok_or_else(|| ConfigError::new("SERVICE_TOKENS", "expected name:token pairs separated by commas"))?;
            if name.is_empty() || token.len() < 16 {
                return Err(ConfigError::new("SERVICE_TOKENS", "every token needs a name and at least 16 characters"));
            }
            tokens.insert(token.to_owned(), name.to_owned());
        }
        Ok(StaticTokens { tokens })
    }
}

impl Authenticator for StaticTokens {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>> {
        let found = self
            .tokens
            .iter()
            .find(|(t, _)| constant_time_eq(t.as_bytes(), token.as_bytes()))
            .map(|(_, name)| Principal { subject: name.clone(), roles: vec!["service".into()] });
        Box::pin(async move { found })
    }
}

/// Compares without an early exit, so timing reveals nothing about the token.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_tokens_authenticate_known_callers_only() {
        let t = StaticTokens::parse(&SecretString::from("hotline:0123456789abcdef0123")).unwrap();
        let p = t.authenticate("0123456789abcdef0123").await.unwrap();
        assert_eq!(p.subject, "hotline");
        assert!(p.has_role("service"));
        assert!(t.authenticate("0123456789abcdef0124").await.is_none());
        assert!(t.authenticate("").await.is_none());
        let err = StaticTokens::parse(&SecretString::from("short:abc")).err().unwrap();
        assert_eq!(err.var, "SERVICE_TOKENS");
        assert!(!err.to_string().contains("abc"));
    }
}
