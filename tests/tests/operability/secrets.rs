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

use crate::exercise;
use crate::exercise_pixi;
use crate::stack::{self, Stack};
use crate::traces::Receiver;

/// What must never be seen: (what it is, value).
fn secrets(unzer_private_key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("pixi-sync secret key", stack::PIXI_SECRET_KEY.into()),
        ("terminal-gateway credentials key", stack::CREDENTIALS_KEY.into()),
        ("PGW API key", stack::PGW_KEY.into()),
        ("smallinvoice client secret", stack::SI_SECRET.into()),
        ("Freshdesk API key", stack::FRESHDESK_KEY.into()),
        ("hotline admin password", stack::ADMIN.1.into()),
        ("Nets password", stack::NETS_PASSWORD.into()),
        ("invoice-checks shop token", stack::IC_SERVICE_TOKEN.into()),
        ("invoice-checks manager token", stack::IC_MANAGER_TOKEN.into()),
        ("PostFinance API password", stack::SB_PSWD.into()),
        ("PostFinance DirectLink SHA secret", stack::SB_SHA.0.into()),
        ("PostFinance SHA-IN secret", stack::SB_SHA.1.into()),
        ("PostFinance SHA-OUT secret", stack::SB_SHA.2.into()),
        ("testkit caller token", testkit::CALLER_TOKEN.into()),
        ("outsider token", testkit::OUTSIDER_TOKEN.into()),
        ("a wrong token sent", WRONG_TOKEN.into()),
        ("pixi API password", "s3cret-pass".into()),
        ("unzer private key", unzer_private_key.into()),
    ]
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
    let s = Stack::start(&[("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()), ("RUST_LOG", "trace")]).await;

    exercise::ticketing(&s).await;
    exercise::hotline(&s).await;
    exercise::terminal(&s).await;
    exercise::invoice(&s).await;
    let key = exercise_pixi::pixi_tenant(&s).await;
    exercise_pixi::pixi_order(&s, &key, SeedOutcome::Authorized).await;
    exercise_pixi::pixi_order(&s, &key, SeedOutcome::Failed).await;

    // Refused calls: a wrong token and an outsider; their errors are read as well.
    let mut errors = Vec::new();
    for token in [WRONG_TOKEN, testkit::OUTSIDER_TOKEN] {
        let channel = testkit::grpc_channel_as(&s.svc("terminal-gateway").grpc_url, token);
        let mut c = tg::terminal_service_client::TerminalServiceClient::new(channel);
        let e = c
            .set_nets_credentials(tg::SetNetsCredentialsRequest {
                tenant_id: "hotel".into(),
                username: stack::NETS_USER.into(),
                password: stack::NETS_PASSWORD.into(),
                verify: false,
            })
            .await
            .unwrap_err();
        errors.push(format!("{e:?}"));
    }
    // A bad input that carries a secret: the error names the field, not the value.
    let mut c = tg::terminal_service_client::TerminalServiceClient::new(testkit::grpc_channel(
        &s.svc("terminal-gateway").grpc_url,
    ));
    let e = c
        .set_nets_credentials(tg::SetNetsCredentialsRequest {
            tenant_id: "no such tenant!".into(),
            username: String::new(),
            password: stack::NETS_PASSWORD.into(),
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
    for (name, p) in &s.services {
        let text = reqwest::get(format!("{}/metrics", p.admin_url)).await.unwrap().text().await.unwrap();
        metrics.push((*name, text));
    }
    let spans: Vec<String> =
        rx.spans().iter().map(|g| format!("{} {} {:?}", g.service, g.name, g.attributes)).collect();
    let logs = s.stop().await;

    let mut places: Vec<(String, String)> = Vec::new();
    let mut lines = 0;
    for (name, text) in &logs {
        lines += text.lines().count();
        places.push((format!("{name} log"), text.clone()));
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
    let searched: Vec<(&str, String)> =
        secrets(&key).into_iter().chain(PERSONAL.iter().map(|(w, v)| (*w, (*v).to_owned()))).collect();
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
