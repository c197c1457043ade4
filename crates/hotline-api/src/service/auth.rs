//! Agents, logins and tokens (HL-01 … HL-03, SE-05, SE-06): argon2id password hashes (slow,
//! salted, run off the async threads), sessions that end after an absolute and an idle time,
//! one generic error for every wrong credential, the login throttle per user name and client
//! address and per client address (an attempt is counted before its password is checked), the
//! step-up check before a code is generated, and the fixed service tokens of other services.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use kit::grpc::Authenticator;
use kit::grpc::auth::Credentials;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::SecurityConfig;
use crate::domain::agent::{Actor, Role, Username, check_new_password};
use crate::domain::throttle::{Verdict, decide};
use crate::error::{Error, Result};
use crate::store::{agents, sessions};

/// How a caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// The page (cookie + CSRF token).
    Web,
    /// A bearer token from Login.
    Api,
    /// A fixed service token.
    Service,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub actor: Actor,
    /// How.
    pub kind: SessionKind,
    /// The CSRF token of a web session.
    pub csrf_token: Option<String>,
    /// SHA-256 of the token (not for service tokens).
    pub token_hash: Option<Vec<u8>>,
}

/// A fresh login.
#[derive(Debug, Clone)]
pub struct Login {
    /// The bearer / cookie token (shown once).
    pub token: SecretString,
    /// CSRF token (web sessions).
    pub csrf_token: String,
    /// End of the session.
    pub expires_at: DateTime<Utc>,
    /// The agent.
    pub actor: Actor,
}

/// The kit's authenticator for the gRPC server: agents' sessions (their role's permissions)
/// and service credentials, with the [`Session`] attached for the handlers.
pub struct GrpcAuthenticator(pub Arc<super::Hotline>);

impl Authenticator for GrpcAuthenticator {
    fn authenticate<'a>(&'a self, token: &'a str) -> futures::future::BoxFuture<'a, Option<kit::grpc::Principal>> {
        Box::pin(async move {
            let (session, permissions) = self.0.auth.authenticate_with_permissions(token).await.ok()?;
            Some(kit::grpc::Principal {
                subject: session.actor.name.clone(),
                permissions,
                tenants: kit::grpc::Tenants::All,
                context: Some(Arc::new(session)),
            })
        })
    }
}

/// Refused gRPC calls go to the audit log like refusals of the page (HL-01): action
/// `refused`, target the agent permission's name.
pub struct GrpcDenials(pub Arc<super::Hotline>);

impl kit::grpc::auth::DenialSink for GrpcDenials {
    fn record<'a>(&'a self, d: &'a kit::grpc::auth::Denial) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async move {
            let Some(session) = d.principal.context::<Session>() else { return };
            let target = crate::domain::agent::PERMISSIONS
                .iter()
                .find(|p| p.name() == d.permission)
                .map_or(d.permission, |p| p.as_str());
            let entry = super::audit::entry(&session.actor, "refused", target, "refused");
            if let Err(e) = self.0.audit(entry).await {
                tracing::error!(error = %e, "refused call could not be audited");
            }
        })
    }
}

/// Logins, sessions and tokens.
pub struct Auth {
    pool: PgPool,
    clock: SharedClock,
    config: SecurityConfig,
    /// Other services and tools (`CALLERS`); `None` only with `ALLOW_UNAUTHENTICATED=local-only`.
    callers: Option<Arc<Credentials>>,
    /// A hash of a random password, verified for unknown user names so their timing matches.
    dummy_hash: Arc<OnceLock<String>>,
}

impl Auth {
    /// Auth on `pool`; `callers` are the service credentials of `CALLERS`.
    pub fn new(pool: PgPool, clock: SharedClock, config: SecurityConfig, callers: Option<Arc<Credentials>>) -> Self {
        Auth { pool, clock, config, callers, dummy_hash: Arc::new(OnceLock::new()) }
    }

    /// The throttle window.
    pub fn failure_window(&self) -> Duration {
        self.config.failure_window
    }

    /// The client address of a request (SE-05): the socket `peer`, or, when the peer is a
    /// trusted proxy, the rightmost `X-Forwarded-For` entry outside the trusted ranges; as the
    /// throttle keys it (an IPv6 client by its /64).
    pub fn client_address(&self, peer: Option<std::net::IpAddr>, forwarded_for: &[&str]) -> Option<String> {
        let peer = peer?;
        let ip = crate::domain::client_addr::client_address(peer, forwarded_for, &self.config.trusted_proxies);
        Some(crate::domain::client_addr::throttle_key(ip))
    }

    /// A session unused this long ends (SE-06).
    pub fn session_idle(&self) -> Duration {
        self.config.session_idle
    }

    /// Whether session cookies are always `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.config.secure_cookies
    }

    /// Checks the credentials (HL-03, SE-05). The attempt is counted as a failure for the
    /// (user name, client) pair and for the client before the password is checked — atomically,
    /// so parallel guesses cannot pass the limit — and forgotten again when the password was
    /// right. A throttled pair is refused before any check; the same name from another address
    /// is not affected. A wrong user name and a wrong password get the same error and take the
    /// same time; what was typed as the user name is never logged.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
        kind: SessionKind,
    ) -> Result<Login> {
        // Longer input is no valid name anyway; the cap keeps throttle keys small.
        let name: String = username.trim().to_ascii_lowercase().chars().take(70).collect();
        let client = client.unwrap_or("unknown");
        let max = self.config.max_failures;
        // SE-07: the throttle key is stored; control characters (a NUL is refused by Postgres)
        // become '?', while the name itself still fails its own parse below.
        let key_name: String = name.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
        let keys =
            vec![(format!("pair:{key_name}|{client}"), max), (format!("client:{client}"), max.saturating_mul(4))];
        let attempt = self.count_attempt(&keys).await?;
        let row = match Username::parse(&name) {
            Ok(u) => agents::by_username(&self.pool, u.as_str()).await?,
            Err(_) => None,
        };
        let (ok, row) = match row {
            Some(r) if r.active => (verify(r.password_hash.clone(), password.to_owned()).await, Some(r)),
            _ => {
                let dummy = self.dummy_hash().await;
                let _ = verify(dummy, password.to_owned()).await;
                (false, None)
            }
        };
        let Some(row) = row.filter(|_| ok) else {
            tracing::info!("login refused");
            return Err(Error::BadCredentials);
        };
        sessions::forget_attempts(&self.pool, &attempt).await?;
        sessions::clear_failures(&self.pool, &keys[0].0).await?;
        let actor = Actor {
            name: row.username.clone(),
            display_name: row.display_name.clone(),
            role: row.role(),
            agent_id: Some(row.id),
        };
        let token = random_token();
        let csrf_token = random_token();
        let now = self.clock.now();
        let expires_at =
            now + chrono::Duration::from_std(self.config.session_ttl).unwrap_or(chrono::Duration::hours(10));
        let kind_name = if kind == SessionKind::Web { "web" } else { "api" };
        sessions::insert(&self.pool, &hash_token(&token), row.id, kind_name, &csrf_token, now, expires_at).await?;
        tracing::info!(user = %actor.name, role = actor.role.as_str(), "logged in");
        Ok(Login { token: SecretString::from(token), csrf_token, expires_at, actor })
    }

    /// The caller behind `token`: a service credential or a live session.
    pub async fn authenticate(&self, token: &str) -> Result<Session> {
        self.authenticate_with_permissions(token).await.map(|(s, _)| s)
    }

    /// The caller behind `token` with its permissions (the kit's names): a service credential's
    /// own, or those of the agent's role.
    pub async fn authenticate_with_permissions(&self, token: &str) -> Result<(Session, Vec<String>)> {
        if token.is_empty() {
            return Err(Error::Unauthenticated);
        }
        if let Some(p) = match &self.callers {
            Some(c) => c.authenticate(token).await,
            None => None,
        } {
            let actor =
                Actor { name: p.subject.clone(), display_name: p.subject.clone(), role: Role::Service, agent_id: None };
            let session = Session { actor, kind: SessionKind::Service, csrf_token: None, token_hash: None };
            return Ok((session, p.permissions));
        }
        let hash = hash_token(token);
        let now = self.clock.now();
        let idle = chrono::Duration::from_std(self.config.session_idle).unwrap_or(chrono::Duration::minutes(30));
        let row = sessions::find(&self.pool, &hash, now, now - idle).await?.ok_or(Error::Unauthenticated)?;
        let actor = Actor {
            name: row.username,
            display_name: row.display_name,
            role: Role::parse(&row.role).unwrap_or(Role::Standard),
            agent_id: Some(row.agent_id),
        };
        let kind = if row.kind == "web" { SessionKind::Web } else { SessionKind::Api };
        let permissions = crate::domain::agent::permission_names(actor.role).iter().map(|p| (*p).to_owned()).collect();
        Ok((Session { actor, kind, csrf_token: Some(row.csrf_token), token_hash: Some(hash) }, permissions))
    }

    /// Ends the session.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        if let Some(h) = &session.token_hash {
            sessions::delete(&self.pool, h).await?;
        }
        Ok(())
    }

    /// The step-up check (HL-02): the agent's own password again, throttled like a login.
    /// Counted before the check like a login, on a key of its own: only the logged-in agent
    /// can reach it, so it cannot be used to lock anybody else out.
    pub async fn step_up(&self, actor: &Actor, password: &str) -> Result<()> {
        let keys = vec![(format!("stepup:{}", actor.name), self.config.max_failures)];
        let attempt = self.count_attempt(&keys).await?;
        let Some(id) = actor.agent_id else { return Err(Error::StepUpFailed) };
        let row = agents::by_id(&self.pool, id).await?.filter(|r| r.active).ok_or(Error::StepUpFailed)?;
        if verify(row.password_hash, password.to_owned()).await {
            sessions::forget_attempts(&self.pool, &attempt).await?;
            return Ok(());
        }
        Err(Error::StepUpFailed)
    }

    /// Creates an agent; the password must be long enough.
    pub async fn create_agent(&self, username: &str, display_name: &str, role: Role, password: &str) -> Result<Actor> {
        let mut v = kit::grpc::status::Violations::new();
        let name = v.check("username", Username::parse(username));
        let display = display_name.trim();
        if display.is_empty() || display.chars().count() > 100 {
            v.add("display_name", "1 to 100 characters");
        }
        if role == Role::Service {
            v.add("role", "must be standard or admin");
        }
        v.check("password", check_new_password(password));
        let Some(name) = name.filter(|_| v.is_empty()) else { return Err(Error::Invalid(v)) };
        let hash = self.hash(password).await?;
        let id = agents::insert(&self.pool, name.as_str(), display, role, &hash, self.clock.now())
            .await?
            .ok_or(Error::AgentExists)?;
        tracing::info!(user = %name, role = role.as_str(), "agent created");
        Ok(Actor { name: name.as_str().to_owned(), display_name: display.to_owned(), role, agent_id: Some(id) })
    }

    /// Creates the first admin when there is no agent yet; true when it did.
    pub async fn bootstrap_admin(&self, username: &str, password: &SecretString) -> Result<bool> {
        if agents::count(&self.pool).await? > 0 {
            return Ok(false);
        }
        match self.create_agent(username, username, Role::Admin, password.expose_secret()).await {
            Ok(_) => Ok(true),
            Err(Error::AgentExists) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Counts an attempt on every key, refusing when one of them is throttled (SE-05).
    async fn count_attempt(&self, keys: &[(String, u32)]) -> Result<Vec<i64>> {
        let now = self.clock.now();
        let window = chrono::Duration::from_std(self.config.failure_window).unwrap_or(chrono::Duration::minutes(15));
        match sessions::count_attempt(&self.pool, keys, now, now - window).await? {
            Ok(ids) => Ok(ids),
            Err((limit, failures)) => {
                let retry_after_secs = match decide(&failures, now, limit, self.config.failure_window) {
                    Verdict::Locked { retry_after_secs } => retry_after_secs,
                    Verdict::Allowed => 1,
                };
                tracing::warn!(retry_after_secs, "login throttled");
                Err(Error::Throttled { retry_after_secs })
            }
        }
    }

    /// A new argon2id hash with the configured cost.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let (m, t) = (self.config.hash_memory_kib, self.config.hash_iterations);
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let params = Params::new(m, t, 1, None).map_err(|e| Error::Internal(format!("argon2 params: {e}")))?;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Internal(format!("argon2: {e}")))
        })
        .await
        .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
    }

    async fn dummy_hash(&self) -> String {
        if let Some(h) = self.dummy_hash.get() {
            return h.clone();
        }
        let h = self.hash(&random_token()).await.unwrap_or_default();
        self.dummy_hash.get_or_init(|| h).clone()
    }
}

/// Verifies `password` against a PHC string off the async threads.
async fn verify(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// 256 random bits, URL-safe.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token: what the database keeps.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
