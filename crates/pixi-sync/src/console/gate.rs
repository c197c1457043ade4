//! The console does nothing the gRPC API would not let its user do (CN-01, SE-02): every
//! console action is a call of one of pixi-sync's gRPC methods, made in-process on the very
//! service objects the gRPC server runs, after checking that the user's role holds the
//! permission the method needs in the service's permission table, with the user as the caller
//! (so the method's own tenant checks and audit records apply as for any gRPC caller).

use kit::grpc::Principal;

use super::auth::User;
use super::error::{ApiError, ApiResult};
use crate::grpc::{ConsoleUsers, Dashboard, PaymentConfigs, Tenants};

/// The permission each gRPC method the console calls needs (the names of the service's gRPC
/// permission table).
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("TenantService/CreateTenant", "pixi.tenants.create"),
    ("TenantService/GetTenant", "pixi.tenants.read"),
    ("TenantService/ListTenants", "pixi.tenants.read"),
    ("TenantService/Preflight", "pixi.preflight.run"),
    ("TenantService/SavePixiApiConfig", "pixi.config.write"),
    ("TenantService/ListPixiApiConfigs", "pixi.config.read"),
    ("TenantService/ListPixiPaymentMethods", "pixi.config.read"),
    ("TenantService/SaveSmtpConfig", "pixi.config.write"),
    ("TenantService/GetSmtpConfig", "pixi.config.read"),
    ("TenantService/SendTestMail", "pixi.config.write"),
    ("TenantService/RotateErrorPageLink", "pixi.config.write"),
    ("PaymentConfigService/SavePaymentConfig", "pixi.config.write"),
    ("PaymentConfigService/CopyPaymentConfig", "pixi.config.read"),
    ("PaymentConfigService/GetPaymentConfig", "pixi.config.read"),
    ("PaymentConfigService/ListPaymentConfigs", "pixi.config.read"),
    ("DashboardService/ListOrders", "pixi.orders.read"),
    ("DashboardService/GetOrder", "pixi.orders.read"),
    ("DashboardService/MarkProblemSolved", "pixi.orders.resolve"),
    ("DashboardService/RetryOrder", "pixi.orders.retry"),
    ("DashboardService/ListConfigProblems", "pixi.config.read"),
    ("DashboardService/RunReconciliation", "pixi.orders.reconcile"),
    ("DashboardService/ListMismatches", "pixi.orders.read"),
    ("ConsoleUserService/CreateConsoleUser", "pixi.console_users.write"),
    ("ConsoleUserService/ListConsoleUsers", "pixi.console_users.read"),
    ("ConsoleUserService/UpdateConsoleUser", "pixi.console_users.write"),
];

/// The service objects the gRPC server runs.
pub struct Gate {
    /// TenantService.
    pub tenants: Tenants,
    /// PaymentConfigService.
    pub configs: PaymentConfigs,
    /// DashboardService.
    pub dashboard: Dashboard,
    /// ConsoleUserService.
    pub users: ConsoleUsers,
}

/// The permission `method` (`Service/Method`) needs.
pub fn permission(method: &str) -> Option<&'static str> {
    PERMISSIONS.iter().find(|(m, _)| *m == method).map(|(_, p)| *p)
}

impl Gate {
    /// Refuses unless `user` holds the permission of `method`.
    pub fn allow(&self, user: &User, method: &str) -> ApiResult<()> {
        let Some(need) = permission(method) else {
            tracing::error!(method, "console calls a method without a permission entry");
            return Err(ApiError::forbidden(method));
        };
        if user.has(need) { Ok(()) } else { Err(ApiError::forbidden(need)) }
    }

    /// A request carrying `user` as the caller.
    pub fn request<T>(&self, user: &User, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        let roles = user.permissions().into_iter().map(str::to_owned).collect();
        r.extensions_mut().insert(Principal { subject: user.username.clone(), roles });
        r
    }
}

/// Calls `$svc.$method` of the gate for `$user` after the permission check:
/// `call!(console, user, tenants.list_tenants, "TenantService/ListTenants", request)`.
macro_rules! call {
    ($c:expr, $user:expr, $svc:ident . $method:ident, $path:literal, $req:expr) => {{
        $c.gate.allow($user, $path)?;
        let r = $c.gate.request($user, $req);
        $c.gate.$svc.$method(r).await.map(tonic::Response::into_inner).map_err($crate::console::error::ApiError::from)
    }};
}
pub(crate) use call;
