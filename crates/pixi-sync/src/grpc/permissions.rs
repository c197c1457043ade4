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
        assert_eq!(kit::grpc::auth::package_table_problems(TABLE, "payops.pixi_sync.v1"), Vec::<String>::new());
    }

    #[test]
    fn se_02_docs_permissions_md_shows_exactly_this_table() {
        let problem =
            kit::grpc::auth::documented_table_problem(TABLE, env!("CARGO_MANIFEST_DIR"), env!("CARGO_PKG_NAME"));
        assert_eq!(problem, None);
    }
}
