//! Agents and what each access level may do (HL-01): Standard agents look up codes and create
//! tickets, Admins additionally generate codes, manage agents and read the audit log; other
//! services calling with a service token have standard rights but can never step up.

use std::fmt;

/// An access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 🔵 Standard — Code abfragen, Tickets erstellen.
    Standard,
    /// 🔴 Admin — zusätzlich neue Codes generieren.
    Admin,
    /// Another payops service (service token).
    Service,
}

impl Role {
    /// The name stored in the database and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Standard => "standard",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "standard" => Some(Role::Standard),
            "admin" => Some(Role::Admin),
            "service" => Some(Role::Service),
            _ => None,
        }
    }
}

/// Something an agent may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Search PGW for a payment and its code.
    LookupCode,
    /// Generate a new code in PGW PROD.
    GenerateCode,
    /// Open B2C and B2B tickets.
    CreateTicket,
    /// Search managements and read their invoices.
    ReadCustomers,
    /// Read the daily overview.
    ReadOverview,
    /// Read order timelines.
    ReadTimeline,
    /// Read the audit log.
    ReadAudit,
    /// Create agents.
    ManageAgents,
}

impl Permission {
    /// The action name used in the audit log when it is refused.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::LookupCode => "lookup_code",
            Permission::GenerateCode => "generate_code",
            Permission::CreateTicket => "create_ticket",
            Permission::ReadCustomers => "read_customers",
            Permission::ReadOverview => "read_overview",
            Permission::ReadTimeline => "read_timeline",
            Permission::ReadAudit => "read_audit",
            Permission::ManageAgents => "manage_agents",
        }
    }
}

impl Permission {
    /// The name of the permission in the gRPC permission table (`grpc/permissions.rs`).
    pub fn name(self) -> &'static str {
        match self {
            Permission::LookupCode => "hotline.codes.lookup",
            Permission::GenerateCode => "hotline.codes.generate",
            Permission::CreateTicket => "hotline.tickets.create",
            Permission::ReadCustomers => "hotline.customers.read",
            Permission::ReadOverview => "hotline.overview.read",
            Permission::ReadTimeline => "hotline.timeline.read",
            Permission::ReadAudit => "hotline.audit.read",
            Permission::ManageAgents => "hotline.agents.write",
        }
    }
}

/// Every agent permission.
pub const PERMISSIONS: [Permission; 8] = [
    Permission::LookupCode,
    Permission::GenerateCode,
    Permission::CreateTicket,
    Permission::ReadCustomers,
    Permission::ReadOverview,
    Permission::ReadTimeline,
    Permission::ReadAudit,
    Permission::ManageAgents,
];

/// What an agent of `role` holds, in the gRPC permission table's names: its own session,
/// what [`allows`] grants, and the preflight for admins.
pub fn permission_names(role: Role) -> Vec<&'static str> {
    let mut names = vec!["hotline.session"];
    names.extend(PERMISSIONS.iter().filter(|p| allows(role, **p)).map(|p| p.name()));
    if role == Role::Admin {
        names.push("hotline.preflight.run");
    }
    names
}

/// Whether `role` may do `permission`. The server asks this on every call.
pub fn allows(role: Role, permission: Permission) -> bool {
    match permission {
        Permission::GenerateCode | Permission::ReadAudit | Permission::ManageAgents => role == Role::Admin,
        Permission::LookupCode
        | Permission::CreateTicket
        | Permission::ReadCustomers
        | Permission::ReadOverview
        | Permission::ReadTimeline => true,
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Agent user name or service name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Access level.
    pub role: Role,
    /// The agent's id (`None` for services).
    pub agent_id: Option<i64>,
}

/// A login name: 3 to 64 characters of `a-z 0-9 . _ -`, stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// Why a user name or password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentInputError {
    /// Bad user name.
    #[error("must be 3 to 64 characters of a-z, 0-9, '.', '_' or '-'")]
    Username,
    /// Password too short.
    #[error("must be at least {0} characters")]
    PasswordTooShort(usize),
}

impl Username {
    /// Validates and lower-cases.
    pub fn parse(raw: &str) -> Result<Username, AgentInputError> {
        let s = raw.trim().to_ascii_lowercase();
        if (3..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            Ok(Username(s))
        } else {
            Err(AgentInputError::Username)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shortest password accepted for a new agent.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Checks a new password.
pub fn check_new_password(password: &str) -> Result<(), AgentInputError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AgentInputError::PasswordTooShort(MIN_PASSWORD_CHARS));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl_01_only_admins_generate_codes_read_the_audit_and_manage_agents() {
        use Permission::*;
        let all = [
            LookupCode,
            GenerateCode,
            CreateTicket,
            ReadCustomers,
            ReadOverview,
            ReadTimeline,
            ReadAudit,
            ManageAgents,
        ];
        for p in all {
            let admin_only = matches!(p, GenerateCode | ReadAudit | ManageAgents);
            assert!(allows(Role::Admin, p), "{p:?}");
            assert_eq!(allows(Role::Standard, p), !admin_only, "{p:?}");
            assert_eq!(allows(Role::Service, p), !admin_only, "{p:?}");
        }
    }

    #[test]
    fn usernames_and_passwords_table() {
        assert_eq!(Username::parse(" Anna.Muster ").unwrap().as_str(), "anna.muster");
        for bad in ["ab", "a b c", "anna@x", ""] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pw").is_ok());
        for r in ["standard", "admin", "service"] {
            assert_eq!(Role::parse(r).unwrap().as_str(), r);
        }
    }
}
