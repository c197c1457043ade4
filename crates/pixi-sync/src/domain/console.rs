//! The console's people (CN-01): roles and what each may do, named with the permission names of
//! pixi-sync's gRPC permission table (`src/grpc/permissions.rs`), so a console user and a gRPC
//! caller with the same permissions can do exactly the same; login names, passwords, and when a
//! session ends (idle and absolute time, SE-06). Pure: no I/O, no clock reads.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Read tenants, configurations, orders (every role).
pub const READ: [&str; 3] = ["pixi.tenants.read", "pixi.config.read", "pixi.orders.read"];
/// Work on orders: "Problem gelöst", "Erneut versuchen", reconciliation on demand.
pub const WORK: [&str; 3] = ["pixi.orders.resolve", "pixi.orders.retry", "pixi.orders.reconcile"];
/// Change the configuration, run the preflight, manage the console users of the tenant.
pub const ADMINISTER: [&str; 4] =
    ["pixi.config.write", "pixi.preflight.run", "pixi.console_users.read", "pixi.console_users.write"];
/// Create tenants: only payops operators (users for every tenant) who administer.
pub const CREATE_TENANTS: &str = "pixi.tenants.create";

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Sees everything of its tenant, changes nothing.
    Viewer,
    /// Also works on problem orders.
    Operator,
    /// Also configures and manages the tenant's console users.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The German label the console shows.
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Lesen",
            Role::Operator => "Bearbeiten",
            Role::Admin => "Verwalten",
        }
    }

    /// The permissions of this role; `all_tenants` (a payops operator) adds tenant creation to
    /// the administering role.
    pub fn permissions(self, all_tenants: bool) -> Vec<&'static str> {
        let mut p: Vec<&'static str> = READ.to_vec();
        if self >= Role::Operator {
            p.extend(WORK);
        }
        if self >= Role::Admin {
            p.extend(ADMINISTER);
            if all_tenants {
                p.push(CREATE_TENANTS);
            }
        }
        p
    }
}

/// Why a login name or password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserInputError {
    /// Bad login name.
    #[error("must be 3 to 64 characters of a-z, 0-9, '.', '_', '-' or '@'")]
    Username,
    /// Password too short.
    #[error("must be at least {MIN_PASSWORD} characters")]
    PasswordTooShort,
    /// Password too long.
    #[error("must be at most 200 characters")]
    PasswordTooLong,
    /// Display name.
    #[error("must be 1 to 100 characters without control characters")]
    DisplayName,
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// A login name: lower case, 3 to 64 characters of `a-z 0-9 . _ - @` (an e-mail address fits).
pub fn username(raw: &str) -> Result<String, UserInputError> {
    let s = raw.trim().to_ascii_lowercase();
    if (3..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b)) {
        Ok(s)
    } else {
        Err(UserInputError::Username)
    }
}

/// A new password: long enough, not absurdly long.
pub fn password(raw: &str) -> Result<(), UserInputError> {
    let n = raw.chars().count();
    if n < MIN_PASSWORD {
        Err(UserInputError::PasswordTooShort)
    } else if n > 200 {
        Err(UserInputError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// A display name.
pub fn display_name(raw: &str) -> Result<String, UserInputError> {
    let s = raw.trim();
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        Err(UserInputError::DisplayName)
    } else {
        Ok(s.to_owned())
    }
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable; `last_seen_at` moves to now.
    Live,
    /// Unused for longer than the idle time.
    Idle,
    /// Past its absolute end.
    Expired,
}

/// A session last used at `last_seen` that ends absolutely at `expires_at`.
pub fn session_state(
    last_seen: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    idle: Duration,
) -> SessionState {
    if now >= expires_at {
        SessionState::Expired
    } else if (now - last_seen).to_std().unwrap_or_default() >= idle {
        SessionState::Idle
    } else {
        SessionState::Live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grow_and_only_operators_for_every_tenant_create_tenants() {
        let viewer = Role::Viewer.permissions(false);
        assert_eq!(viewer, READ.to_vec());
        let op = Role::Operator.permissions(false);
        assert!(op.contains(&"pixi.orders.resolve") && !op.contains(&"pixi.config.write"));
        let admin = Role::Admin.permissions(false);
        assert!(admin.contains(&"pixi.config.write") && !admin.contains(&CREATE_TENANTS));
        assert!(Role::Admin.permissions(true).contains(&CREATE_TENANTS));
        assert!(!Role::Operator.permissions(true).contains(&CREATE_TENANTS));
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn names_and_passwords() {
        assert_eq!(username(" Anna.Muster@Shop.CH ").unwrap(), "anna.muster@shop.ch");
        for bad in ["ab", "anna muster", "änna", &"a".repeat(65)] {
            assert_eq!(username(bad), Err(UserInputError::Username), "{bad}");
        }
        assert!(password("kurz").is_err());
        assert!(password("lang-genug-123").is_ok());
        assert!(display_name("  ").is_err());
    }

    #[test]
    fn sessions_end_when_idle_and_at_their_absolute_end() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let idle = Duration::from_secs(1800);
        let end = t0 + chrono::Duration::hours(10);
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        assert_eq!(session_state(t0, end, at(1799), idle), SessionState::Live);
        assert_eq!(session_state(t0, end, at(1800), idle), SessionState::Idle);
        assert_eq!(session_state(at(35_000), end, at(36_000), idle), SessionState::Expired);
    }
}
