//! SE-07 over HTTP: every HTTP endpoint of the running services — hotline-api's portal API,
//! pixi-sync's console API, unzer's webhook and the error page, invoice-checks' PostFinance
//! post-sale request, every service's admin port, and the pages and assets — driven with
//! generated bad input: bad path segments (huge, percent-encoded invalid UTF-8, NUL, traversal),
//! bad query strings, JSON of wrong types with huge and negative numbers, deeply nested and
//! oversized bodies, invalid UTF-8, truncated JSON, wrong content types and wrong methods; as an
//! authenticated session (cookie and CSRF token) and without one. Every answer is a client error
//! (or a harmless read), never a 5xx or a dropped connection; every 4xx of an `/api/` endpoint is
//! JSON with an `error`; and the database is unchanged afterwards (apart from the tables that
//! record refusals and the background loops' bookkeeping).
//!
//! `SE07_HTTP_CASES` (default 12) sets the cases per endpoint, `SE07_SEED` the seed (`random`
//! draws one); a failure names the seed to replay it with.

use std::collections::BTreeMap;
use std::time::Duration;

use proto::payops::pixi_sync::v1 as px;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use stack::platform::{Service, seed_demo};

use crate::tools;

/// Tables a refused request is supposed to write (audit, security events, login throttles,
/// session activity) and the background loops' bookkeeping.
const NOT_COMPARED: &[&str] = &[
    "security_events",
    "audit_log",
    "audit",
    "leases",
    "pixi_call_minutes",
    "sync_state",
    "login_attempts",
    "login_failures",
    "throttle",
    "sessions",
];

/// Around one request, also the tables background loops write on their own while the run goes
/// on (outbox relays, inbox consumers, the timeline fed from the stream).
const BACKGROUND: &[&str] = &["outbox", "inbox", "timeline"];

/// Field names the endpoints read, so generated objects reach the field checks.
const FIELDS: &[&str] = &[
    "username",
    "password",
    "display_name",
    "role",
    "active",
    "reference",
    "order_id",
    "order_nr",
    "code",
    "email",
    "phone",
    "amount",
    "amount_minor",
    "currency",
    "customer_id",
    "invoice_id",
    "problem_type",
    "description",
    "name",
    "tenant_id",
    "host",
    "port",
    "from",
    "user",
    "method",
    "mode",
    "note",
    "reason",
    "twint",
    "event",
    "retrieveUrl",
    "paymentId",
    "publicKey",
];

/// How an endpoint is reached.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Auth {
    /// No session needed (pages, assets, login, webhooks, the admin port).
    None,
    /// hotline-api's portal session.
    Hotline,
    /// pixi-sync's console session.
    Console,
}

/// One endpoint: base URL, method, path template (`{x}` segments are generated).
struct Endpoint {
    base: String,
    method: &'static str,
    path: String,
    auth: Auth,
}

fn ep(base: &str, method: &'static str, path: &str, auth: Auth) -> Endpoint {
    Endpoint { base: base.to_owned(), method, path: path.to_owned(), auth }
}

fn bad_string(rng: &mut StdRng) -> String {
    match rng.random_range(0..12) {
        0 => String::new(),
        1 => "A".repeat(rng.random_range(300..20_000)),
        2 => "\u{0}\u{1b}[31m\r\nX-Injected: 1".into(),
        3 => "'; DROP TABLE orders; --".into(),
        4 => "../../../etc/passwd".into(),
        5 => "\u{202e}ﬁ😀\u{fffd}ß".repeat(rng.random_range(1..50)),
        6 => "<script>alert(1)</script>".into(),
        7 => "-1".into(),
        8 => "99999999999999999999999999999".into(),
        9 => "NaN".into(),
        10 => (0..rng.random_range(1..64)).map(|_| char::from(rng.random_range(0x20u8..0x7f))).collect(),
        _ => "00000000-0000-0000-0000-000000000000".into(),
    }
}

fn bad_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 3 { 8 } else { 10 }) {
        0 | 1 => Value::String(bad_string(rng)),
        2 => json!(-1),
        3 => json!(i64::MAX),
        4 => json!(1.0e308),
        5 => json!(0.5),
        6 => Value::Null,
        7 => Value::Bool(rng.random()),
        8 => Value::Array((0..rng.random_range(0..5)).map(|_| bad_value(rng, depth + 1)).collect()),
        _ => bad_object(rng, depth + 1),
    }
}

fn bad_object(rng: &mut StdRng, depth: u32) -> Value {
    let mut m = serde_json::Map::new();
    for _ in 0..rng.random_range(0..8) {
        let key =
            if rng.random_bool(0.8) { FIELDS[rng.random_range(0..FIELDS.len())].to_owned() } else { bad_string(rng) };
        m.insert(key, bad_value(rng, depth));
    }
    Value::Object(m)
}

/// A generated body: (content type, bytes, what it is).
fn bad_body(rng: &mut StdRng) -> (Option<&'static str>, Vec<u8>, &'static str) {
    const JSON: Option<&str> = Some("application/json");
    match rng.random_range(0..11) {
        0..=2 => (JSON, bad_object(rng, 0).to_string().into_bytes(), "object of bad values"),
        3 => (JSON, bad_value(rng, 4).to_string().into_bytes(), "wrong top-level type"),
        4 => {
            let n = rng.random_range(200..20_000);
            (JSON, format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes(), "deeply nested")
        }
        5 => (JSON, b"{\"username\":\"\xff\xfe\",\"reference\":\"\xc3\x28\"}".to_vec(), "invalid UTF-8"),
        6 => (Some("text/plain"), bad_object(rng, 0).to_string().into_bytes(), "wrong content type"),
        7 => (Some("application/x-www-form-urlencoded"), b"username=%FF&amount=-1&x=%00".to_vec(), "form body"),
        8 => (JSON, format!("{{\"name\":\"{}\"}}", "x".repeat(3 << 20)).into_bytes(), "oversized"),
        9 => (JSON, b"{\"amount\": 12, \"order_id\":".to_vec(), "truncated JSON"),
        _ => (None, Vec::new(), "empty"),
    }
}

fn bad_segment(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0 => "0".into(),
        1 => "-1".into(),
        2 => "99999999999999999999999".into(),
        3 => "x".repeat(rng.random_range(200..4000)),
        4 => "%FF%FE".into(),
        5 => "%00".into(),
        6 => "..%2F..%2Fadmin".into(),
        7 => "%E2%80%AE%F0%9F%98%80".into(),
        8 => format!("{:032x}", rng.random::<u128>()),
        _ => "%C3%28".into(),
    }
}

fn bad_query(rng: &mut StdRng) -> String {
    let pairs = [
        "limit=-1",
        "limit=99999999999999999999",
        "page=abc",
        "from=%FF%FE",
        "status=NO_SUCH_STATE",
        "order_nr=%00",
        "q=%E2%80%AE",
        "before=2026-13-45",
        "cursor=%C3%28",
        "tenant_id=00000000-0000-0000-0000-000000000000",
    ];
    let n = rng.random_range(1..4);
    let mut q: Vec<String> = (0..n).map(|_| pairs[rng.random_range(0..pairs.len())].to_owned()).collect();
    if rng.random_bool(0.2) {
        q.push(format!("x={}", "y".repeat(5000)));
    }
    q.join("&")
}

/// A logged-in session: the cookie header and its CSRF token.
struct SessionCookie {
    cookie: String,
    csrf: String,
}

async fn login(http: &reqwest::Client, base: &str, user: &str, password: &str, cookie_name: &str) -> SessionCookie {
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login answers");
    assert!(r.status().is_success(), "login at {base}: {}", r.status());
    let cookie = r
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{cookie_name}=")))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let body: Value = r.json().await.expect("login JSON");
    let csrf = body["csrf_token"].as_str().expect("csrf_token").to_owned();
    SessionCookie { cookie, csrf }
}

#[tokio::test(flavor = "multi_thread")]
async fn se_07_every_http_endpoint_answers_generated_bad_input_with_a_client_error_and_writes_nothing() {
    let cases: u32 = std::env::var("SE07_HTTP_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let seed: u64 = match std::env::var("SE07_SEED").as_deref() {
        Ok("random") => rand::random(),
        Ok(v) => v.parse().expect("SE07_SEED is a number or `random`"),
        Err(_) => 4,
    };
    println!("SE-07 HTTP run: SE07_HTTP_CASES={cases} SE07_SEED={seed}");
    let (env, sandbox, mut platform) = tools::platform().await;
    let seed_data = seed_demo(&platform).await.expect("seed");
    let tokens = platform.tokens().clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Sessions: hotline-api's bootstrap admin, and a console operator for every tenant.
    let portal = platform.urls(Service::HotlineApi).web.clone().expect("portal");
    let console = platform.urls(Service::PixiSync).console.clone().expect("console");
    let public = platform.urls(Service::PixiSync).web.clone().expect("pixi-sync public");
    let invoice = platform.urls(Service::InvoiceChecks).web.clone().expect("invoice-checks public");
    let hotline_session = login(&http, &portal, &tokens.admin.0, &tokens.admin.1, "hl_session").await;
    let console_password = "fuzz-operator-password-1";
    px::console_user_service_client::ConsoleUserServiceClient::new(platform.connect(Service::PixiSync).await.unwrap())
        .create_console_user(px::CreateConsoleUserRequest {
            tenant_id: String::new(),
            username: "fuzz.operator".into(),
            display_name: "Fuzz".into(),
            role: px::ConsoleRole::Admin as i32,
            password: console_password.into(),
        })
        .await
        .expect("console user");
    let cookie_name = {
        let r = http
            .post(format!("{console}/api/login"))
            .json(&json!({"username": "fuzz.operator", "password": console_password}))
            .send()
            .await
            .unwrap();
        let set = r.headers().get(reqwest::header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        set.split('=').next().unwrap_or("").to_owned()
    };
    let console_session = login(&http, &console, "fuzz.operator", console_password, &cookie_name).await;

    // The webhook URL pixi-sync registered at unzer (its secret included), and the seeded
    // tenant's PostFinance post-sale URL, so generated input reaches the handlers' checks.
    let merchants = sandbox.client().unzer_merchants().await.expect("unzer merchants");
    let webhook = merchants
        .iter()
        .flat_map(|m| m.webhooks.iter())
        .map(|w| w.url.clone())
        .find(|u| u.contains("/unzer/webhooks/"))
        .expect("pixi-sync registered its webhook");
    let webhook_path = webhook.split_once("/unzer/").map(|(_, p)| format!("/unzer/{p}")).expect("webhook path");
    let swissbilling_tenant = platform.config.accounts.postfinance.first().map(|p| p.tenant.clone()).expect("account");

    use Auth::{Console, Hotline, None as Open};
    let mut endpoints = vec![
        ep(&portal, "GET", "/", Open),
        ep(&portal, "GET", "/app.js", Open),
        ep(&portal, "GET", "/favicon.ico", Open),
        ep(&portal, "POST", "/api/login", Open),
        ep(&portal, "POST", "/api/logout", Open),
        ep(&portal, "GET", "/api/me", Hotline),
        ep(&portal, "POST", "/api/b2c/lookup", Hotline),
        ep(&portal, "POST", "/api/b2c/generate", Hotline),
        ep(&portal, "POST", "/api/b2c/ticket", Hotline),
        ep(&portal, "GET", "/api/b2b/customers", Hotline),
        ep(&portal, "GET", "/api/b2b/customers/{id}/invoices", Hotline),
        ep(&portal, "POST", "/api/b2b/ticket", Hotline),
        ep(&portal, "GET", "/api/overview", Hotline),
        ep(&portal, "GET", "/api/orders/{id}/timeline", Hotline),
        ep(&portal, "GET", "/api/audit", Hotline),
        ep(&portal, "GET", "/api/agents", Hotline),
        ep(&portal, "POST", "/api/agents", Hotline),
        ep(&portal, "POST", "/api/agents/{username}/active", Hotline),
        ep(&portal, "POST", "/api/agents/{username}/role", Hotline),
        ep(&portal, "POST", "/api/agents/{username}/password", Hotline),
        ep(&portal, "POST", "/api/agents/{username}/unlock", Hotline),
        ep(&portal, "GET", "/api/{unknown}", Hotline),
        ep(&console, "GET", "/", Open),
        ep(&console, "GET", "/bestellungen/{nr}", Open),
        ep(&console, "GET", "/o/{t}/{screen}", Open),
        ep(&console, "GET", "/console.js", Open),
        ep(&console, "POST", "/api/login", Open),
        ep(&console, "POST", "/api/logout", Open),
        ep(&console, "GET", "/api/me", Console),
        ep(&console, "GET", "/api/orgs", Console),
        ep(&console, "POST", "/api/orgs", Console),
        ep(&console, "GET", "/api/orders/{nr}", Console),
        ep(&console, "GET", "/api/{unknown}", Console),
    ];
    // The console's tenant-scoped API, once under a generated tenant and once under the seeded
    // one (so the body and field checks are reached; endpoints that act on the path alone —
    // preflight, reconciliation, test mail, a new error-page link — only under a generated one).
    let tenant = seed_data.pixi.tenant_id.clone();
    for (method, path, acts_on_path_alone) in [
        ("GET", "/pixi-apis", false),
        ("POST", "/pixi-apis", false),
        ("GET", "/pixi-apis/{id}/methods", false),
        ("POST", "/preflight", true),
        ("GET", "/smtp", false),
        ("POST", "/smtp", false),
        ("POST", "/smtp/test", true),
        ("POST", "/error-page-link", true),
        ("GET", "/users", false),
        ("POST", "/users", false),
        ("GET", "/configs", false),
        ("POST", "/configs", false),
        ("POST", "/configs/copy", false),
        ("GET", "/configs/{id}", false),
        ("GET", "/orders", false),
        ("GET", "/orders/{api}/{nr}", false),
        ("POST", "/orders/{api}/{nr}/solved", false),
        ("POST", "/orders/{api}/{nr}/retry", false),
        ("GET", "/config-problems", false),
        ("GET", "/mismatches", false),
        ("POST", "/reconcile", true),
        ("GET", "/status", false),
    ] {
        endpoints.push(ep(&console, method, &format!("/api/o/{{t}}{path}"), Console));
        if !acts_on_path_alone {
            endpoints.push(ep(&console, method, &format!("/api/o/{tenant}{path}"), Console));
        }
    }
    endpoints.extend([
        ep(&public, "POST", &webhook_path, Open),
        ep(&public, "POST", "/unzer/webhooks/{t}/{secret}", Open),
        ep(&public, "GET", "/errors/{token}", Open),
        ep(&public, "GET", "/errors.css", Open),
        ep(&invoice, "GET", &format!("/postfinance/{swissbilling_tenant}/feedback"), Open),
        ep(&invoice, "POST", &format!("/postfinance/{swissbilling_tenant}/feedback"), Open),
        ep(&invoice, "POST", "/postfinance/{t}/feedback", Open),
    ]);
    for service in Service::ALL {
        let admin = platform.urls(service).admin.clone();
        for path in ["/livez", "/readyz", "/metrics", "/{unknown}"] {
            endpoints.push(ep(&admin, "GET", path, Open));
        }
    }

    // Phase 1: reads (GET) — none may write anything, checked over the whole phase. Phase 2:
    // writes and wrong methods — every one that is refused must not have written, checked
    // around each request (a generated body that happens to be valid may write: that is no
    // fault, and it is counted).
    let mut rng = StdRng::seed_from_u64(seed);
    let mut run = Run::default();
    let before = tools::db_snapshot(&env.database_url, NOT_COMPARED).await;
    for e in endpoints.iter().filter(|e| e.method == "GET") {
        for _ in 0..cases {
            let req = generate(e, &mut rng, false, &hotline_session, &console_session);
            send(&http, req, &mut run).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = tools::db_snapshot(&env.database_url, NOT_COMPARED).await;
    let changed: Vec<&String> = before.keys().filter(|t| before.get(*t) != after.get(*t)).collect();
    assert!(changed.is_empty(), "generated reads changed tables {changed:?} (replay with SE07_SEED={seed})");

    let per_request = [NOT_COMPARED, BACKGROUND].concat();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&env.database_url).await.expect("database");
    for e in &endpoints {
        for _ in 0..cases {
            let req = generate(e, &mut rng, true, &hotline_session, &console_session);
            if req.method == "GET" {
                continue;
            }
            let before = tools::db_snapshot_on(&mut conn, &per_request).await;
            let shown = req.shown.clone();
            let status = send(&http, req, &mut run).await;
            if status.is_some_and(|s| s.is_success()) {
                run.accepted.push(shown);
                continue;
            }
            let after = tools::db_snapshot_on(&mut conn, &per_request).await;
            let changed: Vec<&String> = before.keys().filter(|t| before.get(*t) != after.get(*t)).collect();
            if !changed.is_empty() {
                run.faults.push(format!("{shown}: refused, but changed {changed:?}"));
            }
        }
    }
    println!(
        "SE-07 HTTP: {} endpoints, {} generated requests, answers {:?}; accepted writes: {:?}",
        endpoints.len(),
        run.total,
        run.seen,
        run.accepted
    );
    let mut faults = run.faults.clone();
    faults.sort();
    faults.dedup();
    assert!(
        faults.is_empty(),
        "{} answers that are not a client error, or refusals that wrote (replay with SE07_SEED={seed}):\n{}",
        run.faults.len(),
        faults.join("\n")
    );
    for service in Service::ALL {
        let r = http.get(format!("{}/livez", platform.urls(service).admin)).send().await;
        assert!(r.is_ok_and(|r| r.status().is_success()), "{service:?} still alive after the run");
    }
    let unclean = platform.stop_all().await;
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM after the run: {unclean:?}");
}

/// What a run saw.
#[derive(Default)]
struct Run {
    total: u64,
    seen: BTreeMap<u16, u64>,
    faults: Vec<String>,
    accepted: Vec<String>,
}

/// One generated request.
struct Generated {
    method: &'static str,
    url: String,
    json_api: bool,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    session: Option<(String, String)>,
    shown: String,
}

/// A request for `e`: generated path segments and query, body and (when `vary_method`)
/// sometimes another method; with the endpoint's session most of the time.
fn generate(
    e: &Endpoint,
    rng: &mut StdRng,
    vary_method: bool,
    hotline: &SessionCookie,
    console: &SessionCookie,
) -> Generated {
    let mut path = String::new();
    for part in e.path.split('/').skip(1) {
        path.push('/');
        if part.starts_with('{') { path.push_str(&bad_segment(rng)) } else { path.push_str(part) }
    }
    if rng.random_bool(0.3) {
        path = format!("{path}?{}", bad_query(rng));
    }
    let method = if vary_method && rng.random_bool(0.15) {
        ["PUT", "DELETE", "PATCH", "POST"][rng.random_range(0..4)]
    } else {
        e.method
    };
    let (content_type, body, kind) = bad_body(rng);
    let session = match e.auth {
        Auth::None => None,
        _ if rng.random_bool(0.15) => None,
        Auth::Hotline => Some((hotline.cookie.clone(), hotline.csrf.clone())),
        Auth::Console => Some((console.cookie.clone(), console.csrf.clone())),
    };
    let shown = format!(
        "{method} {}{} ({kind}, {})",
        e.path,
        if path.contains('?') { " ?…" } else { "" },
        if session.is_some() { "session" } else { "no session" }
    );
    Generated {
        method,
        json_api: path.starts_with("/api/"),
        url: format!("{}{path}", e.base),
        content_type,
        body,
        session,
        shown,
    }
}

/// Sends `g` and records its answer; the status, or `None` when nothing came back.
async fn send(http: &reqwest::Client, g: Generated, run: &mut Run) -> Option<reqwest::StatusCode> {
    let mut req = http.request(g.method.parse().expect("method"), &g.url);
    if g.method != "GET" {
        if let Some(ct) = g.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        req = req.body(g.body);
    }
    if let Some((cookie, csrf)) = &g.session {
        req = req.header(reqwest::header::COOKIE, cookie).header("x-csrf-token", csrf);
    }
    run.total += 1;
    let resp = match req.send().await {
        Ok(r) => r,
        Err(err) => {
            run.faults.push(format!("{}: no answer ({err})", g.shown));
            return None;
        }
    };
    let status = resp.status();
    *run.seen.entry(status.as_u16()).or_default() += 1;
    let content_type =
        resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = resp.text().await.unwrap_or_default();
    if status.is_server_error() {
        run.faults.push(format!("{}: {status} {}", g.shown, text.chars().take(200).collect::<String>()));
    } else if g.json_api && status.is_client_error() {
        let ok = content_type.starts_with("application/json")
            && serde_json::from_str::<Value>(&text).is_ok_and(|v| v["error"].is_string());
        if !ok {
            run.faults.push(format!(
                "{}: {status} without a JSON error ({content_type}: {})",
                g.shown,
                text.chars().take(120).collect::<String>()
            ));
        }
    }
    Some(status)
}
