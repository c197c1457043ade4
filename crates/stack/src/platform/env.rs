//! The environment of each service binary: the shared database, bus and stream, its partners
//! at the sandbox, the tokens between the services, and the profile's intervals. GRPC_ADDR and
//! ADMIN_ADDR are added by `ServiceProcess`.

use std::collections::BTreeMap;

use sandbox::System;

use super::Service;
use super::config::{ClockMode, PlatformConfig, Ports, Profile};

/// A one-minute quiet window twelve hours from now (UTC hours; pixi time is within two hours).
fn quiet_window_elsewhere() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let h = (now / 3600 + 12) % 24;
    format!("{h:02}:00-{h:02}:01")
}

/// Key that encrypts pixi-sync's stored secrets (fixed: a restarted process must read them).
pub const PIXI_SYNC_SECRET_KEY: &str = "5ea1ed0000000000000000000000000000000000000000000000000000c0ffee";
/// Key that encrypts terminal-gateway's stored Nets credentials.
pub const CREDENTIALS_KEY: &str = "0000000000000000000000000000000000000000000000000000000000c0ffee";

/// The variables of `service`, given every service's ports.
pub(crate) fn service_env(
    config: &PlatformConfig,
    service: Service,
    ports: &BTreeMap<Service, Ports>,
) -> Vec<(String, String)> {
    let test = config.profile == Profile::Test;
    let sb = &config.sandbox;
    let t = &config.tokens;
    let mut v: Vec<(&str, String)> = vec![
        ("DATABASE_URL", config.database_url.clone()),
        ("NATS_URL", config.nats_url.clone()),
        ("EVENTS_PREFIX", config.events_prefix.clone()),
        ("EVENTS_STREAM", config.events_stream.clone()),
        ("RUST_LOG", "info".into()),
        ("SHUTDOWN_GRACE", if test { "5s" } else { "20s" }.into()),
        ("CALLERS", callers(service, t)),
    ];
    if test {
        // Two cores shared by several platforms and builds: a pool waits longer than in production.
        v.push(("DB_ACQUIRE_TIMEOUT", "20s".into()));
    }
    if config.clock == ClockMode::FollowSandbox {
        v.push(("CLOCK_SOURCE", format!("sandbox:{}", sb.admin_url)));
        v.push(("CLOCK_SOURCE_ALLOW_TEST", "true".into()));
    }
    let web = ports.get(&service).and_then(|p| p.web);
    match service {
        Service::PixiSync => {
            let public = web.unwrap_or(8051);
            v.extend([
                ("PIXI_SYNC_SECRET_KEY", PIXI_SYNC_SECRET_KEY.into()),
                ("PUBLIC_ADDR", format!("127.0.0.1:{public}")),
                ("PUBLIC_BASE_URL", format!("http://127.0.0.1:{public}")),
                ("CONSOLE_ADDR", format!("127.0.0.1:{}", ports.get(&service).and_then(|p| p.console).unwrap_or(8151))),
                ("UNZER_SANDBOX_BASE_URL", sb.url(System::Unzer)),
                ("UNZER_PRODUCTION_BASE_URL", sb.url(System::Unzer)),
            ]);
            if test {
                v.extend([
                    ("DB_MAX_CONNECTIONS", "6".into()),
                    ("ORDER_CONCURRENCY", "2".into()),
                    ("POLL_INTERVAL", "300ms".into()),
                    ("FULL_SCAN_INTERVAL", "3s".into()),
                    ("FOLLOW_INTERVAL", "3s".into()),
                    ("LEASE_TTL", "3s".into()),
                    ("PIXI_TIMEOUT", "5s".into()),
                    ("UNZER_TIMEOUT", "5s".into()),
                    ("SMTP_TIMEOUT", "5s".into()),
                    ("UNKNOWN_ESCALATE_AFTER", "3s".into()),
                ]);
                // PX-22's nightly window (00:00–04:00 pixi time) refuses every pixi request, the
                // seed's test call included. On the machine's clock tests run at any hour, so
                // the window moves to a minute about twelve hours away; on the sandbox's clock
                // the test sets the time and the real window stays.
                if config.clock == ClockMode::System {
                    v.push(("PIXI_QUIET_WINDOW", quiet_window_elsewhere()));
                }
            }
        }
        Service::TerminalGateway => {
            v.extend([
                ("NETS_BASE_URL", sb.url(System::Nets)),
                ("CREDENTIALS_KEY", CREDENTIALS_KEY.into()),
                ("INSTANCE_ID", "terminal-gateway-1".into()),
            ]);
            if test {
                v.extend([
                    ("DB_MAX_CONNECTIONS", "4".into()),
                    ("LEASE_DURATION", "3s".into()),
                    ("SUPERVISOR_INTERVAL", "200ms".into()),
                    ("NETS_REQUEST_TIMEOUT", "5s".into()),
                    ("NETS_LOGIN_TIMEOUT", "5s".into()),
                ]);
            }
        }
        Service::HotlineApi => {
            let ticketing = ports.get(&Service::TicketingBridge).map_or(50054, |p| p.grpc);
            let pixi_public = ports.get(&Service::PixiSync).and_then(|p| p.web).unwrap_or(8051);
            let pixi_console = ports.get(&Service::PixiSync).and_then(|p| p.console).unwrap_or(8151);
            let (si_id, si_secret) = &config.accounts.smallinvoice_client;
            v.extend([
                ("WEB_ADDR", format!("127.0.0.1:{}", web.unwrap_or(8053))),
                ("PGW_BASE_URL", format!("{}/api/v1", sb.url(System::Pgw))),
                ("PGW_API_KEY", config.accounts.pgw_api_key.clone()),
                ("SMALLINVOICE_BASE_URL", format!("{}/v2", sb.url(System::Smallinvoice))),
                ("SMALLINVOICE_CLIENT_ID", si_id.clone()),
                ("SMALLINVOICE_CLIENT_SECRET", si_secret.clone()),
                ("TICKETING_URL", format!("http://127.0.0.1:{ticketing}")),
                ("TICKETING_TOKEN", t.hotline.clone()),
                ("BOOTSTRAP_ADMIN", t.admin.0.clone()),
                ("BOOTSTRAP_ADMIN_PASSWORD", t.admin.1.clone()),
                ("PIXI_SYNC_DASHBOARD_URL", format!("http://127.0.0.1:{pixi_console}/bestellungen/{{order_id}}")),
                ("PIXI_SYNC_ERRORS_URL", format!("http://127.0.0.1:{pixi_public}/errors")),
            ]);
            if test {
                v.extend([
                    ("DB_MAX_CONNECTIONS", "4".into()),
                    ("PGW_TIMEOUT", "3s".into()),
                    ("PASSWORD_HASH_MEMORY_KIB", "256".into()),
                    ("PASSWORD_HASH_ITERATIONS", "1".into()),
                ]);
            }
        }
        Service::TicketingBridge => {
            v.extend([
                ("FRESHDESK_URL", sb.url(System::Freshdesk)),
                ("FRESHDESK_API_KEY", config.accounts.freshdesk_api_key.clone()),
                ("FRESHDESK_GROUPS", "hotline:43000000001,payments:43000000002,billing:43000000003".into()),
                ("ATTENTION_GROUP", "payments".into()),
            ]);
            if test {
                v.extend([
                    ("DB_MAX_CONNECTIONS", "6".into()),
                    ("FRESHDESK_CONCURRENCY", "2".into()),
                    ("ATTENTION_CONSUMER_CONCURRENCY", "1".into()),
                    ("FRESHDESK_RATE_PER_MINUTE", "6000".into()),
                    ("FRESHDESK_CREATE_PER_MINUTE", "6000".into()),
                    ("FRESHDESK_BURST", "100".into()),
                    ("FRESHDESK_TIMEOUT", "5s".into()),
                    ("FRESHDESK_BACKOFF_BASE", "200ms".into()),
                    ("FRESHDESK_BACKOFF_MAX", "2s".into()),
                    // Above the sandbox's search indexing delay (120 s): an unknown creation is
                    // repeated only once search could have found it (TK-03).
                    ("FRESHDESK_INDEX_DELAY", "150s".into()),
                    ("TICKETING_POLL", "100ms".into()),
                ]);
            }
        }
        Service::InvoiceChecks => {
            let pf = sb.url(System::Postfinance);
            v.extend([
                ("PUBLIC_ADDR", format!("127.0.0.1:{}", web.unwrap_or(8055))),
                ("POSTFINANCE_TEST_URL", format!("{pf}/ncol/test/")),
                ("POSTFINANCE_PROD_URL", format!("{pf}/ncol/prod/")),
            ]);
            let names: Vec<&str> = config.accounts.postfinance.iter().map(|a| a.tenant.as_str()).collect();
            v.push(("SWISSBILLING_TENANTS", names.join(",")));
            if test {
                v.extend([
                    ("DB_MAX_CONNECTIONS", "4".into()),
                    ("POSTFINANCE_TIMEOUT", "5s".into()),
                    ("SWISSBILLING_REFRESH_EVERY", "1s".into()),
                    ("SWISSBILLING_RESOLVE_EVERY", "1s".into()),
                    ("SWISSBILLING_RESOLVE_AFTER", "1s".into()),
                    ("SWISSBILLING_DISCOVER_AFTER", "2s".into()),
                    ("MANUAL_EXPIRY_EVERY", "1s".into()),
                ]);
            }
        }
    }
    let mut out: Vec<(String, String)> = v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    if service == Service::InvoiceChecks {
        out.extend(swissbilling_vars(config));
    }
    for (s, k, val) in &config.extra_env {
        if *s == service {
            out.retain(|(name, _)| name != k);
            out.push((k.clone(), val.clone()));
        }
    }
    out
}

/// The credentials `service` accepts (SE-01 … SE-03): `platform` (tests, seeding, tools) may do
/// everything; `outsider` holds no permission of any service and `elsewhere` every permission
/// for a tenant that does not exist (the security tests call with them); hotline-api may only
/// create tickets at ticketing-bridge; the `manager` works on manual payments and SwissBilling
/// transactions at invoice-checks.
fn callers(service: Service, t: &super::config::Tokens) -> String {
    let mut lines = vec![
        format!("platform:{}:*:*", t.platform),
        format!("outsider:{}:nothing:*", t.outsider),
        format!("elsewhere:{}:*:no-such-tenant", t.elsewhere),
    ];
    match service {
        Service::TicketingBridge => lines.push(format!("hotline-api:{}:ticketing.tickets.create:*", t.hotline)),
        Service::InvoiceChecks => {
            lines.push(format!("manager:{}:manual.*,swissbilling.transactions.*:*", t.manager));
        }
        _ => {}
    }
    lines.join("\n")
}

fn swissbilling_vars(config: &PlatformConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in &config.accounts.postfinance {
        let p = format!("SWISSBILLING_{}", a.tenant.to_ascii_uppercase().replace('-', "_"));
        let env = if a.env == sandbox::postfinance::Env::Test { "test" } else { "prod" };
        for (k, val) in [
            ("ENV", env),
            ("PSPID", a.pspid.as_str()),
            ("USERID", a.user.0.as_str()),
            ("PSWD", a.user.1.as_str()),
            ("SHA_IN_DIRECTLINK", a.sha.0.as_str()),
            ("SHA_IN_ECOM", a.sha.1.as_str()),
            ("SHA_OUT", a.sha.2.as_str()),
            ("SHA_ALGORITHM", "SHA-256"),
            ("PARTIAL_MAINTENANCE", "true"),
            ("MULTIPLE_MAINTENANCE", "true"),
            ("REFUNDS", "true"),
        ] {
            out.push((format!("{p}_{k}"), val.to_owned()));
        }
    }
    out
}
