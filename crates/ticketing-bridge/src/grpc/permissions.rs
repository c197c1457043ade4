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
        let services = kit::grpc::auth::services_of_package("payops.ticketing.v1");
        let services: Vec<&str> = services.iter().map(String::as_str).collect();
        assert_eq!(kit::grpc::auth::table_problems(TABLE, &services), Vec::<String>::new());
        let mut methods: Vec<&str> = TABLE.iter().map(|(m, _)| *m).collect();
        methods.sort();
        methods.dedup();
        assert_eq!(methods.len(), TABLE.len(), "a method is listed twice");
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/permissions.md")).unwrap();
        let want = format!("## {}\n\n{}", env!("CARGO_PKG_NAME"), kit::grpc::auth::table_markdown(TABLE));
        assert!(doc.contains(&want), "docs/permissions.md must show, under its service heading:\n{want}");
    }
}
