//! OP-01 / OP-11: the configuration both Kubernetes overlays give each service is one it accepts.
//! For every overlay and service, the binary starts with the rendered ConfigMap's data and the
//! Deployment's env, its Secret's keys written as files (test values) where the `*_FILE`
//! variables point, and becomes ready. Only what needs the cluster is swapped: the database URL
//! (a Secret key) and NATS for this test's, the listen addresses for free local ports, the trace
//! exporter left off. Partner URLs stay as deployed (no service calls a partner to start).

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use stack::{ServiceProcess, free_port};
use testkit::TestEnv;

use crate::contract::SERVICES;
use crate::tools::{self, s};

/// Test values for the Secrets' keys (k8s/README.md), by key.
fn secret_value(key: &str, env: &TestEnv) -> String {
    match key {
        "database-url" => env.database_url.clone(),
        "callers" => "hotline-api:k8s-env-service-token-01:*:*\nmaria:k8s-env-manager-token-01:manual.*:*\n".into(),
        "pixi-sync-secret-key" | "credentials-key" => "ab".repeat(32),
        _ => format!("k8s-env-{key}-value-01"),
    }
}

/// The environment `service` gets in the rendered `docs`, localised as the module doc says.
fn localised(docs: &[Value], service: &str, env: &TestEnv, secrets: &std::path::Path) -> Vec<(String, String)> {
    let d = docs.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == service).unwrap();
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    let cm_name = s(c, "/envFrom/0/configMapRef/name");
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == cm_name).unwrap();
    let mut vars: BTreeMap<String, String> =
        cm["data"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    for e in c["env"].as_array().unwrap() {
        let (name, value) = (s(e, "/name"), s(e, "/value"));
        let key = value.rsplit('/').next().unwrap();
        let file = secrets.join(format!("{service}-{key}"));
        std::fs::write(&file, secret_value(key, env)).unwrap();
        vars.insert(name.to_owned(), file.to_str().unwrap().to_owned());
    }
    for k in ["GRPC_ADDR", "ADMIN_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
        vars.remove(k);
    }
    vars.insert("NATS_URL".into(), env.nats_url.clone());
    vars.insert("EVENTS_PREFIX".into(), env.prefix.clone());
    vars.insert("EVENTS_STREAM".into(), env.stream.clone());
    for k in ["PUBLIC_ADDR", "WEB_ADDR", "CONSOLE_ADDR"] {
        if vars.contains_key(k) {
            vars.insert(k.into(), format!("127.0.0.1:{}", free_port().unwrap()));
        }
    }
    vars.into_iter().collect()
}

#[tokio::test]
async fn op_11_the_configuration_of_every_overlay_is_accepted_by_every_service() {
    for overlay in ["dev", "prod"] {
        let (_, docs) = tools::render(overlay);
        let env = TestEnv::new().await.unwrap();
        let secrets = std::env::temp_dir().join(format!("k8s-env-{overlay}-{}", std::process::id()));
        std::fs::create_dir_all(&secrets).unwrap();
        let mut running = Vec::new();
        for svc in SERVICES {
            let vars = localised(&docs, svc.name, &env, &secrets);
            running.push((svc.name, ServiceProcess::start(svc.name, &svc.bin(), &vars).await.unwrap()));
        }
        for (name, p) in &mut running {
            p.wait_ready(Duration::from_secs(90))
                .await
                .unwrap_or_else(|e| panic!("{overlay}/{name} with its rendered configuration: {e}"));
        }
        for (_, p) in &running {
            p.terminate().unwrap();
        }
        for (name, p) in running {
            let (code, out, err) = p.wait().await.unwrap();
            assert_eq!(code, Some(0), "{overlay}/{name} stopped cleanly; stderr:\n{err}");
            let secret_values = ["-value-01", "k8s-env-service-token-01", "k8s-env-manager-token-01", &"ab".repeat(32)];
            for v in secret_values {
                assert!(!out.contains(v) && !err.contains(v), "{overlay}/{name} printed a secret");
            }
        }
        let _ = std::fs::remove_dir_all(&secrets);
    }
}
