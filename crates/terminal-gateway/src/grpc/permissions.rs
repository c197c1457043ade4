//! Who may call what on terminal-gateway's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.terminal_gateway.v1.TerminalPaymentService/StartPayment", Access::Needs("terminal.payments.start")), // moves money
    ("payops.terminal_gateway.v1.TerminalPaymentService/GetPayment", Access::Needs("terminal.payments.read")),
    ("payops.terminal_gateway.v1.TerminalPaymentService/ListOrderPayments", Access::Needs("terminal.payments.read")),
    ("payops.terminal_gateway.v1.TerminalPaymentService/CancelPayment", Access::Needs("terminal.payments.cancel")), // moves money
    ("payops.terminal_gateway.v1.TerminalPaymentService/RefreshPayment", Access::Needs("terminal.payments.refresh")), // asks Nets, records the outcome
    ("payops.terminal_gateway.v1.TerminalPaymentService/WatchPayment", Access::Needs("terminal.payments.read")),
    (
        "payops.terminal_gateway.v1.TerminalPaymentService/RecordManualPayment",
        Access::Needs("terminal.payments.record_manual"),
    ), // records money taken outside the terminal
    ("payops.terminal_gateway.v1.TerminalPaymentService/StartRefund", Access::Needs("terminal.refunds.start")), // moves money
    ("payops.terminal_gateway.v1.TerminalService/SetNetsCredentials", Access::Needs("terminal.credentials.write")),
    ("payops.terminal_gateway.v1.TerminalService/GetNetsCredentials", Access::Needs("terminal.credentials.read")), // never returns the password
    ("payops.terminal_gateway.v1.TerminalService/RegisterTerminal", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/UpdateTerminal", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/ActivateTerminal", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/DeactivateTerminal", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/ChangeTerminalId", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/RemoveTerminal", Access::Needs("terminal.terminals.write")),
    ("payops.terminal_gateway.v1.TerminalService/Preflight", Access::Needs("terminal.preflight.run")),
    ("payops.terminal_gateway.v1.TerminalService/GetTerminal", Access::Needs("terminal.terminals.read")),
    ("payops.terminal_gateway.v1.TerminalService/ListTerminals", Access::Needs("terminal.terminals.read")),
    ("payops.terminal_gateway.v1.TerminalService/GetWorkstationTerminal", Access::Needs("terminal.workstations.read")),
    ("payops.terminal_gateway.v1.TerminalService/SetWorkstationTerminal", Access::Needs("terminal.workstations.write")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_terminal_gateway_has_exactly_one_permission_entry() {
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.terminal_gateway.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
