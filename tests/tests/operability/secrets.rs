//! SE-08: secrets stay secret. The five services run as processes with tracing at `trace` and
//! an OTLP receiver; every secret-bearing path is exercised — callers' tokens set and used (and
//! wrong ones refused), the hotline login, partner calls with keys and passwords (pixi, unzer,
//! Nets, PGW, smallinvoice, Freshdesk, PostFinance DirectLink with its SHA secrets), the
//! webhooks, Nets credentials set and read back — and then every log line, span name and
//! attribute, metric line and the read APIs' answers are searched for each secret value and for
//! the customers' mobile numbers and e-mail addresses: none may appear.

use std::time::Duration;

use proto::payops::terminal_gateway::v1 as tg;
use sandbox::unzer::SeedOutcome;
use stack::platform::{CREDENTIALS_KEY, PIXI_SYNC_SECRET_KEY, Platform, Service};

use crate::traces::Receiver;
use crate::{exercise, exercise_pixi, tools};

/// What must never be seen: (what it is, value) — the platform's keys, partner accounts, tokens
/// and logins, and what the test itself sends.
fn secrets(p: &Platform, unzer_private_key: &str) -> Vec<(String, String)> {
    let a = &p.config.accounts;
    let t = p.tokens();
    let mut out: Vec<(String, String)> = vec![
        ("pixi-sync secret key".into(), PIXI_SYNC_SECRET_KEY.into()),
        ("terminal-gateway credentials key".into(), CREDENTIALS_KEY.into()),
        ("PGW API key".into(), a.pgw_api_key.clone()),
        ("smallinvoice client secret".into(), a.smallinvoice_client.1.clone()),
        ("Freshdesk API key".into(), a.freshdesk_api_key.clone()),
        ("hotline admin password".into(), t.admin.1.clone()),
        ("Nets password".into(), exercise::nets_account().1),
        ("platform service token".into(), t.platform.clone()),
        ("hotline-api's token at ticketing-bridge".into(), t.hotline.clone()),
        ("invoice-checks manager token".into(), t.manager.clone()),
        ("outsider token".into(), t.outsider.clone()),
        ("elsewhere token".into(), t.elsewhere.clone()),
        ("a wrong token sent".into(), WRONG_TOKEN.into()),
        ("pixi API password".into(), exercise_pixi::PIXI_PASSWORD.into()),
        ("unzer private key".into(), unzer_private_key.into()),
    ];
    for pf in &a.postfinance {
        out.extend([
            (format!("PostFinance API password ({})", pf.tenant), pf.user.1.clone()),
            (format!("PostFinance DirectLink SHA secret ({})", pf.tenant), pf.sha.0.clone()),
            (format!("PostFinance SHA-IN secret ({})", pf.tenant), pf.sha.1.clone()),
            (format!("PostFinance SHA-OUT secret ({})", pf.tenant), pf.sha.2.clone()),
        ]);
    }
    out
}

/// Personal data the exercises send (customers' mobile numbers and e-mail addresses).
const PERSONAL: [(&str, &str); 6] = [
    ("a customer's mobile number", "791234567"),
    ("an invoice customer's mobile number", "79 123 45 67"),
    ("a requester's e-mail address", "ops@example.com"),
    ("a tenant's e-mail address", "mieterin@example.ch"),
    ("an invoice customer's e-mail address", "anna.muster@example.ch"),
    ("a pixi customer's e-mail address", "maria@example.com"),
];

const WRONG_TOKEN: &str = "wrong-but-secret-token-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn se_08_secret_values_and_personal_data_appear_in_no_log_span_metric_error_or_read_api() {
    let rx = Receiver::default();
    let endpoint = rx.start().await;
    let (_env, _sandbox, mut p) = tools::platform_with(|c| {
        c.with_env_all("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint).with_env_all("RUST_LOG", "trace")
    })
    .await;

    exercise::ticketing(&p).await;
    exercise::hotline(&p).await;
    exercise::terminal(&p).await;
    exercise::invoice(&p).await;
    let key = exercise_pixi::pixi_tenant(&p).await;
    exercise_pixi::pixi_order(&p, &key, SeedOutcome::Authorized).await;
    exercise_pixi::pixi_order(&p, &key, SeedOutcome::Failed).await;

    // Refused calls: a wrong token and an outsider; their errors are read as well.
    let (nets_user, nets_password) = exercise::nets_account();
    let mut errors = Vec::new();
    for token in [WRONG_TOKEN, p.tokens().outsider.as_str()] {
        let channel = testkit::grpc_channel_as(p.grpc_url(Service::TerminalGateway), token);
        let mut c = tg::terminal_service_client::TerminalServiceClient::new(channel);
        let e = c
            .set_nets_credentials(tg::SetNetsCredentialsRequest {
                tenant_id: "hotel".into(),
                username: nets_user.clone(),
                password: nets_password.clone(),
                verify: false,
            })
            .await
            .unwrap_err();
        errors.push(format!("{e:?}"));
    }
    // A bad input that carries a secret: the error names the field, not the value.
    let mut c =
        tg::terminal_service_client::TerminalServiceClient::new(exercise::channel(&p, Service::TerminalGateway));
    let e = c
        .set_nets_credentials(tg::SetNetsCredentialsRequest {
            tenant_id: "no such tenant!".into(),
            username: String::new(),
            password: nets_password,
            verify: false,
        })
        .await
        .unwrap_err();
    errors.push(format!("{e:?}"));
    // Read API: the stored Nets credentials come back without the password.
    let read =
        c.get_nets_credentials(tg::GetNetsCredentialsRequest { tenant_id: "hotel".into() }).await.unwrap().into_inner();
    let reads = [format!("{read:?}")];

    // Let the exporters flush their batches.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut metrics = Vec::new();
    for service in Service::ALL {
        let url = format!("{}/metrics", p.urls(service).admin);
        let text = reqwest::get(url).await.unwrap().text().await.unwrap();
        metrics.push((service.package(), text));
    }
    let spans: Vec<String> =
        rx.spans().iter().map(|g| format!("{} {} {:?}", g.service, g.name, g.attributes)).collect();
    tools::stop_cleanly(&mut p).await;

    let mut places: Vec<(String, String)> = Vec::new();
    let mut lines = 0;
    for service in Service::ALL {
        let (out, err) = p.process(service).output();
        lines += out.lines().count();
        places.push((format!("{} log", service.package()), out));
        places.push((format!("{} stderr", service.package()), err));
    }
    for (name, text) in metrics {
        places.push((format!("{name} metrics"), text));
    }
    places.push(("spans".into(), spans.join("\n")));
    places.push(("errors".into(), errors.join("\n")));
    places.push(("read APIs".into(), reads.join("\n")));
    assert!(lines > 1000, "tracing at trace level wrote only {lines} log lines");
    assert!(rx.spans().len() > 50, "the OTLP receiver got only {} spans", rx.spans().len());

    let mut found = Vec::new();
    let searched: Vec<(String, String)> =
        secrets(&p, &key).into_iter().chain(PERSONAL.iter().map(|(w, v)| ((*w).to_owned(), (*v).to_owned()))).collect();
    for (what, value) in &searched {
        assert!(value.len() >= 8, "{what}: too short to search for");
        for (place, text) in &places {
            if let Some(at) = text.find(value.as_str()) {
                let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line: String = text[from..].lines().next().unwrap_or("").chars().take(300).collect();
                found.push(format!("{what} in {place}: {line}"));
            }
        }
    }
    assert!(found.is_empty(), "secrets or personal data leaked:\n{}", found.join("\n"));
}
