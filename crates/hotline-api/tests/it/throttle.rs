//! SE-05: the login throttle counts before the password is checked, keys the client by the
//! rightmost untrusted `X-Forwarded-For` entry behind trusted proxies, throttles one address
//! without locking the agent out elsewhere, can be lifted by an admin, and never logs the
//! typed user name.

use proto::payops::hotline::v1::{ListAuditEntriesRequest, LoginRequest, UnlockAgentRequest};
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, TestApp, authed};
use crate::security::Captured;

/// Logs in over HTTP as if through the proxy on 127.0.0.1 for `xff`; the status.
async fn login_via(app: &TestApp, xff: &str, who: (&str, &str)) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/login", app.web_url))
        .header("x-forwarded-for", xff)
        .json(&serde_json::json!({ "username": who.0, "password": who.1 }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn se_05_parallel_wrong_passwords_never_exceed_the_limit() {
    let app = TestApp::spawn().await;
    let agents = app.agents_client().await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let mut c = agents.clone();
        tasks.push(tokio::spawn(async move {
            let r = LoginRequest { username: AGENT.0.into(), password: format!("wrong-password-{i}") };
            c.login(r).await.unwrap_err().code()
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == Code::Unauthenticated).count();
    let throttled = codes.iter().filter(|c| **c == Code::ResourceExhausted).count();
    assert_eq!((checked, throttled), (5, 19), "exactly LOGIN_MAX_FAILURES passwords were checked: {codes:?}");
    let mut c = agents.clone();
    let right = c.login(LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() }).await.unwrap_err();
    assert_eq!(right.code(), Code::ResourceExhausted, "the pair stays throttled");
    app.stop().await;
}

#[tokio::test]
async fn se_05_through_a_trusted_proxy_the_rightmost_untrusted_forwarded_for_entry_is_the_client() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.0/8, 10.0.0.0/8")]).await;
    // The attacker varies the leftmost entry, which it writes itself; the proxies append the
    // address they saw, which stays the same.
    for i in 0..5 {
        let xff = format!("198.18.0.{i}, 203.0.113.5, 10.1.1.1");
        assert_eq!(login_via(&app, &xff, (AGENT.0, "wrong-password")).await, 401);
    }
    assert_eq!(login_via(&app, "1.1.1.1, 203.0.113.5, 10.1.1.1", AGENT).await, 429, "same client, forged left part");
    assert_eq!(login_via(&app, "203.0.113.5", AGENT).await, 429);
    assert_eq!(login_via(&app, "203.0.113.5, 10.1.1.1", AGENT).await, 429);
    // Another client behind the same proxy is not affected.
    assert_eq!(login_via(&app, "203.0.113.6, 10.1.1.1", AGENT).await, 200);
    app.stop().await;
}

#[tokio::test]
async fn se_05_without_trusted_proxies_forwarded_for_is_ignored() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        assert_eq!(login_via(&app, &format!("203.0.113.{i}"), (AGENT.0, "wrong-password")).await, 401);
    }
    assert_eq!(login_via(&app, "198.51.100.99", AGENT).await, 429, "every attempt came from the socket peer");
    app.stop().await;
}

#[tokio::test]
async fn se_05_an_outsider_cannot_lock_an_agent_out_from_another_address() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    let attacker = "198.51.100.66";
    for who in [AGENT.0, ADMIN.0] {
        for _ in 0..5 {
            assert_eq!(login_via(&app, attacker, (who, "guess-guess-guess")).await, 401);
        }
        for _ in 0..10 {
            assert_eq!(login_via(&app, attacker, (who, "guess-guess-guess")).await, 429, "the attacker is throttled");
        }
    }
    assert_eq!(login_via(&app, attacker, AGENT).await, 429, "even the right password from the attacker's address");
    // The agent and the admin, from their own addresses, still get in.
    assert_eq!(login_via(&app, "203.0.113.10", AGENT).await, 200);
    assert_eq!(login_via(&app, "203.0.113.11", ADMIN).await, 200);
    // Time does not lift the lock from the attacker's address early, only the window does.
    app.clock.advance(std::time::Duration::from_secs(10 * 60));
    assert_eq!(login_via(&app, attacker, AGENT).await, 429);
    // An admin can unlock the agent at once, and that is audited.
    let token = app.token(ADMIN).await;
    let mut agents = app.agents_client().await;
    agents.unlock_agent(authed(&token, UnlockAgentRequest { username: AGENT.0.into() })).await.unwrap();
    assert_eq!(login_via(&app, attacker, AGENT).await, 200, "unlocked");
    assert_eq!(login_via(&app, attacker, ADMIN).await, 429, "only the named agent was unlocked");
    let entries = agents
        .list_audit_entries(authed(&token, ListAuditEntriesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let unlocked = entries.iter().find(|e| e.action == "agent_unlocked").expect("the unlock is audited");
    assert_eq!((unlocked.actor.as_str(), unlocked.target.as_str()), (ADMIN.0, "agent:anna"));
    // A standard agent cannot unlock.
    let standard = app.token(AGENT).await;
    let e = agents.unlock_agent(authed(&standard, UnlockAgentRequest { username: ADMIN.0.into() })).await.unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn se_05_a_failed_login_does_not_log_the_typed_user_name() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("trace,h2=info,hyper=info,tower=info,sqlx=info,async_nats=info,rustls=info")
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    let mut agents = app.agents_client().await;
    let typed = "maria.muster-typo-4711";
    for name in [typed, AGENT.0] {
        let e = agents
            .login(LoginRequest { username: name.into(), password: "wrong-password-xyz".into() })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
    }
    for _ in 0..5 {
        let _ = agents.login(LoginRequest { username: typed.into(), password: "wrong-password-xyz".into() }).await;
    }
    app.stop().await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("login refused"), "the refusal is logged");
    assert!(logs.contains("login throttled"), "the throttle is logged");
    assert!(!logs.contains(typed), "the typed user name appears in the logs");
    assert!(!logs.contains("wrong-password-xyz"), "the typed password appears in the logs");
    for line in logs.lines().filter(|l| l.contains("login refused") || l.contains("login throttled")) {
        assert!(!line.contains(&format!("\"{}\"", AGENT.0)), "an agent's name in {line}");
    }
}
