//! Who may call what on pixi-sync's gRPC API (SE-02): one entry per method, the permission
//! it needs. A method missing here is refused and the server does not start (`kit::grpc::auth`).
//! Callers get permissions in `CALLERS` (`name:token:permissions:tenants`, see the README).

use kit::grpc::{Access, PermissionTable};

/// The permission of every method this server serves.
pub const TABLE: PermissionTable = &[
    ("payops.pixi_sync.v1.TenantService/CreateTenant", Access::Needs("pixi.tenants.create")), // create a tenant (operators for every tenant only)
    ("payops.pixi_sync.v1.TenantService/GetTenant", Access::Needs("pixi.tenants.read")),
    ("payops.pixi_sync.v1.TenantService/ListTenants", Access::Needs("pixi.tenants.read")), // lists only the tenants the caller may act for
    ("payops.pixi_sync.v1.TenantService/Preflight", Access::Needs("pixi.preflight.run")),
    ("payops.pixi_sync.v1.TenantService/SavePixiApiConfig", Access::Needs("pixi.config.write")),
    ("payops.pixi_sync.v1.TenantService/ListPixiApiConfigs", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.TenantService/ListPixiPaymentMethods", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.TenantService/SaveSmtpConfig", Access::Needs("pixi.config.write")),
    ("payops.pixi_sync.v1.TenantService/GetSmtpConfig", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.TenantService/SendTestMail", Access::Needs("pixi.config.write")),
    ("payops.pixi_sync.v1.TenantService/RotateErrorPageLink", Access::Needs("pixi.config.write")),
    ("payops.pixi_sync.v1.PaymentConfigService/SavePaymentConfig", Access::Needs("pixi.config.write")),
    ("payops.pixi_sync.v1.PaymentConfigService/CopyPaymentConfig", Access::Needs("pixi.config.read")), // returns a draft, saves nothing
    ("payops.pixi_sync.v1.PaymentConfigService/GetPaymentConfig", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.PaymentConfigService/ListPaymentConfigs", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.DashboardService/ListOrders", Access::Needs("pixi.orders.read")),
    ("payops.pixi_sync.v1.DashboardService/GetOrder", Access::Needs("pixi.orders.read")),
    ("payops.pixi_sync.v1.DashboardService/MarkProblemSolved", Access::Needs("pixi.orders.resolve")),
    ("payops.pixi_sync.v1.DashboardService/RetryOrder", Access::Needs("pixi.orders.retry")),
    ("payops.pixi_sync.v1.DashboardService/ListConfigProblems", Access::Needs("pixi.config.read")),
    ("payops.pixi_sync.v1.DashboardService/RunReconciliation", Access::Needs("pixi.orders.reconcile")),
    ("payops.pixi_sync.v1.DashboardService/ListMismatches", Access::Needs("pixi.orders.read")),
    ("payops.pixi_sync.v1.ConsoleUserService/CreateConsoleUser", Access::Needs("pixi.console_users.write")),
    ("payops.pixi_sync.v1.ConsoleUserService/ListConsoleUsers", Access::Needs("pixi.console_users.read")),
    ("payops.pixi_sync.v1.ConsoleUserService/UpdateConsoleUser", Access::Needs("pixi.console_users.write")),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_02_every_served_method_of_pixi_sync_has_exactly_one_permission_entry() {
        let services = kit::grpc::auth::services_of_package("payops.pixi_sync.v1");
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
