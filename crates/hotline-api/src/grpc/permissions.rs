//! Who may call what on hotline-api's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.hotline.v1.AgentService/Login", Access::Public), // public: the login itself (throttled, HL-03/SE-05)
    ("payops.hotline.v1.AgentService/Logout", Access::Needs("hotline.session")),
    ("payops.hotline.v1.AgentService/GetMe", Access::Needs("hotline.session")),
    ("payops.hotline.v1.AgentService/CreateAgent", Access::Needs("hotline.agents.write")), // admins
    ("payops.hotline.v1.AgentService/ListAuditEntries", Access::Needs("hotline.audit.read")), // admins
    ("payops.hotline.v1.AgentService/ListAgents", Access::Needs("hotline.agents.write")),  // admins
    ("payops.hotline.v1.AgentService/SetAgentActive", Access::Needs("hotline.agents.write")), // admins
    ("payops.hotline.v1.AgentService/SetAgentRole", Access::Needs("hotline.agents.write")), // admins
    ("payops.hotline.v1.AgentService/ResetAgentPassword", Access::Needs("hotline.agents.write")), // admins
    ("payops.hotline.v1.AgentService/UnlockAgent", Access::Needs("hotline.agents.write")), // admins
    ("payops.hotline.v1.HotlineService/LookupCode", Access::Needs("hotline.codes.lookup")),
    ("payops.hotline.v1.HotlineService/GenerateCode", Access::Needs("hotline.codes.generate")), // hands out access codes
    ("payops.hotline.v1.HotlineService/CreateB2cTicket", Access::Needs("hotline.tickets.create")),
    ("payops.hotline.v1.HotlineService/SearchCustomers", Access::Needs("hotline.customers.read")),
    ("payops.hotline.v1.HotlineService/ListInvoices", Access::Needs("hotline.customers.read")),
    ("payops.hotline.v1.HotlineService/CreateB2bTicket", Access::Needs("hotline.tickets.create")),
    ("payops.hotline.v1.HotlineService/GetDailyOverview", Access::Needs("hotline.overview.read")),
    ("payops.hotline.v1.HotlineService/Preflight", Access::Needs("hotline.preflight.run")), // admins
    ("payops.hotline.v1.TimelineService/GetOrderTimeline", Access::Needs("hotline.timeline.read")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_hotline_api_has_exactly_one_permission_entry() {
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.hotline.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
