//! SE-05, SE-06 in headless Chromium: an admin manages agents on the German admin screen —
//! lists them, creates one, deactivates and reactivates, changes a role, resets a password
//! and unlocks — each write with the session's CSRF token, each visible to the agent at once
//! and in the audit log.

use proto::payops::hotline::v1::{GetMeRequest, ListAgentsRequest, ListAuditEntriesRequest, LoginRequest};
use tonic::Code;

use crate::browser::{console_calls, login, screen};
use crate::helpers::{ADMIN, AGENT, TestApp, authed};
use crate::webdriver::Driver;

#[tokio::test]
async fn se_06_browser_admin_manages_agents() {
    let app = TestApp::spawn().await;
    let anna = app.token(AGENT).await;
    let mut agents = app.agents_client().await;
    let driver = Driver::start().await;
    let s = driver.session().await;
    login(&s, &app, ADMIN).await;
    s.click("[data-testid=tab-agents]").await;
    s.wait_displayed("[data-testid=agent-row-anna]").await;
    assert!(s.text("[data-testid=agent-row-anna]").await.contains("Standard"));
    assert!(!s.displayed("[data-testid=agent-deactivate-admin]").await, "no button to lock oneself out");

    // Create.
    s.fill("[data-testid=agent-new-username]", "beat").await;
    s.fill("[data-testid=agent-new-display-name]", "Beat Berater").await;
    s.fill("[data-testid=agent-new-password]", "beat-password-123").await;
    s.click("[data-testid=agent-create]").await;
    s.wait_displayed("[data-testid=agent-row-beat][data-role=standard][data-active=true]").await;
    let beat = app.token(("beat", "beat-password-123")).await;

    // Deactivate: anna's session ends at once; reactivate.
    s.click("[data-testid=agent-deactivate-anna]").await;
    s.wait_displayed("[data-testid=agent-row-anna][data-active=false]").await;
    assert!(s.text("[data-testid=agent-row-anna]").await.contains("deaktiviert"));
    assert_eq!(agents.get_me(authed(&anna, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    s.screenshot(&screen("20-agents")).await;
    s.click("[data-testid=agent-activate-anna]").await;
    s.wait_displayed("[data-testid=agent-row-anna][data-active=true]").await;

    // Role: beat's running session gets admin rights.
    assert_eq!(
        agents.list_agents(authed(&beat, ListAgentsRequest {})).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    s.click("[data-testid=agent-role-beat]").await;
    s.wait_displayed("[data-testid=agent-row-beat][data-role=admin]").await;
    agents.list_agents(authed(&beat, ListAgentsRequest {})).await.unwrap();

    // Password reset: a short one is refused in German; then the old password stops working,
    // the new one works.
    s.fill("[data-testid=agent-reset-username]", "anna").await;
    s.fill("[data-testid=agent-reset-password]", "kurz").await;
    s.click("[data-testid=agent-reset]").await;
    s.wait_text("[data-testid=toasts]", "Passwort: mindestens 12 Zeichen").await;
    app.token(AGENT).await;
    s.fill("[data-testid=agent-reset-username]", "anna").await;
    s.fill("[data-testid=agent-reset-password]", "frisches-passwort-1").await;
    s.click("[data-testid=agent-reset]").await;
    s.wait_text("[data-testid=toasts]", "zurückgesetzt").await;
    let old = LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() };
    assert_eq!(agents.login(old).await.unwrap_err().code(), Code::Unauthenticated);
    app.token((AGENT.0, "frisches-passwort-1")).await;

    // Unlock: beat, throttled from this address, gets in again.
    for _ in 0..5 {
        let wrong = LoginRequest { username: "beat".into(), password: "wrong-password".into() };
        assert_eq!(agents.login(wrong).await.unwrap_err().code(), Code::Unauthenticated);
    }
    let right = LoginRequest { username: "beat".into(), password: "beat-password-123".into() };
    assert_eq!(agents.login(right.clone()).await.unwrap_err().code(), Code::ResourceExhausted);
    s.click("[data-testid=agent-unlock-beat]").await;
    s.wait_text("[data-testid=toasts]", "beat entsperrt").await;
    agents.login(right).await.unwrap();

    // A write without the CSRF token is refused, and nothing changed.
    let status = s
        .run_async(
            "const done = arguments[arguments.length - 1]; fetch('/api/agents/beat/active', { method: 'POST', \
             headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ active: false }) }) \
             .then(r => done(r.status));",
        )
        .await;
    assert_eq!(status, 403);
    agents.get_me(authed(&beat, GetMeRequest {})).await.unwrap();

    let admin = app.token(ADMIN).await;
    let entries = agents
        .list_audit_entries(authed(&admin, ListAuditEntriesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let actions: Vec<(&str, &str)> = entries.iter().map(|e| (e.action.as_str(), e.target.as_str())).collect();
    for want in [
        ("agent_created", "agent:beat"),
        ("agent_deactivated", "agent:anna"),
        ("agent_activated", "agent:anna"),
        ("agent_role_changed", "agent:beat"),
        ("agent_password_reset", "agent:anna"),
        ("agent_unlocked", "agent:beat"),
    ] {
        assert!(actions.contains(&want), "{want:?} missing in {actions:?}");
    }
    assert!(console_calls(&s.run("return window.__console").await).is_empty());
    s.quit().await;
    app.stop().await;
}
