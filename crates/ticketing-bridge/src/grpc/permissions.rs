//! Who may call what on ticketing-bridge's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.ticketing.v1.TicketingService/CreateTicket", Access::Needs("ticketing.tickets.create")), // the only permission hotline-api holds here
    ("payops.ticketing.v1.TicketingService/GetTicket", Access::Needs("ticketing.tickets.read")),
    ("payops.ticketing.v1.TicketingService/ListOrderTickets", Access::Needs("ticketing.tickets.read")),
    ("payops.ticketing.v1.TicketingService/ListDeadLetters", Access::Needs("ticketing.dead_letters.read")),
    ("payops.ticketing.v1.TicketingService/ReplayDeadLetter", Access::Needs("ticketing.dead_letters.replay")),
    ("payops.ticketing.v1.TicketingService/Preflight", Access::Needs("ticketing.preflight.run")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_ticketing_bridge_has_exactly_one_permission_entry() {
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.ticketing.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
