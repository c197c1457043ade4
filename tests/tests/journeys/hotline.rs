//! The hotline's B2C journey (HL-10 … HL-14) across processes: an agent logs into hotline-api,
//! looks up TWINT access codes at the sandbox's PGW — one found, one expired —, the admin
//! generates a new code for the expired one (step-up password), the lookup then finds it, and
//! a B2C ticket goes through the ticketing-bridge process to Freshdesk.

use std::time::Duration;

use proto::payops::hotline::v1::agent_service_client::AgentServiceClient;
use proto::payops::hotline::v1::hotline_service_client::HotlineServiceClient;
use proto::payops::hotline::v1::lookup_code_response::Outcome;
use proto::payops::hotline::v1::{CreateB2cTicketRequest, GenerateCodeRequest, LoginRequest, LookupCodeRequest};
use stack::platform::Service;
use stack::sandbox::pgw::{Env as PgwEnv, PgwDevice, PgwTransaction};

use super::world::World;

fn lookup(mobile: &str, date: &str) -> LookupCodeRequest {
    LookupCodeRequest {
        device_b_code: "b10234".into(),
        payment_mobile: mobile.into(),
        payment_date: date.into(),
        contact_email: "mieterin@example.ch".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn hotline_b2c_code_found_expired_generated_anew_and_a_ticket_through_the_bridge() {
    let w = World::new().await;
    let device = PgwDevice {
        env: PgwEnv::Prod,
        b_code: "b10234".into(),
        internal_id: "DEV-0017".into(),
        sub_merchant: "Wohnbau Zürich AG".into(),
        location: "Hardstrasse 12, 8005 Zürich".into(),
        code_validity_hours: Some(72),
    };
    w.admin.pgw_add_device(&device).await.unwrap();
    // The sandbox clock stands at 10:00 UTC, so these UTC dates are Zurich's dates too.
    let now = w.admin.now().await.unwrap();
    let fresh_at = now - Duration::from_secs(30 * 60);
    let old_at = now - Duration::from_secs(80 * 3600);
    let payment = |mobile: &str, at, rappen| PgwTransaction {
        env: PgwEnv::Prod,
        id: None,
        twint_ref: None,
        device: "b10234".into(),
        mobile: mobile.into(),
        at,
        amount_rappen: rappen,
        payment_method: None,
        status: None,
        code: None,
        valid_until: None,
    };
    let fresh = w.admin.pgw_add_transaction(&payment("+41791234567", fresh_at, 350)).await.unwrap();
    let old = w.admin.pgw_add_transaction(&payment("+41764455667", old_at, 500)).await.unwrap();

    let (user, password) = w.platform.tokens().admin.clone();
    let mut agents = AgentServiceClient::new(w.connect(Service::HotlineApi).await);
    let login = agents.login(LoginRequest { username: user, password: password.clone() }).await.unwrap();
    let session = login.into_inner().token;
    let channel = w.platform.connect_as(Service::HotlineApi, &session).await.unwrap();
    let mut hotline = HotlineServiceClient::new(channel);

    let found = hotline
        .lookup_code(lookup("079 123 45 67", &fresh_at.format("%Y-%m-%d").to_string()))
        .await
        .unwrap()
        .into_inner();
    let Some(Outcome::Found(f)) = found.outcome else { panic!("expected found: {found:?}") };
    let code = f.payment.unwrap().code.unwrap();
    assert_eq!(code.code, fresh.code.as_ref().unwrap().code);

    let old_date = old_at.format("%Y-%m-%d").to_string();
    let expired = hotline.lookup_code(lookup("+41764455667", &old_date)).await.unwrap().into_inner();
    let Some(Outcome::Expired(e)) = expired.outcome else { panic!("expected expired: {expired:?}") };
    assert_eq!(e.payment.unwrap().transaction_id, i64::try_from(old.id).unwrap());

    let tx = i64::try_from(old.id).unwrap();
    let generated = hotline.generate_code(GenerateCodeRequest { transaction_id: tx, password }).await.unwrap();
    let g = generated.into_inner().generation.unwrap();
    let generations = w.admin.pgw_generations(PgwEnv::Prod).await.unwrap();
    assert_eq!(generations.len(), 1, "one code generated at PGW");
    assert_eq!(generations[0].code, g.code);
    let again = hotline.lookup_code(lookup("+41764455667", &old_date)).await.unwrap().into_inner();
    let Some(Outcome::Found(f)) = again.outcome else { panic!("the new code is found: {again:?}") };
    assert_eq!(f.payment.unwrap().code.unwrap().code, g.code);

    let ticket = hotline
        .create_b2c_ticket(CreateB2cTicketRequest { request_id: "b2c-1".into(), lookup_id: expired.lookup_id })
        .await
        .unwrap()
        .into_inner()
        .ticket
        .unwrap();
    let tickets = w.admin.freshdesk_tickets().await.unwrap().tickets;
    assert_eq!(tickets.len(), 1, "exactly the B2C ticket reached Freshdesk");
    assert_eq!(i64::try_from(tickets[0].id).unwrap(), ticket.ticket_id);
    assert!(tickets[0].subject.contains("b10234"), "{}", tickets[0].subject);

    // The generation is an event of the transaction, on its timeline.
    w.timeline_with(&old.id.to_string(), "hotline-api", "code_generated").await;
}
