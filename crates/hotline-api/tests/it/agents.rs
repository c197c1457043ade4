//! HL-01 … HL-03: roles enforced by the server, step-up, generic login errors, throttling,
//! expiring sessions, cookie flags and CSRF.

use chrono::Duration;
use proto::payops::hotline::v1::{
    AgentRole, CreateAgentRequest, GenerateCodeRequest, GetMeRequest, ListAuditEntriesRequest, LoginRequest,
};
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, SERVICE_TOKEN, TestApp, authed};

#[tokio::test]
async fn hl_01_a_standard_agents_token_cannot_generate_codes_over_grpc_or_http_and_is_audited() {
    let app = TestApp::spawn().await;
    app.device("b10234", "DEV-0017", 1).await;
    let tx = app.payment("b10234", "+41791234567", app.now() - Duration::hours(3), 350).await;
    let token = app.token(AGENT).await;
    let mut c = app.hotline_client().await;
    let err = c
        .generate_code(authed(&token, GenerateCodeRequest { transaction_id: tx.id as i64, password: AGENT.1.into() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert_eq!(kit::grpc::status::error_reason(&err).as_deref(), Some("PERMISSION_REQUIRED"));
    // A service token has standard rights only.
    let service = SERVICE_TOKEN;
    let err = c
        .generate_code(authed(service, GenerateCodeRequest { transaction_id: tx.id as i64, password: "x".into() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let web = app.web(AGENT).await;
    let (status, body) =
        web.post("/b2c/generate", serde_json::json!({ "transaction_id": tx.id, "password": AGENT.1 })).await;
    assert_eq!(status, 403);
    assert_eq!(body["reason"], "ROLE_REQUIRED");
    assert!(app.sandbox().pgw_generations(sandbox::pgw::Env::Prod).await.unwrap().is_empty(), "nothing reached PGW");
    let admin = app.token(ADMIN).await;
    let mut agents = app.agents_client().await;
    let audit = agents
        .list_audit_entries(authed(&admin, ListAuditEntriesRequest { action: "refused".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(audit.iter().filter(|e| e.target == "generate_code").count(), 3, "{audit:?}");
    // Standard agents may not read the audit log or create agents either.
    let err = agents.list_audit_entries(authed(&token, ListAuditEntriesRequest::default())).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = agents
        .create_agent(authed(
            &token,
            CreateAgentRequest {
                username: "mallory".into(),
                display_name: "M".into(),
                role: AgentRole::Admin as i32,
                password: "mallory-password-1".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test]
async fn hl_01_every_rpc_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let mut agents = app.agents_client().await;
    let err = agents.get_me(GetMeRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = agents.get_me(authed("not-a-token", GetMeRequest {})).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut c = app.hotline_client().await;
    let err = c.get_daily_overview(proto::payops::hotline::v1::GetDailyOverviewRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut t = app.timeline_client().await;
    let err = t
        .get_order_timeline(proto::payops::hotline::v1::GetOrderTimelineRequest { order_id: "1".into() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let http = reqwest::Client::new();
    for path in ["/api/me", "/api/overview", "/api/orders/1/timeline", "/api/b2b/customers?q=ab"] {
        let r = http.get(format!("{}{path}", app.web_url)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    let metrics = http.get(format!("{}/metrics", app.admin_url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("payops_hotline_http_requests_total"), "web requests are counted");
    let token = app.token(ADMIN).await;
    let me = agents.get_me(authed(&token, GetMeRequest {})).await.unwrap().into_inner().agent.unwrap();
    assert_eq!((me.username.as_str(), me.role), ("admin", AgentRole::Admin as i32));
    app.stop().await;
}

#[tokio::test]
async fn hl_03_wrong_user_and_wrong_password_get_one_generic_error_and_repeated_failures_are_throttled() {
    let app = TestApp::spawn().await;
    let mut agents = app.agents_client().await;
    let unknown =
        agents.login(LoginRequest { username: "nobody".into(), password: "whatever-pw".into() }).await.unwrap_err();
    let wrong =
        agents.login(LoginRequest { username: AGENT.0.into(), password: "wrong-password".into() }).await.unwrap_err();
    assert_eq!((unknown.code(), unknown.message()), (wrong.code(), wrong.message()));
    assert_eq!(kit::grpc::status::error_reason(&wrong).as_deref(), Some("INVALID_CREDENTIALS"));
    for _ in 0..4 {
        let e = agents
            .login(LoginRequest { username: AGENT.0.into(), password: "wrong-password".into() })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated);
    }
    // Five failures within the window lock the name — even the right password is refused now.
    let locked = agents.login(LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() }).await.unwrap_err();
    assert_eq!(locked.code(), Code::ResourceExhausted);
    assert_eq!(kit::grpc::status::error_reason(&locked).as_deref(), Some("LOGIN_THROTTLED"));
    // Over HTTP too, with Retry-After.
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/api/login", app.web_url))
        .json(&serde_json::json!({ "username": AGENT.0, "password": AGENT.1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // Once the window has passed, the right password works again.
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    agents.login(LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() }).await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn hl_03_client_throttle_stops_guessing_across_user_names() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    // Several agents may share an address: the client limit is four times the user limit. A
    // forged X-Forwarded-For does not help (it is trusted only when configured).
    for i in 0..21 {
        let r = http
            .post(format!("{}/api/login", app.web_url))
            .header("x-forwarded-for", format!("10.0.0.{i}"))
            .json(&serde_json::json!({ "username": format!("user{i}"), "password": "guess-guess" }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
    let last = statuses[20];
    assert_eq!(last, 429, "the 21st guess from one client is throttled");
    app.stop().await;
}

#[tokio::test]
async fn hl_03_sessions_expire_and_logout_ends_them() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut agents = app.agents_client().await;
    agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    app.clock.advance(std::time::Duration::from_secs(10 * 3600 + 1));
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    let token = app.token(AGENT).await;
    agents.logout(authed(&token, proto::payops::hotline::v1::LogoutRequest {})).await.unwrap();
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    // Passwords are stored as salted argon2id hashes, never as text.
    let hashes: Vec<String> =
        sqlx::query_scalar("SELECT password_hash FROM agents").fetch_all(&app.hotline.pool).await.unwrap();
    assert!(hashes.iter().all(|h| h.starts_with("$argon2id$")), "{hashes:?}");
    assert_ne!(hashes[0], hashes[1]);
    assert!(!hashes.iter().any(|h| h.contains(AGENT.1)));
    app.stop().await;
}

#[tokio::test]
async fn hl_03_the_session_cookie_is_httponly_samesite_and_writes_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let web = app.web(AGENT).await;
    assert!(web.set_cookie.contains("HttpOnly"), "{}", web.set_cookie);
    assert!(web.set_cookie.contains("SameSite=Strict"));
    assert!(!web.set_cookie.contains("Secure"), "plain HTTP locally");
    let http = reqwest::Client::new();
    let lookup = serde_json::json!({ "device_b_code": "b1" });
    let no_csrf = http
        .post(format!("{}/api/b2c/lookup", web.base))
        .header("cookie", &web.cookie)
        .json(&lookup)
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    let foreign = http
        .post(format!("{}/api/b2c/lookup", web.base))
        .header("cookie", &web.cookie)
        .header("x-csrf-token", &web.csrf)
        .header("origin", "http://evil.example")
        .json(&lookup)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let (status, _) = web.post("/b2c/lookup", lookup).await;
    assert_eq!(status, 422, "with the token the request is checked normally");
    let (status, body) = web.post("/b2c/generate", serde_json::json!({ "transaction_id": "abc" })).await;
    assert_eq!(
        (status, body["fields"][0]["field"].as_str()),
        (422, Some("body")),
        "malformed bodies get the API's error shape"
    );
    // Behind TLS the cookie is Secure.
    let r = http
        .post(format!("{}/api/login", app.web_url))
        .header("x-forwarded-proto", "https")
        .json(&serde_json::json!({ "username": AGENT.0, "password": AGENT.1 }))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("set-cookie").unwrap().to_str().unwrap().contains("; Secure"));
    // The page is served with a strict CSP and no inline script.
    let page = http.get(&app.web_url).send().await.unwrap();
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    app.stop().await;
}

#[tokio::test]
async fn hl_01_admins_create_agents_with_a_role() {
    let app = TestApp::spawn().await;
    let token = app.token(ADMIN).await;
    let mut agents = app.agents_client().await;
    let err = agents
        .create_agent(authed(
            &token,
            CreateAgentRequest { username: "x y".into(), password: "short".into(), ..Default::default() },
        ))
        .await
        .unwrap_err();
    assert_eq!(crate::helpers::fields(&err), ["username", "display_name", "role", "password"]);
    let a = agents
        .create_agent(authed(
            &token,
            CreateAgentRequest {
                username: "Beat".into(),
                display_name: "Beat".into(),
                role: AgentRole::Standard as i32,
                password: "beat-password-123".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .agent
        .unwrap();
    assert_eq!(a.username, "beat");
    let t = app.token(("beat", "beat-password-123")).await;
    assert!(!t.is_empty());
    app.stop().await;
}
