//! Who may call what, for which tenant (SE-01 … SE-03): one credential model for every payops
//! gRPC server.
//!
//! - A **credential** names a caller, the permissions it holds and the tenants it may act for.
//!   Credentials come from the secret `CALLERS` (or the file named by `CALLERS_FILE`), one per
//!   line (or separated by `;`): `name:token:permissions:tenants`, permissions and tenants
//!   comma-separated, `*` for all, `prefix.*` for every permission under a prefix, `#` starts a
//!   comment. Tokens are at least 16 characters. The same name may appear twice with two tokens:
//!   that is how a token rotates (add the new one, move the caller over, remove the old one).
//! - A file source is read again at most every [`RELOAD_EVERY`] when a call arrives, so a
//!   rotation needs no restart; a file that no longer parses keeps the last good credentials and
//!   is reported (by variable name, never content).
//! - **Every method** of a server has an entry in the service's [`PermissionTable`]: the
//!   permission it needs, or [`Access::Public`] (only the hotline's login). A method without an
//!   entry is refused (fail closed), and a server whose table misses a served method does not
//!   start.
//! - Without credentials a service does not start, unless `ALLOW_UNAUTHENTICATED=local-only` is
//!   set: then every call runs as [`Principal::local`] (all permissions, all tenants) and the
//!   service warns at every start. The Kubernetes overlays never set it.
//!
//! Handlers read the caller with [`caller`] and check a tenant with [`Principal::require_tenant`].

use std::any::Any;
use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{ConfigError, Env};

/// How often a credentials file is looked at again (when a call arrives).
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// The variable that switches authentication off on a developer machine.
pub const ALLOW_UNAUTHENTICATED: &str = "ALLOW_UNAUTHENTICATED";

/// The tenants a caller may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenants {
    /// Every tenant (operators, the platform's own services).
    All,
    /// Only these, compared exactly: tenant ids are case-sensitive in some services, so
    /// `Hotel-A` is not `hotel-a` (a mismatch fails closed).
    Only(BTreeSet<String>),
}

impl Tenants {
    /// Whether `tenant` is among them.
    pub fn allows(&self, tenant: &str) -> bool {
        match self {
            Tenants::All => true,
            Tenants::Only(set) => set.contains(tenant),
        }
    }

    /// `Only` of the given names.
    pub fn only<I: IntoIterator<Item = S>, S: AsRef<str>>(names: I) -> Self {
        Tenants::Only(names.into_iter().map(|s| s.as_ref().trim().to_owned()).collect())
    }
}

/// Who is calling.
#[derive(Clone)]
pub struct Principal {
    /// Caller name (a service, a person, an agent login): what audit and journal records name.
    pub subject: String,
    /// Permissions held: exact names, `prefix.*` or `*`.
    pub permissions: Vec<String>,
    /// Tenants it may act for.
    pub tenants: Tenants,
    /// What the service's own authenticator attached (e.g. the hotline's agent session).
    pub context: Option<Arc<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("subject", &self.subject)
            .field("permissions", &self.permissions)
            .field("tenants", &self.tenants)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Principal {
    fn eq(&self, other: &Self) -> bool {
        self.subject == other.subject && self.permissions == other.permissions && self.tenants == other.tenants
    }
}

impl Principal {
    /// A caller with `permissions` for `tenants`.
    pub fn new(subject: impl Into<String>, permissions: &[&str], tenants: Tenants) -> Self {
        Principal {
            subject: subject.into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            tenants,
            context: None,
        }
    }

    /// The caller of a server running with `ALLOW_UNAUTHENTICATED=local-only`.
    pub fn local() -> Self {
        Principal::new("local-unauthenticated", &["*"], Tenants::All)
    }

    /// Whether the caller holds `permission`.
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|held| permission_matches(held, permission))
    }

    /// Whether the caller may act for `tenant`.
    pub fn may_act_for(&self, tenant: &str) -> bool {
        self.tenants.allows(tenant)
    }

    /// PERMISSION_DENIED unless the caller may act for `tenant` (SE-03).
    pub fn require_tenant(&self, tenant: &str) -> Result<(), tonic::Status> {
        if self.may_act_for(tenant) {
            Ok(())
        } else {
            Err(tonic::Status::permission_denied(format!("caller {:?} may not act for this tenant", self.subject)))
        }
    }

    /// PERMISSION_DENIED (reason `PERMISSION_REQUIRED`) unless the caller holds `permission`.
    pub fn require(&self, permission: &str) -> Result<(), tonic::Status> {
        if self.has(permission) {
            Ok(())
        } else {
            Err(super::status::refused(
                tonic::Code::PermissionDenied,
                "PERMISSION_REQUIRED",
                "payops",
                format!("caller {:?} lacks permission {permission}", self.subject),
            ))
        }
    }

    /// The attached context of type `T`, if any.
    pub fn context<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.context.as_deref().and_then(|c| c.downcast_ref::<T>())
    }
}

/// Whether a held permission (`*`, `prefix.*` or exact) covers `wanted`.
pub fn permission_matches(held: &str, wanted: &str) -> bool {
    if held == "*" || held == wanted {
        return true;
    }
    held.strip_suffix(".*").is_some_and(|prefix| wanted.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')))
}

/// The authenticated caller of a request (UNAUTHENTICATED when none: a handler called outside
/// the kit's layer).
pub fn caller<T>(request: &tonic::Request<T>) -> Result<&Principal, tonic::Status> {
    request.extensions().get::<Principal>().ok_or_else(|| tonic::Status::unauthenticated("no authenticated caller"))
}

/// What a method needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any caller, with or without a credential (only logins).
    Public,
    /// A caller holding this permission.
    Needs(&'static str),
}

impl Access {
    /// The permission, or `public`.
    pub fn label(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Needs(p) => p,
        }
    }
}

/// Full method path (`package.Service/Method`) → what it needs. One per service, next to its
/// gRPC module.
pub type PermissionTable = &'static [(&'static str, Access)];

/// What `method` (`package.Service/Method`) needs under `table`.
pub fn access(table: PermissionTable, method: &str) -> Option<Access> {
    table.iter().find(|(m, _)| *m == method).map(|(_, a)| *a)
}

/// The compiled-in descriptors. Should they not decode, the set is empty: every table entry then
/// names a method "not served", so `table_problems` fails the server closed instead of open.
pub(crate) fn descriptors() -> prost_types::FileDescriptorSet {
    use prost::Message;
    prost_types::FileDescriptorSet::decode(proto::FILE_DESCRIPTOR_SET).unwrap_or_default()
}

/// Every method of the services named `services`, from the compiled-in descriptors.
pub fn methods_of(services: &[&str]) -> Vec<String> {
    let set = descriptors();
    let mut out = Vec::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            let full = format!("{package}.{}", service.name());
            if services.contains(&full.as_str()) {
                out.extend(service.method.iter().map(|m| format!("{full}/{}", m.name())));
            }
        }
    }
    out
}

/// Every service of the proto package `package` (e.g. `payops.ticketing.v1`).
pub fn services_of_package(package: &str) -> Vec<String> {
    let set = descriptors();
    set.file
        .iter()
        .filter(|f| f.package() == package)
        .flat_map(|f| f.service.iter().map(move |s| format!("{package}.{}", s.name())))
        .collect()
}

/// Problems of `table` for a server serving `services`: methods without an entry, entries for
/// methods not served.
pub fn table_problems(table: PermissionTable, services: &[&str]) -> Vec<String> {
    let methods = methods_of(services);
    let mut problems: Vec<String> = methods
        .iter()
        .filter(|m| access(table, m).is_none())
        .map(|m| format!("{m} has no entry in the permission table"))
        .collect();
    problems.extend(
        table
            .iter()
            .filter(|(m, _)| !methods.iter().any(|x| x == m))
            .map(|(m, _)| format!("the permission table names {m}, which this server does not serve")),
    );
    problems
}

/// The table as Markdown (`| method | permission |`), for the crate docs and the README.
pub fn table_markdown(table: PermissionTable) -> String {
    let mut s = String::from("| method | permission |\n|---|---|\n");
    for (m, a) in table {
        s.push_str(&format!("| `{m}` | `{}` |\n", a.label()));
    }
    s
}

/// Problems of the permission table of the package `package` (SE-02): methods of the package
/// without an entry, entries for methods it does not have, and methods listed twice. Each
/// service's `se_02_*` test asserts this is empty.
pub fn package_table_problems(table: PermissionTable, package: &str) -> Vec<String> {
    let services = services_of_package(package);
    let services: Vec<&str> = services.iter().map(String::as_str).collect();
    let mut problems = table_problems(table, &services);
    let mut seen = BTreeSet::new();
    problems.extend(table.iter().filter(|(m, _)| !seen.insert(*m)).map(|(m, _)| format!("{m} is listed twice")));
    problems
}

/// Whether `docs/permissions.md` (at the workspace root, two levels above `manifest_dir`) shows
/// `table` under the heading `## {crate_name}`: `None` when it does, else the section it must
/// show (SE-02: the documented table is the enforced one).
pub fn documented_table_problem(table: PermissionTable, manifest_dir: &str, crate_name: &str) -> Option<String> {
    let path = std::path::Path::new(manifest_dir).join("../../docs/permissions.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let want = format!("## {crate_name}\n\n{}", table_markdown(table));
    (!doc.contains(&want)).then(|| format!("{} must show, under its service heading:\n{want}", path.display()))
}

/// A call refused for a missing permission (SE-02), for the service's audit trail.
#[derive(Debug, Clone)]
pub struct Denial {
    /// The authenticated caller.
    pub principal: Principal,
    /// `package.Service/Method`.
    pub method: String,
    /// The permission it lacked.
    pub permission: &'static str,
}

/// Where a server records refused calls (hotline-api: its audit log; invoice-checks: its
/// security events). Every refusal is also logged and counted by the kit.
pub trait DenialSink: Send + Sync + 'static {
    /// Records `denial`; failures are the sink's to log.
    fn record<'a>(&'a self, denial: &'a Denial) -> BoxFuture<'a, ()>;
}

/// Verifies bearer tokens.
pub trait Authenticator: Send + Sync + 'static {
    /// The principal for `token`, or `None` when the token is unknown or expired.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>>;
}

struct Entry {
    token: String,
    principal: Principal,
}

enum Source {
    Inline,
    File { path: PathBuf, last_content: Mutex<(Instant, String)> },
}

/// The credentials of `CALLERS` / `CALLERS_FILE` (see the module docs). Debug shows the
/// caller names only.
pub struct Credentials {
    entries: RwLock<Arc<Vec<Entry>>>,
    source: Source,
    reload_every: Duration,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("callers", &self.caller_names()).finish_non_exhaustive()
    }
}

/// Why a credential list was refused. Names the line, never its content.
fn bad(line: usize, reason: &str) -> ConfigError {
    ConfigError::new("CALLERS", format!("entry {line}: {reason}"))
}

fn parse_entries(text: &str) -> Result<Vec<Entry>, ConfigError> {
    let mut entries: Vec<Entry> = Vec::new();
    let lines = text.split(['\n', ';']).map(|l| l.split('#').next().unwrap_or("").trim());
    for (n, line) in lines.enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.is_empty()) {
        let fields: Vec<&str> = line.split(':').map(str::trim).collect();
        let [name, token, permissions, tenants] = fields[..] else {
            return Err(bad(n, "expected name:token:permissions:tenants"));
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
            return Err(bad(n, "the name must be letters, digits, '-', '_', '.' or '@'"));
        }
        if token.len() < 16 || token.chars().any(char::is_whitespace) {
            return Err(bad(n, "the token needs at least 16 characters and no spaces"));
        }
        if entries.iter().any(|e| constant_time_eq(e.token.as_bytes(), token.as_bytes())) {
            return Err(bad(n, "the token is used twice"));
        }
        let permissions: Vec<&str> = permissions.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        if permissions.is_empty() {
            return Err(bad(n, "no permissions (use * for all)"));
        }
        if let Some(p) = permissions.iter().find(|p| !valid_permission(p)) {
            return Err(bad(n, &format!("invalid permission {p:?}")));
        }
        let tenant_names: Vec<&str> = tenants.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        let tenants = match tenant_names[..] {
            [] => return Err(bad(n, "no tenants (use * for all)")),
            ["*"] => Tenants::All,
            _ if tenant_names.contains(&"*") => return Err(bad(n, "* stands alone among the tenants")),
            _ => Tenants::only(&tenant_names),
        };
        entries.push(Entry { token: token.to_owned(), principal: Principal::new(name, &permissions, tenants) });
    }
    if entries.is_empty() {
        return Err(ConfigError::new("CALLERS", "holds no credential"));
    }
    Ok(entries)
}

fn valid_permission(p: &str) -> bool {
    p == "*"
        || (p
            .split('.')
            .all(|part| !part.is_empty() && (part == "*" || part.chars().all(|c| c.is_ascii_lowercase() || c == '_')))
            && !p[..p.len().saturating_sub(2)].contains('*'))
}

impl Credentials {
    /// Reads `CALLERS` / `CALLERS_FILE`. `Ok(None)` only with `ALLOW_UNAUTHENTICATED=local-only`
    /// (SE-01); otherwise missing credentials are an error.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        if env.raw("SERVICE_TOKENS").is_some() || env.raw("SERVICE_TOKENS_FILE").is_some() {
            return Err(ConfigError::new(
                "SERVICE_TOKENS",
                "is replaced by CALLERS (name:token:permissions:tenants per line, see the README's 'Credentials')",
            ));
        }
        let local_only = match env.raw(ALLOW_UNAUTHENTICATED).map(str::trim) {
            None | Some("") => false,
            Some("local-only") => true,
            Some(_) => return Err(ConfigError::new(ALLOW_UNAUTHENTICATED, "the only accepted value is local-only")),
        };
        let reload_every = env.duration_or("CALLERS_RELOAD_EVERY", RELOAD_EVERY)?;
        let credentials = match (env.secret_optional("CALLERS")?, env.raw("CALLERS_FILE")) {
            (Some(secret), Some(path)) => {
                let mut c = Credentials::parse(&secret)?;
                c.source = Source::File {
                    path: PathBuf::from(path),
                    last_content: Mutex::new((Instant::now(), secret.expose_secret().to_owned())),
                };
                c.reload_every = reload_every;
                Some(c)
            }
            (Some(secret), None) => Some(Credentials::parse(&secret)?),
            (None, _) => None,
        };
        match (credentials, local_only) {
            (Some(_), true) => Err(ConfigError::new(
                ALLOW_UNAUTHENTICATED,
                "is set together with CALLERS; remove one (credentials are the default)",
            )),
            (Some(c), false) => Ok(Some(c)),
            (None, true) => Ok(None),
            (None, false) => Err(ConfigError::new(
                "CALLERS",
                "is required: set CALLERS or CALLERS_FILE (name:token:permissions:tenants per line); \
                 ALLOW_UNAUTHENTICATED=local-only runs without authentication on a developer machine",
            )),
        }
    }

    /// Parses an inline credential list.
    pub fn parse(secret: &SecretString) -> Result<Self, ConfigError> {
        let entries = parse_entries(secret.expose_secret())?;
        Ok(Credentials { entries: RwLock::new(Arc::new(entries)), source: Source::Inline, reload_every: RELOAD_EVERY })
    }

    /// The caller names, for the start-up log (never tokens).
    pub fn caller_names(&self) -> Vec<String> {
        let entries = self.current();
        let mut names: Vec<String> = entries.iter().map(|e| e.principal.subject.clone()).collect();
        names.sort();
        names.dedup();
        names
    }

    fn current(&self) -> Arc<Vec<Entry>> {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the file again when [`RELOAD_EVERY`] has passed and its content changed.
    fn maybe_reload(&self) {
        let Source::File { path, last_content } = &self.source else { return };
        let mut last = last_content.lock().unwrap_or_else(|e| e.into_inner());
        if last.0.elapsed() < self.reload_every {
            return;
        }
        last.0 = Instant::now();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                metrics::counter!(crate::metrics::CREDENTIAL_RELOAD_FAILURES).increment(1);
                tracing::error!(var = "CALLERS_FILE", error = %e.kind(), "credentials file unreadable; keeping the last good credentials");
                return;
            }
        };
        if text == last.1 {
            return;
        }
        match parse_entries(&text) {
            Ok(entries) => {
                let names: BTreeSet<String> = entries.iter().map(|e| e.principal.subject.clone()).collect();
                *self.entries.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(entries);
                last.1 = text;
                tracing::info!(callers = ?names, "credentials reloaded");
            }
            Err(e) => {
                metrics::counter!(crate::metrics::CREDENTIAL_RELOAD_FAILURES).increment(1);
                tracing::error!(error = %e, "credentials file does not parse; keeping the last good credentials");
            }
        }
    }
}

impl Authenticator for Credentials {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>> {
        self.maybe_reload();
        let entries = self.current();
        // Every entry is compared, so timing says nothing about which one matched.
        let mut found = None;
        for e in entries.iter() {
            if constant_time_eq(e.token.as_bytes(), token.as_bytes()) {
                found = Some(e.principal.clone());
            }
        }
        Box::pin(async move { found })
    }
}

/// Tries `first`, then `second` (the hotline: agent sessions, then service credentials).
pub struct Either(pub Arc<dyn Authenticator>, pub Arc<dyn Authenticator>);

impl Authenticator for Either {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Option<Principal>> {
        Box::pin(async move {
            match self.0.authenticate(token).await {
                Some(p) => Some(p),
                None => self.1.authenticate(token).await,
            }
        })
    }
}

/// Compares without an early exit, so timing reveals nothing about the token.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "0123456789abcdef0123";
    const T2: &str = "fedcba9876543210fedc";

    #[tokio::test]
    async fn se_02_credentials_name_a_caller_its_permissions_and_its_tenants() {
        let c = Credentials::parse(&SecretString::from(format!(
            "# who may call\nhotline-api:{T1}:ticketing.tickets.create:*\nshop:{T2}:pixi.orders.*,pixi.tenants.read:Tenant-A,tenant-b"
        )))
        .unwrap();
        let h = c.authenticate(T1).await.unwrap();
        assert_eq!(h.subject, "hotline-api");
        assert!(h.has("ticketing.tickets.create") && !h.has("ticketing.tickets.read"));
        assert!(h.may_act_for("anything"));
        let s = c.authenticate(T2).await.unwrap();
        assert!(s.has("pixi.orders.read") && s.has("pixi.orders.retry") && s.has("pixi.tenants.read"));
        assert!(!s.has("pixi.ordersx.read") && !s.has("pixi.tenants.create"));
        assert!(s.may_act_for("Tenant-A") && s.may_act_for("tenant-b") && !s.may_act_for("tenant-c"));
        // Tenant ids are case-sensitive in some services: another spelling is another tenant.
        assert!(!s.may_act_for("tenant-a") && !s.may_act_for("TENANT-B") && !s.may_act_for(" tenant-b"));
        assert_eq!(s.require_tenant("tenant-c").unwrap_err().code(), tonic::Code::PermissionDenied);
        assert!(c.authenticate("0123456789abcdef0124").await.is_none());
        assert!(c.authenticate("").await.is_none());
        assert_eq!(c.caller_names(), ["hotline-api", "shop"]);
    }

    #[test]
    fn se_08_credential_errors_name_the_entry_never_the_token() {
        let cases = [
            ("x:short:*:*", "entry 1"),
            (&*format!("a:{T1}:*"), "name:token:permissions:tenants"),
            (&*format!("a:{T1}::*"), "no permissions"),
            (&*format!("a:{T1}:*:"), "no tenants"),
            (&*format!("a:{T1}:Pixi.Read:*"), "invalid permission"),
            (&*format!("a:{T1}:pi*xi:*"), "invalid permission"),
            (&*format!("a:{T1}:*:*;b:{T1}:*:*"), "entry 2: the token is used twice"),
            (&*format!("a b:{T1}:*:*"), "the name"),
            (&*format!("a:{T1}:*:x,*"), "stands alone"),
            ("# nothing\n", "holds no credential"),
        ];
        for (text, want) in cases {
            let err = Credentials::parse(&SecretString::from(text.to_owned())).err().unwrap();
            assert_eq!(err.var, "CALLERS");
            assert!(err.to_string().contains(want), "{text}: {err}");
            assert!(!err.to_string().contains(T1) && !err.to_string().contains("short"), "{err}");
        }
    }

    #[test]
    fn se_01_a_service_without_credentials_refuses_to_start_unless_local_only_is_set() {
        let err = Credentials::from_env(&Env::from_pairs::<&str, &str>([])).err().unwrap();
        assert_eq!(err.var, "CALLERS");
        assert!(err.to_string().contains("local-only"));
        assert!(Credentials::from_env(&Env::from_pairs([(ALLOW_UNAUTHENTICATED, "local-only")])).unwrap().is_none());
        let err = Credentials::from_env(&Env::from_pairs([(ALLOW_UNAUTHENTICATED, "yes")])).err().unwrap();
        assert_eq!(err.var, ALLOW_UNAUTHENTICATED);
        let both = Env::from_pairs([(ALLOW_UNAUTHENTICATED, "local-only"), ("CALLERS", &*format!("a:{T1}:*:*"))]);
        assert_eq!(Credentials::from_env(&both).err().unwrap().var, ALLOW_UNAUTHENTICATED);
        let old = Env::from_pairs([("SERVICE_TOKENS", &*format!("a:{T1}"))]);
        assert_eq!(Credentials::from_env(&old).err().unwrap().var, "SERVICE_TOKENS");
        assert!(Credentials::from_env(&Env::from_pairs([("CALLERS", &*format!("a:{T1}:*:*"))])).unwrap().is_some());
    }

    #[tokio::test]
    async fn se_01_a_rotated_credentials_file_is_read_without_a_restart_and_a_broken_one_keeps_the_last_good() {
        let dir = std::env::temp_dir().join(format!("payops-callers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("callers");
        std::fs::write(&path, format!("shop:{T1}:*:*\n")).unwrap();
        let env = Env::from_pairs([("CALLERS_FILE", path.to_str().unwrap()), ("CALLERS_RELOAD_EVERY", "0s")]);
        let c = Credentials::from_env(&env).unwrap().unwrap();
        assert!(c.authenticate(T1).await.is_some());
        assert!(c.authenticate(T2).await.is_none());
        // Rotation: both tokens valid at once, then only the new one.
        std::fs::write(&path, format!("shop:{T1}:*:*\nshop:{T2}:*:*\n")).unwrap();
        assert_eq!(c.authenticate(T2).await.unwrap().subject, "shop");
        assert!(c.authenticate(T1).await.is_some());
        std::fs::write(&path, format!("shop:{T2}:*:*\n")).unwrap();
        assert!(c.authenticate(T1).await.is_none());
        assert!(c.authenticate(T2).await.is_some());
        std::fs::write(&path, "broken").unwrap();
        assert!(c.authenticate(T2).await.is_some(), "a file that does not parse keeps the last good credentials");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn permission_patterns() {
        assert!(permission_matches("*", "a.b"));
        assert!(permission_matches("a.*", "a.b.c"));
        assert!(!permission_matches("a.*", "ab.c"));
        assert!(!permission_matches("a.b", "a.b.c"));
        assert!(valid_permission("pixi.orders.*") && valid_permission("ticketing.tickets.create"));
        assert!(!valid_permission("pixi.*.read") && !valid_permission("pixi..x") && !valid_permission(""));
    }
}
