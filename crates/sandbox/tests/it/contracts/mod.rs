//! The contract mechanism itself (CT-01, CT-02, CT-05, CT-08) and, per partner, the
//! simulator's conformance to the cases (CT-03): `<partner>.rs` puts the simulator into each
//! case's state and checks its answer against the case.

mod freshdesk;
mod nets;
mod pgw;
mod pixi;
mod postfinance;
mod smallinvoice;
mod unzer;

use std::collections::BTreeMap;

use sandbox::contracts::case::{Body, Case, LoadedCase, RequestSpec, ResponseSpec, SimSpec, Source};
use sandbox::contracts::{PARTNERS, Replay, load_all, mutations, report};
use serde_json::{Value, json};

#[test]
fn ct_01_every_case_file_loads_and_each_case_has_a_source_or_a_reason() {
    let cases = load_all().expect("every case file is valid");
    for c in &cases {
        assert!(PARTNERS.contains(&c.partner.as_str()), "{}: unknown partner", c.id());
        assert!(c.verified() || c.case.unverified.as_deref().is_some_and(|r| r.len() > 10), "{}", c.id());
        if let Some(s) = &c.case.source {
            for r in &s.refs {
                let github = r.contains(": ") && r.contains(" @ ");
                let url = r.starts_with("https://") || r.starts_with("http://");
                assert!(github || url, "{}: source {r:?} is neither `owner/repo: path @ commit` nor a URL", c.id());
                if github {
                    let commit = r.rsplit(" @ ").next().unwrap_or_default();
                    let hex = commit.split([' ', '#', ':']).next().unwrap_or_default();
                    assert!(
                        hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{}: {r:?} needs a full commit",
                        c.id()
                    );
                }
            }
        }
    }
}

#[test]
fn ct_05_every_field_a_case_reads_exists_in_its_answer() {
    for c in load_all().expect("cases") {
        mutations(&c).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn ct_08_the_contracts_readme_is_what_make_contracts_writes() {
    let cases = load_all().expect("cases");
    let want = report::readme(&cases, &PARTNERS);
    let path = sandbox::contracts::case::contracts_dir().join("README.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "{} is stale: run `make contracts` and commit it", path.display());
}

fn synthetic(name: &str, body: Value, reads: &[&str]) -> LoadedCase {
    LoadedCase {
        partner: "unzer".into(),
        operation: "charge".into(),
        file: "synthetic.json".into(),
        case: Case {
            name: name.into(),
            title: "synthetic".into(),
            source: Some(Source { refs: vec!["https://example.invalid/doc".into()], shows: "test".into() }),
            unverified: None,
            state: Value::Null,
            input: Value::Null,
            prelude: vec![],
            request: RequestSpec {
                method: "POST".into(),
                path: "/v1/payments/{paymentId}/charges".into(),
                headers: [("authorization".to_owned(), "Basic {key}".to_owned())].into(),
                body: Body::Json(json!({"amount": 12.5, "paymentReference": "ref-1"})),
                matchers: [("amount".to_owned(), "decimals:2".to_owned())].into(),
            },
            response: ResponseSpec { status: 200, headers: BTreeMap::new(), body: Body::Json(body), variable: vec![] },
            reads: reads.iter().map(|s| (*s).to_owned()).collect(),
            expect: json!({"status": "success"}),
            simulator: SimSpec::default(),
        },
    }
}

#[tokio::test]
async fn ct_02_the_replay_server_answers_only_from_cases_and_names_the_nearest_case() {
    let case = synthetic("ok", json!({"id": "s-chg-1", "isSuccess": true}), &["id", "isSuccess"]);
    let replay = Replay::start(vec![case.clone()]).await.unwrap();
    replay.play(&case).unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/payments/s-pay-1/charges", replay.url());
    // 12.5 is not written with two decimals: no match, and the answer says why.
    let r = http
        .post(&url)
        .basic_auth("s-priv-x", Some(""))
        .body(r#"{"amount":12.5,"paymentReference":"ref-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 501);
    let u = replay.unmatched();
    assert!(u.len() == 1 && u[0].contains("nearest unzer/charge/ok") && u[0].contains("fraction digits"), "{u:?}");
    assert_eq!(replay.unserved(), vec!["unzer/charge/ok".to_owned()]);
    let r = http
        .post(&url)
        .basic_auth("s-priv-x", Some(""))
        .body(r#"{"amount":12.50,"paymentReference":"ref-1","extra":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 501, "an extra field is a difference");
    let r = http
        .post(&url)
        .basic_auth("s-priv-x", Some(""))
        .body(r#"{"amount":12.50,"paymentReference":"ref-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"id": "s-chg-1", "isSuccess": true}));
    assert!(replay.unserved().is_empty());
    // Each case is served once: the same request again matches nothing.
    let r = http
        .post(&url)
        .basic_auth("s-priv-x", Some(""))
        .body(r#"{"amount":12.50,"paymentReference":"ref-1"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 501);
}

#[test]
fn ct_05_mutations_cover_missing_wrong_type_and_empty_fields() {
    let case = synthetic("ok", json!({"id": "s-chg-1", "isSuccess": true}), &["id!nonempty", "isSuccess"]);
    let kinds: Vec<(String, &str)> = mutations(&case).unwrap().into_iter().map(|m| (m.field, m.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            ("id".to_owned(), "missing"),
            ("id".to_owned(), "wrong_type"),
            ("id".to_owned(), "empty"),
            ("isSuccess".to_owned(), "missing"),
            ("isSuccess".to_owned(), "wrong_type"),
        ]
    );
    let free = synthetic("free", json!({"id": "s-chg-1"}), &["id!text"]);
    let kinds: Vec<&str> = mutations(&free).unwrap().into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, vec!["missing"], "free text gets no wrong-type mutation");
    let typo = synthetic("typo", json!({"id": "s-chg-1"}), &["isSucess"]);
    assert!(mutations(&typo).unwrap_err().contains("no such field"));
}
