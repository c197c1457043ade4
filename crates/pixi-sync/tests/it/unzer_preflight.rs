//! The unzer part of the preflight (CT-06) against the sandbox: a configured tenant passes;
//! without PUBLIC_BASE_URL the webhook check warns; a key pair that does not belong together,
//! a field removed from unzer's answer (the simulator's `omit_fields` switch) and a missing
//! webhook fail and name what is wrong.

use kit::preflight::{Report, Verdict};
use pixi_sync::unzer::preflight::{Target, check};
use pixi_sync::unzer::{PrivateKey, UnzerClient};
use proto::payops::pixi_sync::v1 as pb;
use sandbox::System;
use sandbox::unzer::ConfigPatch;
use secrecy::SecretString;

use crate::helpers::{Tenant, TestApp};

fn client(app: &TestApp) -> UnzerClient {
    let out = kit::outbound::Outbound::new("unzer", &kit::outbound::OutboundConfig::default()).unwrap();
    UnzerClient::new(out, &app.sandbox.url(System::Unzer), &app.sandbox.url(System::Unzer))
}

async fn run(app: &TestApp, key: &str, public: &str, url: Option<&str>) -> Report {
    let key = PrivateKey(SecretString::from(key.to_owned()));
    let mut r = Report::new("unzer");
    check(
        &client(app),
        &Target { key: &key, public_key: public, webhook_url: url },
        kit::Clock::now(&app.clock),
        &mut r,
    )
    .await;
    r
}

fn verdict(r: &Report, check: &str) -> Verdict {
    r.checks
        .iter()
        .find(|c| c.check.contains(check))
        .map_or_else(|| panic!("no check {check}: {}", r.table()), |c| c.verdict)
}

#[tokio::test]
async fn ct_06_unzer_preflight_passes_on_the_sandbox_and_fails_naming_what_is_missing() {
    let app = TestApp::spawn().await;
    let t = Tenant::setup(&app, pb::Mode::Expert, &["UNZERCC"]).await;
    let merchants = app.admin.unzer_merchants().await.unwrap();
    let url = merchants.iter().find(|m| m.private_key == t.private_key).unwrap().webhooks[0].url.clone();

    let r = run(&app, &t.private_key, &t.public_key, Some(&url)).await;
    assert!(r.passed(), "{}", r.table());
    assert!(r.checks.iter().all(|c| c.verdict == Verdict::Ok), "{}", r.table());
    assert!(!r.table().contains(&t.private_key) && !r.table().contains(&url), "no key, no webhook secret");
    println!("{}", r.table());

    let r = run(&app, &t.private_key, &t.public_key, None).await;
    assert_eq!(verdict(&r, "webhooks"), Verdict::Warn, "{}", r.table());
    assert!(r.passed() && r.table().contains("PUBLIC_BASE_URL"), "{}", r.table());

    let r = run(&app, &t.private_key, "s-pub-someone-else", Some(&url)).await;
    assert_eq!(verdict(&r, "key pair consistent"), Verdict::Fail, "{}", r.table());

    let r = run(&app, &t.private_key, &t.public_key, Some("https://elsewhere.example/unzer/webhooks/x/y")).await;
    assert_eq!(verdict(&r, "webhooks"), Verdict::Fail, "{}", r.table());

    let r = run(&app, "s-priv-2a10unknownkey", &t.public_key, Some(&url)).await;
    assert_eq!(verdict(&r, "private key accepted"), Verdict::Fail, "{}", r.table());

    app.admin
        .unzer_set_config(&ConfigPatch { omit_fields: Some(vec!["publicKey".into()]), ..Default::default() })
        .await
        .unwrap();
    let r = run(&app, &t.private_key, &t.public_key, Some(&url)).await;
    assert!(!r.passed(), "{}", r.table());
    assert!(r.table().contains("publicKey"), "the missing field is named: {}", r.table());
    println!("{}", r.table());
}
