//! Who may call: bearer tokens from configuration, each naming a caller and its roles.
//!
//! - `SERVICE_TOKENS=name:token,…` (or `_FILE`): other services; role `service`.
//! - `MANAGER_TOKENS=name:token,…` (or `_FILE`): managers (or the portal acting for one);
//!   role `manager`. The name is the actor recorded in payment history and events.
//!
//! With neither set, authentication is off and no caller has a role, so every manager-only
//! call is refused (PERMISSION_DENIED) — the safe default for a laptop.

use futures::future::BoxFuture;
use kit::config::{ConfigError, Env};
use kit::grpc::auth::{Authenticator, Principal, constant_time_eq};
use secrecy::{ExposeSecret, SecretString};

/// The manager role.
pub const MANAGER: &str = "manager";
/// The service role.
pub const SERVICE: &str = "service";

/// Tokens with their callers and roles.
pub struct RoleTokens {
    /// (token, principal).
    tokens: Vec<(String, Principal)>,
}

impl std::fmt::Debug for RoleTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.tokens.iter().map(|(_, p)| p.subject.as_str()).collect();
        f.debug_struct("RoleTokens").field("callers", &names).finish()
    }
}

fn parse(var: &str, secret: &SecretString, role: &str, into: &mut Vec<(String, Principal)>) -> Result<(), ConfigError> {
    for pair in secret.expose_secret().split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, token) = pair
            .split_once(':')
            .ok_or_else(|| ConfigError::new(var, "expected name:token pairs separated by commas"))?;
        if name.is_empty() || token.len() < 16 {
            return Err(ConfigError::new(var, "every token needs a name and at least 16 characters"));
        }
        if into.iter().any(|(t, _)| t == token) {
            return Err(ConfigError::new(var, format!("the token of {name} is used twice")));
        }
        into.push((token.to_owned(), Principal { subject: name.to_owned(), roles: vec![role.to_owned()] }));
    }
    Ok(())
}

impl RoleTokens {
    /// Reads `SERVICE_TOKENS` and `MANAGER_TOKENS`; `None` when both are unset.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let services = env.secret_optional("SERVICE_TOKENS")?;
        let managers = env.secret_optional("MANAGER_TOKENS")?;
        if services.is_none() && managers.is_none() {
            return Ok(None);
        }
        let mut tokens = Vec::new();
        if let Some(s) = services {
            parse("SERVICE_TOKENS", &s, SERVICE, &mut tokens)?;
        }
        if let Some(m) = managers {
            parse("MANAGER_TOKENS", &m, MANAGER, &mut tokens)?;
        }
        Ok(Some(RoleTokens { tokens }))
    }
}

impl Authenticator for RoleTokens {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>> {
        let mut found = None;
        // Compare with every token so timing tells nothing about which one matched.
        for (t, p) in &self.tokens {
            if constant_time_eq(t.as_bytes(), token.as_bytes()) {
                found = Some(p.clone());
            }
        }
        Box::pin(async move { found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_carry_their_role_and_bad_config_names_the_variable() {
        let env = Env::from_pairs([
            ("SERVICE_TOKENS", "shop:service-token-0123456789"),
            ("MANAGER_TOKENS", "maria:manager-token-0123456789"),
        ]);
        let t = RoleTokens::from_env(&env).unwrap().unwrap();
        let m = t.authenticate("manager-token-0123456789").await.unwrap();
        assert_eq!((m.subject.as_str(), m.has_role(MANAGER), m.has_role(SERVICE)), ("maria", true, false));
        let s = t.authenticate("service-token-0123456789").await.unwrap();
        assert!(s.has_role(SERVICE) && !s.has_role(MANAGER));
        assert!(t.authenticate("nope-nope-nope-nope").await.is_none());
        assert!(!format!("{t:?}").contains("token-0123"));
        assert!(RoleTokens::from_env(&Env::default()).unwrap().is_none());
        let err = RoleTokens::from_env(&Env::from_pairs([("MANAGER_TOKENS", "maria:short")])).unwrap_err();
        assert_eq!(err.var, "MANAGER_TOKENS");
        assert!(!err.to_string().contains("short"));
    }
}
