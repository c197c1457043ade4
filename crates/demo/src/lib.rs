//! The local demo of payops. [`seed`] prepares a running stack through the services' own gRPC
//! APIs (a pixi-sync tenant on the sandbox pixi installation `demo` with the sandbox's unzer demo
//! merchant and SMTP sink, Nets credentials and terminals at terminal-gateway, a manual-payment
//! merchant and offers at invoice-checks); [`scenario`] drives one order through it and reads
//! the order timeline from hotline-api. Both are idempotent where they set things up, so
//! `make up` may run them again on every start. `payops-demo` (src/main.rs) is the command
//! line of both (plus `reset`, the fresh start of `make up`, and `hints`, what to type into
//! the portal); the end-to-end test `tests/tests/demo.rs` calls them against real processes.

pub mod hints;
pub mod reset;
pub mod scenario;
pub mod seed;

/// Where the services and the sandbox answer, and the demo's credentials.
#[derive(Debug, Clone)]
pub struct Targets {
    /// pixi-sync gRPC URL.
    pub pixi_sync: String,
    /// terminal-gateway gRPC URL.
    pub terminal_gateway: String,
    /// hotline-api gRPC URL.
    pub hotline: String,
    /// invoice-checks gRPC URL.
    pub invoice_checks: String,
    /// Sandbox admin URL.
    pub sandbox_admin: String,
    /// hotline-api agent who reads timelines (the bootstrap admin of the local stack).
    pub hotline_user: String,
    /// Its password.
    pub hotline_password: String,
    /// A manager's token at invoice-checks (manual-payment merchants need a manager).
    pub manager_token: String,
    /// The demo's own credential (caller `demo` in every service's `CALLERS`).
    pub token: String,
}

impl Targets {
    /// The local stack of `make up` (deploy/local/up.sh), each value overridable by the
    /// environment variable named next to it.
    pub fn from_env() -> Targets {
        let var =
            |name: &str, default: &str| std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or(default.into());
        Targets {
            pixi_sync: var("PIXI_SYNC_GRPC", "http://127.0.0.1:50051"),
            terminal_gateway: var("TERMINAL_GATEWAY_GRPC", "http://127.0.0.1:50052"),
            hotline: var("HOTLINE_GRPC", "http://127.0.0.1:50053"),
            invoice_checks: var("INVOICE_CHECKS_GRPC", "http://127.0.0.1:50055"),
            sandbox_admin: var("SANDBOX_ADMIN_URL", "http://127.0.0.1:7000"),
            hotline_user: var("HOTLINE_ADMIN", "admin"),
            hotline_password: var("HOTLINE_ADMIN_PASSWORD", "payops-demo-admin"),
            manager_token: var("INVOICE_CHECKS_MANAGER_TOKEN", "local-demo-manager-token"),
            token: var("PAYOPS_DEMO_TOKEN", "local-demo-caller-token"),
        }
    }

    /// The sandbox's admin client.
    pub fn sandbox(&self) -> sandbox::SandboxClient {
        sandbox::SandboxClient::new(&self.sandbox_admin)
    }
}

/// A gRPC channel to `url` (connected lazily) that authenticates with `token`; a request
/// carrying its own `authorization` (an agent session, a manager) keeps it.
pub fn channel(url: &str, token: &str) -> anyhow::Result<kit::grpc::client::TracedChannel> {
    Ok(kit::grpc::client::connect_lazy(url, Some(&secrecy::SecretString::from(token.to_owned())))?)
}

/// A request carrying `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}
