//! SE-06: admins deactivate agents, change roles and reset passwords; deactivation and a new
//! password end the agent's sessions at once; sessions end after the idle time as well as the
//! absolute time; every change is audited.

use std::time::Duration;

use proto::payops::hotline::v1::{
    AgentRole, GetMeRequest, ListAgentsRequest, ListAuditEntriesRequest, LoginRequest, ResetAgentPasswordRequest,
    SetAgentActiveRequest, SetAgentRoleRequest,
};
use tonic::Code;

use crate::helpers::{ADMIN, AGENT, TestApp, authed};

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    let token = app.token(ADMIN).await;
    let mut agents = app.agents_client().await;
    let entries = agents
        .list_audit_entries(authed(&token, ListAuditEntriesRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .entries;
    entries.into_iter().map(|e| (e.actor, e.action, e.target)).collect()
}

#[tokio::test]
async fn se_06_deactivation_ends_sessions_at_once() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let web = app.web(AGENT).await;
    let mut agents = app.agents_client().await;
    agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    assert_eq!(web.get("/me").await.0, 200);
    let admin = app.token(ADMIN).await;
    let off = SetAgentActiveRequest { username: AGENT.0.into(), active: false };
    agents.set_agent_active(authed(&admin, off)).await.unwrap();
    // Both sessions end with the very next call, without any time passing.
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(web.get("/me").await.0, 401);
    let sessions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE a.username = $1")
            .bind(AGENT.0)
            .fetch_one(&app.hotline.pool)
            .await
            .unwrap();
    assert_eq!(sessions, 0, "the sessions are gone, not just hidden");
    let login = LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() };
    assert_eq!(agents.login(login.clone()).await.unwrap_err().code(), Code::Unauthenticated);
    let list = agents.list_agents(authed(&admin, ListAgentsRequest {})).await.unwrap().into_inner().agents;
    let anna = list.iter().find(|a| a.agent.as_ref().unwrap().username == AGENT.0).unwrap();
    assert!(!anna.active);
    // An admin cannot deactivate their own account.
    let own = SetAgentActiveRequest { username: ADMIN.0.into(), active: false };
    assert_eq!(agents.set_agent_active(authed(&admin, own)).await.unwrap_err().code(), Code::FailedPrecondition);
    // Reactivated, the agent logs in again.
    let on = SetAgentActiveRequest { username: AGENT.0.into(), active: true };
    agents.set_agent_active(authed(&admin, on)).await.unwrap();
    agents.login(login).await.unwrap();
    let actions = audit_actions(&app).await;
    for action in ["agent_deactivated", "agent_activated"] {
        let want = (ADMIN.0.to_owned(), action.to_owned(), "agent:anna".to_owned());
        assert!(actions.contains(&want), "{want:?} missing in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn se_06_a_password_reset_ends_sessions_and_the_old_password_stops_working() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut agents = app.agents_client().await;
    let admin = app.token(ADMIN).await;
    let short = ResetAgentPasswordRequest { username: AGENT.0.into(), password: "short".into() };
    assert_eq!(agents.reset_agent_password(authed(&admin, short)).await.unwrap_err().code(), Code::InvalidArgument);
    agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    let reset = ResetAgentPasswordRequest { username: AGENT.0.into(), password: "neues-passwort-2026".into() };
    agents.reset_agent_password(authed(&admin, reset.clone())).await.unwrap();
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    let old = LoginRequest { username: AGENT.0.into(), password: AGENT.1.into() };
    assert_eq!(agents.login(old).await.unwrap_err().code(), Code::Unauthenticated);
    app.token((AGENT.0, "neues-passwort-2026")).await;
    // Only admins reset passwords.
    let standard = app.token((AGENT.0, "neues-passwort-2026")).await;
    let e = agents
        .reset_agent_password(authed(&standard, ResetAgentPasswordRequest { username: ADMIN.0.into(), ..reset }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let want = (ADMIN.0.to_owned(), "agent_password_reset".to_owned(), "agent:anna".to_owned());
    assert!(audit_actions(&app).await.contains(&want));
    app.stop().await;
}

#[tokio::test]
async fn se_06_a_role_change_applies_to_running_sessions_and_is_audited() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let mut agents = app.agents_client().await;
    let admin = app.token(ADMIN).await;
    assert_eq!(
        agents.list_agents(authed(&token, ListAgentsRequest {})).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let promote = SetAgentRoleRequest { username: AGENT.0.into(), role: AgentRole::Admin as i32 };
    agents.set_agent_role(authed(&admin, promote)).await.unwrap();
    let list = agents.list_agents(authed(&token, ListAgentsRequest {})).await.unwrap().into_inner().agents;
    assert_eq!(list.len(), 2, "the running session now has admin rights");
    let demote = SetAgentRoleRequest { username: AGENT.0.into(), role: AgentRole::Standard as i32 };
    agents.set_agent_role(authed(&admin, demote)).await.unwrap();
    assert_eq!(
        agents.list_agents(authed(&token, ListAgentsRequest {})).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let service = SetAgentRoleRequest { username: AGENT.0.into(), role: AgentRole::Service as i32 };
    assert_eq!(agents.set_agent_role(authed(&admin, service)).await.unwrap_err().code(), Code::InvalidArgument);
    let own = SetAgentRoleRequest { username: ADMIN.0.into(), role: AgentRole::Standard as i32 };
    assert_eq!(agents.set_agent_role(authed(&admin, own)).await.unwrap_err().code(), Code::FailedPrecondition);
    let want = (ADMIN.0.to_owned(), "agent_role_changed".to_owned(), "agent:anna".to_owned());
    assert!(audit_actions(&app).await.contains(&want));
    app.stop().await;
}

#[tokio::test]
async fn se_06_sessions_end_after_the_idle_time() {
    let app = TestApp::spawn().await;
    let token = app.token(AGENT).await;
    let web = app.web(AGENT).await;
    let mut agents = app.agents_client().await;
    // Used every 29 minutes, a session lives on past the idle time …
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(29 * 60));
        agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    }
    // … while the web session, unused for 87 minutes, has ended.
    assert_eq!(web.get("/me").await.0, 401);
    // 31 idle minutes end the other one too.
    app.clock.advance(Duration::from_secs(31 * 60));
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    app.stop().await;
}

#[tokio::test]
async fn se_06_the_idle_time_is_configurable_and_the_absolute_time_still_applies() {
    let app = TestApp::spawn_with(&[("SESSION_IDLE", "5m"), ("SESSION_TTL", "1h")]).await;
    let token = app.token(AGENT).await;
    let mut agents = app.agents_client().await;
    app.clock.advance(Duration::from_secs(4 * 60));
    agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    app.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    // Kept busy, a session still ends after SESSION_TTL.
    let token = app.token(AGENT).await;
    for _ in 0..14 {
        app.clock.advance(Duration::from_secs(4 * 60));
        agents.get_me(authed(&token, GetMeRequest {})).await.unwrap();
    }
    app.clock.advance(Duration::from_secs(4 * 60 + 1));
    assert_eq!(agents.get_me(authed(&token, GetMeRequest {})).await.unwrap_err().code(), Code::Unauthenticated);
    app.stop().await;
}
