//! The sandbox-wide rules: one program serves every simulator on its own port (SB-01), the admin
//! API seeds, drives and reads back every request (SB-04), and the sandbox runs both in-process
//! on random ports and standalone (SB-07).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use sandbox::{FaultSpec, System};
use tokio::io::{AsyncBufReadExt, BufReader as AsyncBufReader};

use crate::helpers::{http, start};

async fn smtp_greeting(url: &str) -> String {
    let addr = url.trim_start_matches("smtp://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut lines = AsyncBufReader::new(stream).lines();
    lines.next_line().await.unwrap().unwrap()
}

#[tokio::test]
async fn sb_01_one_program_serves_every_simulator_on_its_own_port() {
    let sb = start().await;
    let urls = sb.client().urls().await.unwrap();
    assert_eq!(urls.len(), System::ALL.len());
    let mut ports: Vec<u16> = System::ALL.iter().map(|s| sb.addr(*s).port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), System::ALL.len(), "one port per system");

    // Each port answers in its own system's protocol, with that system's auth refusal.
    let c = http();
    let unzer = c.get(format!("{}/v1/payments/s-pay-1", urls[&System::Unzer])).send().await.unwrap();
    assert_eq!(unzer.status(), 401);
    assert!(unzer.text().await.unwrap().contains("\"errors\""));
    let nets = c.get(format!("{}/v1/terminal", urls[&System::Nets])).send().await.unwrap();
    assert_eq!(nets.status(), 401);
    let fd = c.get(format!("{}/api/v2/tickets/1", urls[&System::Freshdesk])).send().await.unwrap();
    assert_eq!(fd.status(), 401);
    let pixi = c.post(format!("{}/", urls[&System::Pixi])).body("<x/>").send().await.unwrap();
    assert_eq!(pixi.status(), 401);
    let pgw = c.get(format!("{}/api/v1/prod/transactions", urls[&System::Pgw])).send().await.unwrap();
    assert_eq!(pgw.status(), 401);
    let si = c.get(format!("{}/v2/contacts", urls[&System::Smallinvoice])).send().await.unwrap();
    assert_eq!(si.status(), 401);
    let pf = c
        .post(format!("{}/ncol/test/querydirect.asp", urls[&System::Postfinance]))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("PSPID=nobody")
        .send()
        .await
        .unwrap();
    assert!(pf.text().await.unwrap().contains("<ncresponse"));
    assert!(smtp_greeting(&urls[&System::Smtp]).await.starts_with("220 "));
}

#[tokio::test]
async fn sb_04_admin_api_seeds_drives_and_reads_back_every_request() {
    let sb = start().await;
    let admin = sb.client();
    admin.freshdesk_add_api_key("key-1").await.unwrap();
    let c = http();
    let created = c
        .post(format!("{}/api/v2/tickets", sb.url(System::Freshdesk)))
        .basic_auth("key-1", Some("X"))
        .json(&serde_json::json!({"email": "a@example.ch", "subject": "s", "description": "d", "priority": 2, "status": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let _ = c.get(format!("{}/v1/terminal", sb.url(System::Nets))).send().await.unwrap();

    let all = admin.requests(None).await.unwrap();
    assert_eq!(all.len(), 2);
    let fd = admin.requests(Some(System::Freshdesk)).await.unwrap();
    assert_eq!(fd.len(), 1);
    assert_eq!(fd[0].method, "POST");
    assert_eq!(fd[0].path, "/api/v2/tickets");
    assert_eq!(fd[0].status, 201);
    assert!(fd[0].body.contains("\"subject\":\"s\""));
    let nets = admin.requests(Some(System::Nets)).await.unwrap();
    assert_eq!((nets[0].path.as_str(), nets[0].status), ("/v1/terminal", 401));
    assert_eq!(admin.freshdesk_tickets().await.unwrap().tickets.len(), 1, "state is readable too");

    // Faults are scriptable and every firing is logged.
    admin.add_fault(&FaultSpec::fail_times(System::Nets, "*", sandbox::FailMode::Error, 1)).await.unwrap();
    let failed = c.get(format!("{}/v1/terminal", sb.url(System::Nets))).send().await.unwrap();
    assert_eq!(failed.status(), 500);
    assert_eq!(admin.fired_faults().await.unwrap().len(), 1);
}

#[tokio::test]
async fn sb_07_in_process_sandboxes_on_random_ports_are_independent() {
    let a = start().await;
    let b = start().await;
    assert_ne!(a.addr(System::Freshdesk), b.addr(System::Freshdesk));
    a.client().freshdesk_add_api_key("only-in-a").await.unwrap();
    let c = http();
    let get = |sb: &sandbox::Sandbox| format!("{}/api/v2/tickets/1", sb.url(System::Freshdesk));
    assert_eq!(c.get(get(&a)).basic_auth("only-in-a", Some("X")).send().await.unwrap().status(), 404);
    assert_eq!(c.get(get(&b)).basic_auth("only-in-a", Some("X")).send().await.unwrap().status(), 401);
    a.stop().await;
    assert!(c.get(get(&b)).send().await.is_ok(), "stopping one leaves the other running");
}

#[tokio::test]
async fn sb_07_standalone_binary_starts_with_demo_data_and_prints_where_each_system_listens() {
    let base = {
        // Find nine consecutive free ports.
        let mut base = 0;
        for candidate in (20_000..60_000).step_by(97) {
            if (0..9).all(|i| std::net::TcpListener::bind(("127.0.0.1", candidate + i)).is_ok()) {
                base = candidate;
                break;
            }
        }
        base
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_payops-sandbox"))
        .env("SANDBOX_BASE_PORT", base.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..10 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        lines.push(line.trim().to_owned());
    }
    assert!(lines[0].starts_with("payops-sandbox") && lines[0].contains("demo data loaded"), "{lines:?}");
    for s in System::ALL {
        let port = base + s.port_offset();
        assert!(lines.iter().any(|l| l.starts_with(s.name()) && l.ends_with(&format!(":{port}"))), "{s}: {lines:?}");
    }
    let admin = sandbox::SandboxClient::new(&format!("http://127.0.0.1:{base}"));
    let tickets = tokio::time::timeout(Duration::from_secs(10), admin.freshdesk_tickets()).await.unwrap().unwrap();
    assert!(!tickets.tickets.is_empty(), "demo tickets loaded");
    let _ = child.kill();
    let _ = child.wait();
}
