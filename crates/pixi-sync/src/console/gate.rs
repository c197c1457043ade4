//! The console does nothing the gRPC API would not let its user do (CN-01, SE-02): every
//! console action is a call of one of pixi-sync's gRPC methods, made in-process on the very
//! service objects the gRPC server runs, after checking that the user's role holds the
//! permission the method needs in the service's permission table, with the user as the caller
//! (so the method's own tenant checks and audit records apply as for any gRPC caller).

use kit::grpc::Principal;
use kit::grpc::auth::Tenants as Scope;

use super::auth::User;
use super::error::{ApiError, ApiResult};
use crate::grpc::{ConsoleUsers, Dashboard, PaymentConfigs, Tenants};

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

/// The permission `method` (`Service/Method`) needs: the entry of the gRPC permission table.
pub fn permission(method: &str) -> Option<&'static str> {
    match kit::grpc::auth::access(crate::grpc::permissions::TABLE, &format!("payops.pixi_sync.v1.{method}")) {
        Some(kit::grpc::Access::Needs(p)) => Some(p),
        _ => None,
    }
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
        let tenants = match user.tenant_id {
            None => Scope::All,
            Some(t) => Scope::only([t.to_string()]),
        };
        r.extensions_mut().insert(Principal::new(user.username.clone(), &user.permissions(), tenants));
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
