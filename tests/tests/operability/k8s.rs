//! OP-11: the Kustomize overlays render, validate against the Kubernetes schemas, and follow the
//! conventions of `docs/rules/OP.md` (probes, shutdown, resources, security, scaling,
//! network policy, monitoring).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;

use crate::contract::{SERVICES, assert_required_env};
use crate::deploy::assert_vars_are_read;
use crate::tools::{self, s};

/// Oldest Kubernetes the manifests support (preStop.sleep is beta and on from 1.30) and the
/// newest schema kubernetes-validate ships.
const KUBERNETES_VERSIONS: &[&str] = &["1.30.0", "1.37.0"];
/// Postgres max_connections the prod overlay is sized for (k8s/README.md), less 10 kept for
/// operators and migrations.
const POSTGRES_CONNECTIONS_FOR_SERVICES: u64 = 200 - 10;

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && s(d, "/metadata/name") == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The data of the ConfigMap a container takes its environment from.
fn config_of<'a>(docs: &'a [Value], container: &Value) -> &'a serde_json::Map<String, Value> {
    let name = s(container, "/envFrom/0/configMapRef/name");
    named(docs, "ConfigMap", name)["data"].as_object().unwrap()
}

fn quantity_bytes(q: &str) -> u64 {
    let (n, mult) = match q {
        _ if q.ends_with("Gi") => (&q[..q.len() - 2], 1 << 30),
        _ if q.ends_with("Mi") => (&q[..q.len() - 2], 1 << 20),
        _ if q.ends_with("Ki") => (&q[..q.len() - 2], 1 << 10),
        _ => (q, 1),
    };
    n.parse::<u64>().unwrap_or_else(|_| panic!("memory quantity {q}")) * mult
}

#[test]
fn op_11_overlays_render_and_every_object_validates_against_the_kubernetes_schemas() {
    for overlay in ["dev", "prod"] {
        let (file, docs) = tools::render(overlay);
        let mut cmd = tools::opscheck();
        cmd.arg("k8s");
        for v in KUBERNETES_VERSIONS {
            cmd.args(["-k", v]);
        }
        let (ok, out, err) = tools::try_run(cmd.arg(&file));
        let report: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|_| panic!("opscheck k8s: {out}\n{err}"));
        let failures: Vec<String> = report
            .iter()
            .filter(|r| !r["errors"].as_array().unwrap().is_empty())
            .map(|r| format!("{} {}: {}", r["kind"], r["name"], r["errors"]))
            .collect();
        assert!(ok && failures.is_empty(), "{overlay}: objects fail schema validation:\n{}", failures.join("\n"));
        assert_eq!(report.len(), docs.len(), "{overlay}: every object was validated");
        for r in &report {
            assert!(!r["validated"].as_array().unwrap().is_empty(), "{overlay}: {} {} validated", r["kind"], r["name"]);
        }
        let count = |k: &str| {
            of_kind(&docs, k)
                .iter()
                .filter(|d| !(k == "ConfigMap" && d["metadata"]["name"] == "payops-runbooks"))
                .count()
        };
        for kind in [
            "Deployment",
            "PodDisruptionBudget",
            "HorizontalPodAutoscaler",
            "ServiceMonitor",
            "ConfigMap",
            "ServiceAccount",
        ] {
            assert_eq!(count(kind), SERVICES.len(), "{overlay}: one {kind} per service");
        }
        assert_eq!(count("Service"), 2 * SERVICES.len(), "{overlay}: a ClusterIP and a headless Service per service");
        assert_eq!(count("NetworkPolicy"), SERVICES.len() + 3, "{overlay}: per-service and namespace-wide policies");
        assert_eq!(count("PrometheusRule"), 1);
        assert_eq!(count("Namespace"), 1);
        assert_eq!(count("Secret"), 0, "{overlay}: secrets are referenced, never shipped");
        let ns = s(of_kind(&docs, "Namespace")[0], "/metadata/name");
        assert_eq!(
            s(of_kind(&docs, "Namespace")[0], "/metadata/labels/pod-security.kubernetes.io~1enforce"),
            "restricted"
        );
        for d in docs.iter().filter(|d| d["kind"] != "Namespace") {
            assert_eq!(s(d, "/metadata/namespace"), ns, "{overlay}: {} {} in {ns}", d["kind"], d["metadata"]["name"]);
        }
        std::fs::remove_file(file).ok();
    }
}

#[test]
fn op_11_deployments_probes_shutdown_resources_and_security_follow_the_conventions() {
    for overlay in ["dev", "prod"] {
        let (_, docs) = tools::render(overlay);
        for svc in SERVICES {
            let d = named(&docs, "Deployment", svc.name);
            let pod = &d["spec"]["template"]["spec"];
            let what = format!("{overlay}/{}", svc.name);
            let containers = pod["containers"].as_array().unwrap();
            assert_eq!(containers.len(), 1, "{what}");
            let c = &containers[0];
            assert_eq!(c["command"][0], format!("/usr/local/bin/{}", svc.bin()), "{what}");
            let image = s(c, "/image");
            assert!(image.contains(':') && !image.ends_with(":latest") && image.contains('/'), "{what}: image {image}");
            let ports: BTreeMap<&str, u64> = c["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (s(p, "/name"), p["containerPort"].as_u64().unwrap()))
                .collect();
            assert_eq!(ports.get("grpc"), Some(&u64::from(svc.grpc)), "{what}");
            assert_eq!(ports.get("admin"), Some(&u64::from(svc.admin)), "{what}");
            for (n, p) in svc.extra {
                assert_eq!(ports.get(n), Some(&u64::from(*p)), "{what}: port {n}");
            }
            // Probes: native gRPC for startup and readiness (numeric port, as KEP-2727 requires),
            // admin /livez for liveness (never depends on Postgres or NATS).
            for probe in ["startupProbe", "readinessProbe"] {
                assert_eq!(
                    c[probe]["grpc"]["port"].as_u64(),
                    Some(u64::from(svc.grpc)),
                    "{what}: {probe} is a gRPC probe"
                );
            }
            assert_eq!(s(c, "/livenessProbe/httpGet/path"), "/livez", "{what}");
            assert_eq!(s(c, "/livenessProbe/httpGet/port"), "admin", "{what}");
            let startup = &c["startupProbe"];
            let startup_secs =
                startup["periodSeconds"].as_u64().unwrap() * startup["failureThreshold"].as_u64().unwrap();
            assert!(
                startup_secs > 120,
                "{what}: startup allows the kit's 120 s of start-up retries ({startup_secs} s)"
            );
            // Shutdown: preStop sleep + SHUTDOWN_GRACE + 5 s (NATS drain, trace flush, pool close)
            // fit in terminationGracePeriodSeconds.
            let config = config_of(&docs, c);
            let grace = kit::config::parse_duration(config["SHUTDOWN_GRACE"].as_str().unwrap()).unwrap();
            let pre_stop =
                Duration::from_secs(c["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64().expect("preStop sleep"));
            let tgps = Duration::from_secs(pod["terminationGracePeriodSeconds"].as_u64().unwrap());
            assert!(pre_stop >= Duration::from_secs(3), "{what}: preStop gives endpoints time to drop the pod");
            assert!(
                pre_stop + grace + Duration::from_secs(5) <= tgps,
                "{what}: {pre_stop:?} + {grace:?} + 5 s <= {tgps:?}"
            );
            // Config: addresses match the ports; every variable is read by someone.
            assert_eq!(config["GRPC_ADDR"], format!("0.0.0.0:{}", svc.grpc), "{what}");
            assert_eq!(config["ADMIN_ADDR"], format!("0.0.0.0:{}", svc.admin), "{what}");
            let env: Vec<String> = c["env"].as_array().unwrap().iter().map(|e| s(e, "/name").to_owned()).collect();
            assert_vars_are_read(svc.name, config.keys().cloned().chain(env.iter().cloned()), &what);
            let keys: Vec<String> = config.keys().cloned().collect();
            let all: Vec<String> = keys.iter().chain(&env).cloned().collect();
            assert_required_env(svc.name, &all, &keys, true, &what);
            let readme = tools::read("k8s/README.md");
            for e in env.iter().filter(|e| e.ends_with("_FILE")) {
                let key = c["env"].as_array().unwrap().iter().find(|v| v["name"] == e.as_str()).unwrap()["value"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned();
                assert!(
                    readme.contains(&format!("`{key}`")),
                    "k8s/README.md lists the secret key {key} of {}",
                    svc.name
                );
            }
            for e in c["env"].as_array().unwrap() {
                assert!(
                    e.get("value").is_none() || e["name"].as_str().unwrap().ends_with("_FILE"),
                    "{what}: no secret values in env: {e}"
                );
            }
            let secret = pod["volumes"].as_array().unwrap().iter().find_map(|v| v["secret"]["secretName"].as_str());
            assert_eq!(
                secret,
                Some(format!("{}-secrets", svc.name).as_str()),
                "{what}: secrets come from a Secret reference"
            );
            // Resources: requests set, memory limit = request, no CPU limit.
            let r = &c["resources"];
            assert!(r["requests"]["cpu"].is_string() && r["requests"]["memory"].is_string(), "{what}: requests");
            assert_eq!(
                quantity_bytes(s(r, "/limits/memory")),
                quantity_bytes(s(r, "/requests/memory")),
                "{what}: memory limit = request"
            );
            assert!(r["limits"].get("cpu").is_none(), "{what}: no CPU limit");
            // Security: non-root, read-only root fs, nothing escalates.
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{what}");
            assert!(pod["securityContext"]["runAsUser"].as_u64().unwrap() > 0, "{what}");
            assert_eq!(s(pod, "/securityContext/seccompProfile/type"), "RuntimeDefault", "{what}");
            assert_eq!(pod["automountServiceAccountToken"], false, "{what}");
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{what}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{what}");
            assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]), "{what}");
            // Rolling updates never take capacity away.
            assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0, "{what}");
        }
    }
}

#[test]
fn op_11_services_pdb_hpa_servicemonitor_and_network_policies_fit_together() {
    for overlay in ["dev", "prod"] {
        let (_, docs) = tools::render(overlay);
        let policies = of_kind(&docs, "NetworkPolicy");
        let deny = named(&docs, "NetworkPolicy", "payops-default-deny");
        assert_eq!(deny["spec"]["policyTypes"], serde_json::json!(["Ingress", "Egress"]));
        assert!(
            deny["spec"].get("ingress").is_none() && deny["spec"].get("egress").is_none(),
            "default deny allows nothing"
        );
        let platform = named(&docs, "NetworkPolicy", "payops-platform-egress");
        let egress_ports: BTreeSet<u64> = platform["spec"]["egress"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["ports"].as_array().unwrap().iter().filter_map(|p| p["port"].as_u64()))
            .collect();
        assert_eq!(egress_ports, BTreeSet::from([53, 4222, 5432, 4317]), "{overlay}: DNS, NATS, Postgres, OTLP");
        for svc in SERVICES {
            let what = format!("{overlay}/{}", svc.name);
            let d = named(&docs, "Deployment", svc.name);
            let pod_labels = d["spec"]["template"]["metadata"]["labels"].as_object().unwrap();
            let selects =
                |selector: &Value| selector.as_object().unwrap().iter().all(|(k, v)| pod_labels.get(k) == Some(v));
            assert_eq!(s(pod_labels.get("app.kubernetes.io/part-of").unwrap(), ""), "payops", "{what}");
            let replicas = d["spec"]["replicas"].as_u64().unwrap();
            assert!(replicas >= 2, "{what}: at least two replicas");
            // PDB: one pod at a time.
            let pdb = named(&docs, "PodDisruptionBudget", svc.name);
            assert_eq!(pdb["spec"]["maxUnavailable"], 1, "{what}");
            assert!(selects(&pdb["spec"]["selector"]["matchLabels"]), "{what}: PDB selects the pods");
            // HPA: CPU against requests, never below two replicas.
            let hpa = named(&docs, "HorizontalPodAutoscaler", svc.name);
            assert_eq!(s(hpa, "/spec/scaleTargetRef/name"), svc.name, "{what}");
            assert!(hpa["spec"]["minReplicas"].as_u64().unwrap() >= 2, "{what}");
            assert!(hpa["spec"]["maxReplicas"].as_u64().unwrap() >= hpa["spec"]["minReplicas"].as_u64().unwrap());
            assert_eq!(s(hpa, "/spec/metrics/0/resource/name"), "cpu", "{what}");
            // Services: ClusterIP with the admin port (scraped), headless for client-side gRPC.
            let svc_obj = named(&docs, "Service", svc.name);
            let headless = named(&docs, "Service", &format!("{}-headless", svc.name));
            assert!(selects(&svc_obj["spec"]["selector"]) && selects(&headless["spec"]["selector"]), "{what}");
            assert_eq!(s(headless, "/spec/clusterIP"), "None", "{what}");
            assert_eq!(headless["spec"]["ports"][0]["port"].as_u64(), Some(u64::from(svc.grpc)), "{what}");
            // ServiceMonitor: selects exactly the ClusterIP Service, on its admin port.
            let sm = named(&docs, "ServiceMonitor", svc.name);
            let sm_sel = sm["spec"]["selector"]["matchLabels"].as_object().unwrap();
            let scraped: Vec<&str> = of_kind(&docs, "Service")
                .into_iter()
                .filter(|o| sm_sel.iter().all(|(k, v)| o["metadata"]["labels"].get(k) == Some(v)))
                .map(|o| s(o, "/metadata/name"))
                .collect();
            assert_eq!(
                scraped,
                vec![svc.name],
                "{what}: the ServiceMonitor scrapes one Service (the target label service={})",
                svc.name
            );
            assert_eq!(s(sm, "/spec/endpoints/0/port"), "admin", "{what}");
            assert_eq!(s(sm, "/spec/endpoints/0/path"), "/metrics", "{what}");
            assert!(svc_obj["spec"]["ports"].as_array().unwrap().iter().any(|p| p["name"] == "admin"), "{what}");
            // Every payops pod is under the default deny and may be scraped.
            assert!(selects(&deny["spec"]["podSelector"]["matchLabels"]), "{what}: default deny covers the pods");
            let own = named(&docs, "NetworkPolicy", svc.name);
            assert!(selects(&own["spec"]["podSelector"]["matchLabels"]), "{what}");
            let grpc_in = own["spec"]["ingress"].as_array().unwrap().iter().any(|r| r["ports"][0]["port"] == "grpc");
            assert!(grpc_in, "{what}: gRPC ingress from its callers");
        }
        // A caller may reach a callee's gRPC port iff the callee admits the caller.
        for caller in SERVICES {
            let own = named(&docs, "NetworkPolicy", caller.name);
            let callees: BTreeSet<&str> = own["spec"]["egress"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["ports"][0]["port"] == "grpc")
                .map(|e| s(e, "/to/0/podSelector/matchLabels/app.kubernetes.io~1name"))
                .collect();
            for callee in SERVICES {
                let admitted =
                    named(&docs, "NetworkPolicy", callee.name)["spec"]["ingress"].as_array().unwrap().iter().any(|r| {
                        r["from"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|f| s(f, "/podSelector/matchLabels/app.kubernetes.io~1name") == caller.name)
                    });
                assert_eq!(
                    callees.contains(callee.name),
                    admitted,
                    "{overlay}: {} -> {} gRPC egress vs ingress",
                    caller.name,
                    callee.name
                );
            }
        }
        assert!(policies.iter().any(|p| s(p, "/metadata/name") == "payops-allow-prometheus"));
    }
}

#[test]
fn op_11_postgres_connection_budget_of_every_overlay_fits_max_connections() {
    for overlay in ["dev", "prod"] {
        let (_, docs) = tools::render(overlay);
        let mut total = 0;
        for svc in SERVICES {
            let d = named(&docs, "Deployment", svc.name);
            let config = config_of(&docs, &d["spec"]["template"]["spec"]["containers"][0]);
            let pool: u64 = config["DB_MAX_CONNECTIONS"].as_str().unwrap().parse().unwrap();
            // terminal-gateway's record lane is a pool of its own (default 8 when not set).
            let record: u64 = match config.get("DB_RECORD_CONNECTIONS") {
                Some(v) => v.as_str().unwrap().parse().unwrap(),
                None if svc.name == "terminal-gateway" => 8,
                None => 0,
            };
            let max = named(&docs, "HorizontalPodAutoscaler", svc.name)["spec"]["maxReplicas"].as_u64().unwrap();
            // Each replica also keeps one session for the journal's scope locks (kit::journal).
            total += (pool + record + 1) * max;
        }
        assert!(
            total <= POSTGRES_CONNECTIONS_FOR_SERVICES,
            "{overlay}: (pool + record lane + lock session) x maxReplicas = {total} connections"
        );
    }
}

#[test]
fn op_11_prometheus_rule_in_k8s_matches_deploy_rules() {
    let mut rules: Vec<String> = std::fs::read_dir(tools::path("deploy/prometheus/rules"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".yml"))
        .collect();
    rules.sort();
    let generated = tools::run(tools::opscheck().arg("prometheusrule").args(&rules));
    let target = tools::path("k8s/base/common/prometheusrule.yaml");
    let tmp = std::env::temp_dir().join(format!("payops-prometheusrule-{}.yaml", std::process::id()));
    std::fs::write(&tmp, &generated).unwrap();
    let (want, have) = (tools::yaml_docs(&tmp), tools::yaml_docs(&target));
    std::fs::remove_file(&tmp).ok();
    if want != have {
        if std::env::var("PAYOPS_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(&target, generated).unwrap();
        } else {
            panic!(
                "k8s/base/common/prometheusrule.yaml differs from deploy/prometheus/rules/*.yml; regenerate it with\n  \
                 PAYOPS_BLESS=1 cargo test -p tests --test operability prometheus_rule"
            );
        }
    }
}
