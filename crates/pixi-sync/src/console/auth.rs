//! Console logins and sessions (CN-01, SE-06): argon2id password hashes checked off the async
//! threads, one answer for every wrong credential (an unknown name costs the same time), a
//! throttle per login name and per client address that counts an attempt before the password
//! is checked (parallel guesses cannot pass the limit), sessions that end after an idle time and
//! after an absolute time, a CSRF token per session. Logins, refusals and logouts are audited.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use chrono::{DateTime, Utc};
use kit::clock::SharedClock;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use crate::config::ConsoleConfig;
use crate::domain::console::{Role, SessionState, session_state};
use crate::secrets::{token, token_hash};
use crate::store::{audit, console as store};

/// A logged-in console user.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Login name: what audit records name as the actor.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The tenant it is bound to; `None` for a payops operator (every tenant).
    pub tenant_id: Option<Uuid>,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// SHA-256 of the session token.
    pub token_hash: Vec<u8>,
}

impl User {
    /// The permissions of the user's role, as named in the gRPC permission table.
    pub fn permissions(&self) -> Vec<&'static str> {
        self.role.permissions(self.tenant_id.is_none())
    }

    /// Whether the user holds `permission`.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions().contains(&permission)
    }

    /// Whether the user may act for `tenant`.
    pub fn may_act_for(&self, tenant: Uuid) -> bool {
        self.tenant_id.is_none_or(|t| t == tenant)
    }
}

/// A fresh login: the token goes into the cookie, once.
#[derive(Debug)]
pub struct Login {
    /// The session token.
    pub token: SecretString,
    /// The user.
    pub user: User,
}

/// Logins and sessions.
#[derive(Clone)]
pub struct Auth {
    pool: PgPool,
    clock: SharedClock,
    config: ConsoleConfig,
    /// A hash of a random password: verified for unknown names so their timing matches.
    dummy: Arc<OnceLock<String>>,
}

impl Auth {
    /// Over `pool` with the console's settings.
    pub fn new(pool: PgPool, clock: SharedClock, config: ConsoleConfig) -> Self {
        Auth { pool, clock, config, dummy: Arc::new(OnceLock::new()) }
    }

    /// The settings.
    pub fn config(&self) -> &ConsoleConfig {
        &self.config
    }

    /// Checks the credentials; `client` is the caller's address (throttle key).
    pub async fn login(&self, username: &str, password: &str, client: Option<&str>) -> ApiResult<Login> {
        let name = username.trim().to_ascii_lowercase();
        let mut keys = vec![format!("user:{name}")];
        if let Some(c) = client {
            keys.push(format!("client:{c}"));
        }
        let now = self.clock.now();
        self.check_throttle(&keys, now).await?;
        // The attempt counts before the password is checked; a success takes it back.
        let attempt = store::add_failures(&self.pool, &keys, now).await?;
        let found = match crate::domain::console::username(&name) {
            Ok(n) => store::by_username(&self.pool, &n).await?,
            Err(_) => None,
        };
        let (ok, user) = match found {
            Some((u, hash)) if u.active => (verify(hash, password.to_owned()).await, Some(u)),
            _ => {
                let dummy = self.dummy_hash().await;
                let _ = verify(dummy, password.to_owned()).await;
                (false, None)
            }
        };
        let Some(row) = user.filter(|_| ok) else {
            // The typed name is not logged (it may be a password typed into the wrong field).
            tracing::info!("console login refused");
            self.audit(None, "console_login_refused", "", json!({})).await;
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "INVALID_CREDENTIALS",
                "Anmeldung fehlgeschlagen: Benutzername oder Passwort falsch.",
            ));
        };
        store::delete_failures(&self.pool, &attempt).await?;
        store::clear_failures(&self.pool, &keys[0]).await?;
        let role = Role::parse(&row.role)
            .ok_or_else(|| ApiError::from(crate::error::Error::Corrupt("console role".into())))?;
        let session_token = token();
        let csrf_token = token();
        let expires_at = after(now, self.config.session_max);
        let hash = token_hash(&session_token);
        store::insert_session(&self.pool, &hash, row.id, &csrf_token, now, expires_at).await?;
        let user = User {
            id: row.id,
            username: row.username.clone(),
            display_name: row.display_name.clone(),
            role,
            tenant_id: row.tenant_id,
            csrf_token,
            token_hash: hash,
        };
        tracing::info!(user = %user.username, role = role.as_str(), "console login");
        self.audit(user.tenant_id, "console_login", &user.username, json!({ "role": role.as_str() })).await;
        Ok(Login { token: SecretString::from(session_token), user })
    }

    /// The user of session `token`, if the session lives; marks it used.
    pub async fn authenticate(&self, token: &str) -> ApiResult<User> {
        if token.is_empty() || token.len() > 200 {
            return Err(ApiError::unauthenticated());
        }
        let hash = token_hash(token);
        let s = store::session(&self.pool, &hash).await?.ok_or_else(ApiError::unauthenticated)?;
        let now = self.clock.now();
        match session_state(s.last_seen_at, s.expires_at, now, self.config.session_idle) {
            SessionState::Live => {}
            ended => {
                store::delete_session(&self.pool, &hash).await?;
                tracing::info!(state = ?ended, "console session ended");
                return Err(ApiError::unauthenticated());
            }
        }
        let row =
            store::user(&self.pool, s.user_id).await?.filter(|u| u.active).ok_or_else(ApiError::unauthenticated)?;
        let role = Role::parse(&row.role).ok_or_else(ApiError::unauthenticated)?;
        store::touch_session(&self.pool, &hash, now).await?;
        Ok(User {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role,
            tenant_id: row.tenant_id,
            csrf_token: s.csrf_token,
            token_hash: hash,
        })
    }

    /// Ends the session.
    pub async fn logout(&self, user: &User) -> ApiResult<()> {
        store::delete_session(&self.pool, &user.token_hash).await?;
        self.audit(user.tenant_id, "console_logout", &user.username, json!({})).await;
        Ok(())
    }

    /// Creates the operator of `CONSOLE_BOOTSTRAP_ADMIN` when the console has no user yet.
    pub async fn bootstrap(&self) -> Result<bool, crate::error::Error> {
        let Some((name, password)) = self.config.bootstrap_admin.clone() else { return Ok(false) };
        if store::count(&self.pool).await? > 0 {
            return Ok(false);
        }
        let hash = self.hash(password.expose_secret()).await?;
        let now = self.clock.now();
        let created = store::insert_user(&self.pool, None, &name, &name, Role::Admin.as_str(), &hash, now).await?;
        if created.is_some() {
            tracing::info!(user = %name, "console operator created (CONSOLE_BOOTSTRAP_ADMIN)");
            let mut tx = self.pool.begin().await?;
            audit::record(&mut tx, now, "bootstrap", "console_user_created", None, &name, json!({ "role": "admin" }))
                .await?;
            tx.commit().await?;
        }
        Ok(created.is_some())
    }

    /// A new argon2id hash with the configured cost.
    pub async fn hash(&self, password: &str) -> Result<String, crate::error::Error> {
        let (m, t) = (self.config.hash_memory_kib, self.config.hash_iterations);
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let params =
                Params::new(m, t, 1, None).map_err(|e| crate::error::Error::Corrupt(format!("argon2: {e}")))?;
            let salt = SaltString::generate(&mut OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| crate::error::Error::Corrupt(format!("argon2: {e}")))
        })
        .await
        .map_err(|e| crate::error::Error::Corrupt(format!("hashing task: {e}")))?
    }

    /// Deletes ended sessions and old failures.
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        let now = self.clock.now();
        store::prune(
            &self.pool,
            now,
            before(now, self.config.session_idle),
            before(now, self.config.failure_window * 2),
        )
        .await
    }

    async fn check_throttle(&self, keys: &[String], now: DateTime<Utc>) -> ApiResult<()> {
        let since = before(now, self.config.failure_window);
        for key in keys {
            let max = if key.starts_with("client:") {
                self.config.max_failures.saturating_mul(4)
            } else {
                self.config.max_failures
            };
            if store::failures(&self.pool, key, since).await? >= i64::from(max) {
                tracing::warn!(key = key.split(':').next().unwrap_or(""), "console login throttled");
                let minutes = self.config.failure_window.as_secs().div_ceil(60);
                return Err(ApiError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "LOGIN_THROTTLED",
                    format!("Zu viele Fehlversuche. Bitte in {minutes} Minuten erneut versuchen."),
                ));
            }
        }
        Ok(())
    }

    async fn dummy_hash(&self) -> String {
        if let Some(h) = self.dummy.get() {
            return h.clone();
        }
        let h = self.hash(&token()).await.unwrap_or_default();
        self.dummy.get_or_init(|| h).clone()
    }

    /// Best effort: a login works even when its audit row cannot be written (it is logged).
    async fn audit(&self, tenant: Option<Uuid>, action: &str, actor: &str, detail: serde_json::Value) {
        let now = self.clock.now();
        let actor = if actor.is_empty() { "anonymous" } else { actor };
        let write = async {
            let mut tx = self.pool.begin().await?;
            audit::record(&mut tx, now, actor, action, tenant, actor, detail).await?;
            tx.commit().await
        };
        if let Err(e) = write.await {
            tracing::warn!(error = %e, action, "console audit row not written");
        }
    }
}

fn after(now: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(10))
}

fn before(now: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(15))
}

/// Verifies `password` against a PHC string off the async threads.
async fn verify(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|p| Argon2::default().verify_password(password.as_bytes(), &p).is_ok())
    })
    .await
    .unwrap_or(false)
}
