//! DirectLink maintenance against the sandbox (IC-10 … IC-17).

use proto::payops::events::v1::Attention;
use proto::payops::invoice_checks::v1 as pb;
use proto::payops::invoice_checks::v1::MaintenanceOperation as Op;
use sandbox::postfinance::{Env as PfEnv, PfForceStatus};
use tonic::Code;

use crate::flow::{authorised, history, maintain, reason, settle, transaction};
use crate::helpers::{PROD_SHOP, TEST_SHOP, TenantSpec, TestApp};

#[tokio::test]
async fn ic_10_only_a_full_capture_is_sent_partial_captures_renewal_and_manual_authorisation_are_refused_before_sending()
 {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-20").await;
    let cases = [
        ("r1", Op::CapturePartial, Some(14_900), "PARTIAL_CAPTURE_NOT_ALLOWED"),
        ("r2", Op::CaptureLast, Some(10_000), "PARTIAL_CAPTURE_NOT_ALLOWED"),
        ("r3", Op::Renew, None, "CREDIT_CARD_ONLY"),
        ("r4", Op::ManualAuthorisation, None, "CREDIT_CARD_ONLY"),
    ];
    for (request_id, op, amount, want) in cases {
        let err = maintain(&app, "SB-20", request_id, op, amount).await.unwrap_err();
        assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, want), "{op:?}");
    }
    assert!(app.maintenance_requests().await.is_empty(), "nothing reached PostFinance");
    let r = maintain(&app, "SB-20", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::Accepted);
    assert_eq!((r.payidsub, r.status_code, r.status_name.as_str()), (1, 91, "payment_processing"));
    assert_eq!(history(&app, &TEST_SHOP, payid).await[1], ("capture".into(), "SAS".into(), 14_900, 91));
    // The same request again returns the recorded outcome and sends nothing.
    let again = maintain(&app, "SB-20", "capture-1", Op::CaptureLast, None).await.unwrap();
    assert_eq!((again.outcome(), again.payidsub), (pb::MaintenanceOutcome::Accepted, 1));
    assert_eq!(app.maintenance_requests().await.len(), 1);
    let err = maintain(&app, "SB-20", "capture-1", Op::RefundLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "REQUEST_ID_REUSED");
    app.stop().await;
}

#[tokio::test]
async fn ic_11_amounts_above_the_ceilings_are_refused_before_sending_and_the_database_enforces_them() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-21").await;
    let err = maintain(&app, "SB-21", "c0", Op::CaptureLast, Some(14_901)).await.unwrap_err();
    assert_eq!(reason(&err), "AMOUNT_EXCEEDS_AUTHORISED");
    maintain(&app, "SB-21", "c1", Op::CaptureLast, None).await.unwrap();
    let err = maintain(&app, "SB-21", "f0", Op::RefundPartial, Some(100)).await.unwrap_err();
    assert_eq!(reason(&err), "CAPTURE_NOT_SETTLED");
    settle(&app, &TEST_SHOP, payid, false).await;
    assert_eq!(app.sb.refresh_once().await.unwrap(), 1);
    let err = maintain(&app, "SB-21", "f1", Op::RefundPartial, Some(14_901)).await.unwrap_err();
    assert_eq!(reason(&err), "AMOUNT_EXCEEDS_CAPTURED");
    assert_eq!(app.maintenance_requests().await.len(), 1, "only the capture was sent");
    // Amounts go out ×100 (integer Rappen).
    let (_, body) = &app.maintenance_requests().await[0];
    assert!(body.contains("AMOUNT=14900") && body.contains("OPERATION=SAS"), "{body}");
    // The ceilings are database constraints, whatever the code above does.
    let over = sqlx::query("UPDATE sb_transactions SET refund_committed_minor = 20000 WHERE order_id = 'SB-21'")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(kit::db::is_constraint(&over, "sb_refund_ceiling"), "{over}");
    let over = sqlx::query("UPDATE sb_transactions SET delete_committed_minor = 1 WHERE order_id = 'SB-21'")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(kit::db::is_constraint(&over, "sb_capture_ceiling"), "{over}");
    app.stop().await;
}

#[tokio::test]
async fn ic_11_two_concurrent_refunds_cannot_both_pass() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-22").await;
    maintain(&app, "SB-22", "c1", Op::CaptureLast, None).await.unwrap();
    settle(&app, &TEST_SHOP, payid, false).await;
    app.sb.refresh_once().await.unwrap();
    let (a, b) = tokio::join!(
        maintain(&app, "SB-22", "refund-a", Op::RefundPartial, Some(9_000)),
        maintain(&app, "SB-22", "refund-b", Op::RefundPartial, Some(9_000)),
    );
    let outcomes = [
        a.as_ref().map(|_| "ok".to_owned()).unwrap_or_else(reason),
        b.as_ref().map(|_| "ok".to_owned()).unwrap_or_else(reason),
    ];
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(sorted, ["AMOUNT_EXCEEDS_CAPTURED", "ok"], "{outcomes:?}");
    let refunds: Vec<_> = history(&app, &TEST_SHOP, payid).await.into_iter().filter(|h| h.0 == "refund").collect();
    assert_eq!(refunds, [("refund".into(), "RFD".into(), 9_000, 81)]);
    let tx = transaction(&app, "SB-22").await;
    assert_eq!(tx.refunded.unwrap().amount_minor, 9_000);
    app.stop().await;
}

#[tokio::test]
async fn ic_12_requests_are_signed_and_name_the_order_by_payid() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &PROD_SHOP, "SB-23").await;
    maintain(&app, "SB-23", "c1", Op::CaptureLast, None).await.unwrap();
    let (_, body) = &app.maintenance_requests().await[0];
    let form: Vec<(String, String)> = url_decode(body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(get("PAYID"), payid.to_string());
    assert_eq!(get("PSPID"), "smarpay");
    assert_eq!(get("SHASIGN").len(), 128, "SHA-512 of the PROD account");
    // The signature is the documented SHA-IN over what was sent.
    let signed: Vec<(&str, &str)> =
        form.iter().filter(|(k, _)| k != "SHASIGN").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let want = invoice_checks::postfinance::sha::sign_in(
        invoice_checks::postfinance::sha::ShaAlgorithm::Sha512,
        signed,
        &secrecy::SecretString::from(crate::helpers::passphrases(&PROD_SHOP).0),
    );
    assert_eq!(get("SHASIGN"), want);
    app.stop().await;
}

fn url_decode(body: &str) -> Vec<(String, String)> {
    body.split('&').filter_map(|p| p.split_once('=')).map(|(k, v)| (decode(k), decode(v))).collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn ic_13_levels_follow_the_pending_status_to_the_final_one_and_unknown_codes_are_kept_and_flagged() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-24").await;
    maintain(&app, "SB-24", "c1", Op::CaptureLast, None).await.unwrap();
    assert_eq!(app.sb.refresh_once().await.unwrap(), 0, "still pending at PostFinance");
    settle(&app, &TEST_SHOP, payid, false).await;
    let refreshed = app
        .sb_client()
        .await
        .refresh_transaction(pb::RefreshTransactionRequest { order_id: "SB-24".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refreshed.changed_levels, 1);
    let tx = transaction(&app, "SB-24").await;
    assert_eq!((tx.status_code, tx.status_name.as_str()), (9, "payment_requested"));
    assert_eq!(tx.captured_final.unwrap().amount_minor, 14_900);
    assert!(tx.levels[1].settled_at.is_some());
    maintain(&app, "SB-24", "f1", Op::RefundLast, Some(4_900)).await.unwrap();
    // PostFinance reports a code nobody documented: kept as received, flagged, never guessed.
    let force = PfForceStatus { env: PfEnv::Test, payid: u64::try_from(payid).unwrap(), payidsub: 2, status: 87 };
    app.sandbox.client().postfinance_force_status(&force).await.unwrap();
    assert_eq!(app.sb.refresh_once().await.unwrap(), 1);
    let tx = transaction(&app, "SB-24").await;
    let level = &tx.levels[2];
    assert_eq!((level.status_code, level.status_name.as_str(), level.status_flagged), (87, "unknown", true));
    assert!(tx.status_flagged);
    assert_eq!(tx.refunded.unwrap().amount_minor, 4_900, "an unknown status keeps the money bound");
    assert_eq!(
        app.events("SB-24").await,
        [
            "swissbilling_page_prepared",
            "swissbilling_authorised",
            "swissbilling_capture_requested",
            "swissbilling_captured",
            "swissbilling_refund_requested",
            "swissbilling_status_changed",
        ]
    );
    app.stop().await;
}

/// The back office (or any other client of the account) sends a maintenance directly.
async fn back_office(app: &TestApp, tenant: &TenantSpec, payid: i64, op: &str, amount: i64) {
    use invoice_checks::postfinance::sha::{ShaAlgorithm, sign_in};
    let (dl, _, _) = crate::helpers::passphrases(tenant);
    let mut form = vec![
        ("PSPID".to_owned(), tenant.pspid.to_owned()),
        ("USERID".to_owned(), "payops-api".to_owned()),
        ("PSWD".to_owned(), "Api-Pass-1".to_owned()),
        ("PAYID".to_owned(), payid.to_string()),
        ("OPERATION".to_owned(), op.to_owned()),
        ("AMOUNT".to_owned(), amount.to_string()),
    ];
    let sig = sign_in(
        ShaAlgorithm::Sha256,
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &secrecy::SecretString::from(dl),
    );
    form.push(("SHASIGN".into(), sig));
    let env = if tenant.env == PfEnv::Test { "test" } else { "prod" };
    let url = format!("{}/ncol/{env}/maintenancedirect.asp", app.sandbox.url(sandbox::System::Postfinance));
    let body = reqwest::Client::new().post(url).form(&form).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("NCERROR=\"0\""), "{body}");
}

#[tokio::test]
async fn ic_14_a_repeated_rfs_answered_50001127_is_reconciled_by_re_reading_the_transaction() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-25").await;
    maintain(&app, "SB-25", "c1", Op::CaptureLast, None).await.unwrap();
    settle(&app, &TEST_SHOP, payid, false).await;
    app.sb.refresh_once().await.unwrap();
    // The refund was already made once (a lost request, the back office …): this service did
    // not see it, so it sends it again.
    back_office(&app, &TEST_SHOP, payid, "RFS", 14_900).await;
    let r = maintain(&app, "SB-25", "refund-1", Op::RefundLast, None).await.unwrap();
    assert_eq!(r.outcome(), pb::MaintenanceOutcome::AlreadyApplied);
    assert_eq!((r.payidsub, r.status_code), (2, 81));
    let rfs: Vec<_> =
        app.maintenance_requests().await.into_iter().filter(|(_, b)| b.contains("OPERATION=RFS")).collect();
    assert_eq!(rfs.len(), 2, "the repeat reached PostFinance and was answered 50001127");
    let refunds: Vec<_> = history(&app, &TEST_SHOP, payid).await.into_iter().filter(|h| h.0 == "refund").collect();
    assert_eq!(refunds.len(), 1, "refunded once");
    let tx = transaction(&app, "SB-25").await;
    assert_eq!(tx.refunded.unwrap().amount_minor, 14_900);
    assert_eq!(tx.attempts.last().map(|a| a.phase.as_str()), Some("already_applied"));
    assert_eq!(app.events("SB-25").await.iter().filter(|e| *e == "swissbilling_refund_requested").count(), 1);
    app.stop().await;
}

#[tokio::test]
async fn ic_14_a_50001127_that_is_not_this_request_is_reported_as_refused_with_the_true_state() {
    let app = TestApp::spawn().await;
    let payid = authorised(&app, &TEST_SHOP, "SB-26").await;
    back_office(&app, &TEST_SHOP, payid, "DES", 14_900).await;
    let err = maintain(&app, "SB-26", "c1", Op::CaptureLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "POSTFINANCE_REFUSED");
    assert!(err.message().contains("50001127"), "{}", err.message());
    let tx = transaction(&app, "SB-26").await;
    let deletion = &tx.levels[1];
    assert_eq!((deletion.kind.as_str(), deletion.status_code), ("deletion", 61), "the re-read recorded the true state");
    assert_eq!(tx.captured.unwrap().amount_minor, 0);
    assert_eq!(tx.attempts[0].ncerror, "50001127");
    let attention = app.envelopes("SB-26", "attention").await;
    assert_eq!(attention.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn ic_15_prod_tenants_talk_to_prod_and_test_tenants_to_test_and_never_across() {
    let app = TestApp::spawn().await;
    authorised(&app, &TEST_SHOP, "SB-T").await;
    authorised(&app, &PROD_SHOP, "SB-P").await;
    maintain(&app, "SB-T", "c1", Op::CaptureLast, None).await.unwrap();
    maintain(&app, "SB-P", "c1", Op::CaptureLast, None).await.unwrap();
    let paths: Vec<String> = app.maintenance_requests().await.into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, ["/ncol/test/maintenancedirect.asp", "/ncol/prod/maintenancedirect.asp"]);
    // A transaction made in TEST is never sent to PROD, even if its tenant is reconfigured.
    sqlx::query("UPDATE sb_transactions SET env = 'test' WHERE order_id = 'SB-P'").execute(&app.pool).await.unwrap();
    let err = maintain(&app, "SB-P", "d1", Op::RefundLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "ENVIRONMENT_MISMATCH");
    assert_eq!(app.maintenance_requests().await.len(), 2, "nothing sent");
    app.stop().await;
}

#[tokio::test]
async fn ic_16_a_refused_capture_or_refund_is_an_attention_event_keyed_by_the_order_id() {
    // The service believes refunds are enabled; the PostFinance account says otherwise.
    let shop = TenantSpec { sandbox_refunds: false, ..TEST_SHOP };
    let app = TestApp::with(vec![shop], vec![]).await;
    let payid = authorised(&app, &shop, "SB-27").await;
    maintain(&app, "SB-27", "c1", Op::CaptureLast, None).await.unwrap();
    settle(&app, &shop, payid, true).await; // the acquirer refuses the capture
    app.sb.refresh_once().await.unwrap();
    let tx = transaction(&app, "SB-27").await;
    assert_eq!((tx.status_code, tx.captured.unwrap().amount_minor), (93, 0), "the refused capture frees the amount");
    maintain(&app, "SB-27", "c2", Op::CaptureLast, None).await.unwrap();
    settle(&app, &shop, payid, false).await;
    app.sb.refresh_once().await.unwrap();
    let err = maintain(&app, "SB-27", "f1", Op::RefundLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "POSTFINANCE_REFUSED");
    assert!(err.message().contains("50001218"), "{}", err.message());
    let attention = app.envelopes("SB-27", "attention").await;
    assert_eq!(attention.len(), 2);
    let a: Vec<Attention> = attention.iter().map(|e| kit::bus::event::unpack(e).unwrap()).collect();
    assert!(attention.iter().all(|e| e.order_id == "SB-27"));
    assert_eq!(a[0].incident_id, "swissbilling-capture-refused-1");
    assert_eq!(a[1].incident_id, "swissbilling-refund-refused-f1");
    assert!(a[1].description.contains("50001218") && !a[1].description.contains("Müller"), "{}", a[1].description);
    app.stop().await;
}

#[tokio::test]
async fn ic_17_account_options_refuse_before_sending_and_name_the_option() {
    let shop = TenantSpec { partial: false, multiple: false, refunds: false, ..TEST_SHOP };
    let app = TestApp::with(vec![shop], vec![]).await;
    let payid = authorised(&app, &shop, "SB-28").await;
    let err = maintain(&app, "SB-28", "d1", Op::DeletePartial, Some(100)).await.unwrap_err();
    assert_eq!(reason(&err), "ACCOUNT_OPTION_DISABLED");
    assert!(err.message().contains("multiple maintenance"), "{}", err.message());
    maintain(&app, "SB-28", "c1", Op::CaptureLast, None).await.unwrap();
    settle(&app, &shop, payid, false).await;
    app.sb.refresh_once().await.unwrap();
    let err = maintain(&app, "SB-28", "f1", Op::RefundLast, None).await.unwrap_err();
    assert_eq!(reason(&err), "ACCOUNT_OPTION_DISABLED");
    assert!(err.message().contains("refunds"), "{}", err.message());
    assert_eq!(app.maintenance_requests().await.len(), 1, "only the capture was sent");
    app.stop().await;
}

#[tokio::test]
async fn the_service_reports_ready_and_exports_its_metrics() {
    let app = TestApp::spawn().await;
    authorised(&app, &TEST_SHOP, "SB-29").await;
    maintain(&app, "SB-29", "c1", Op::CaptureLast, None).await.unwrap();
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{}/readyz", app.admin_url)).send().await.unwrap().status(), 200);
    let metrics = http.get(format!("{}/metrics", app.admin_url)).send().await.unwrap().text().await.unwrap();
    for name in [
        "payops_invoice_checks_maintenance_total",
        "payops_external_requests_total",
        "grpc_server_handled_total",
        "payops_journal_operations_total",
    ] {
        assert!(metrics.contains(name), "{name} missing");
    }
    assert!(metrics.contains("system=\"postfinance\""), "external calls are labelled by system");
    app.stop().await;
}
