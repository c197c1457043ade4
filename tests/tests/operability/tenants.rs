//! SE-03 over every tenant-scoped method of the running services: a caller whose credential names
//! one tenant (`elsewhere`, every permission for `no-such-tenant`) calls every method whose
//! request carries a `tenant_id` — found by the generic client from the servers' own reflection,
//! so a new method is covered without a new test — naming the seeded tenant of pixi-sync and of
//! terminal-gateway: each answers PERMISSION_DENIED, and no table of the shared database
//! changed. Naming its own tenant instead, the same caller is not refused for the tenant (the
//! check is per tenant, not a blanket refusal). Methods without a `tenant_id` (creating and
//! listing pixi tenants, SwissBilling transactions by order id) are checked one by one.

use std::collections::BTreeMap;

use proto::payops::invoice_checks::v1 as ic;
use proto::payops::pixi_sync::v1 as px;
use proto::payops::terminal_gateway::v1 as tg;
use stack::platform::{Platform, Service, seed_demo};

use crate::tools;

/// Tables left out of the comparison: those that record the refusals themselves (security
/// events, audit), which a refusal is supposed to write, and the pixi poller's own bookkeeping
/// (leader lease, poll cursor, calls per minute), which it updates every poll on its own.
const NOT_COMPARED: &[&str] = &["security_events", "audit_log", "leases", "pixi_call_minutes", "sync_state"];

/// The generic client's calls of every method of `service` as `token`, naming `tenant`:
/// (method → status, tenant-scoped methods).
fn call_all(
    platform: &Platform,
    service: Service,
    token: &str,
    tenant: &str,
) -> (BTreeMap<String, String>, Vec<String>) {
    let answer = tools::generic_client(platform, service, Some(token), &["--tenant", tenant]);
    let calls = serde_json::from_value(answer["calls"].clone()).expect("calls");
    let scoped = serde_json::from_value(answer["tenant_scoped"].clone()).expect("tenant_scoped");
    (calls, scoped)
}

#[tokio::test(flavor = "multi_thread")]
async fn se_03_a_caller_bound_to_one_tenant_neither_reads_nor_changes_another_tenants_data_in_any_tenant_scoped_method()
{
    let (env, _sandbox, mut platform) = tools::platform().await;
    let seed = seed_demo(&platform).await.expect("seed");
    let tokens = platform.tokens().clone();
    let before = tools::db_snapshot(&env.database_url, NOT_COMPARED).await;

    // Every tenant-scoped method, naming another tenant than the caller's.
    let mut table = Vec::new();
    let mut leaks = Vec::new();
    let mut covered = 0;
    for (service, victim) in
        [(Service::PixiSync, seed.pixi.tenant_id.as_str()), (Service::TerminalGateway, seed.terminal_tenant.as_str())]
    {
        let (calls, scoped) = call_all(&platform, service, &tokens.elsewhere, victim);
        let (own, _) = call_all(&platform, service, &tokens.elsewhere, "no-such-tenant");
        assert!(!scoped.is_empty(), "{service:?}: no tenant-scoped method found");
        for method in &scoped {
            covered += 1;
            let got = calls.get(method).map_or("NOT CALLED", String::as_str);
            let own = own.get(method).map_or("NOT CALLED", String::as_str);
            table.push(format!("| `{method}` | {got} | {own} |"));
            if got != "PERMISSION_DENIED" {
                leaks.push(format!("{method} for another tenant: {got}"));
            }
            if own == "PERMISSION_DENIED" {
                leaks.push(format!("{method} for the caller's own tenant: refused although every permission is held"));
            }
        }
    }

    // pixi-sync: a caller bound to tenants cannot create one, and lists only its own.
    let mut tenants = px::tenant_service_client::TenantServiceClient::new(
        platform.connect_as(Service::PixiSync, &tokens.elsewhere).await.unwrap(),
    );
    let created = tenants.create_tenant(px::CreateTenantRequest { name: "Sneaky AG".into() }).await;
    assert_eq!(created.unwrap_err().code(), tonic::Code::PermissionDenied, "CreateTenant by a tenant-bound caller");
    let listed = tenants.list_tenants(px::ListTenantsRequest::default()).await.unwrap().into_inner();
    assert!(listed.tenants.is_empty(), "ListTenants shows another tenant's data: {:?}", listed.tenants);
    let mut all =
        px::tenant_service_client::TenantServiceClient::new(platform.connect(Service::PixiSync).await.unwrap());
    let listed = all.list_tenants(px::ListTenantsRequest::default()).await.unwrap().into_inner();
    assert!(listed.tenants.iter().any(|t| t.tenant_id == seed.pixi.tenant_id), "the platform caller sees the tenant");

    // terminal-gateway: complete, valid requests (the platform caller's same request succeeds).
    let set = tg::SetNetsCredentialsRequest {
        tenant_id: seed.terminal_tenant.clone(),
        username: "intruder".into(),
        password: "intruder-password".into(),
        verify: false,
    };
    let mut terminals = tg::terminal_service_client::TerminalServiceClient::new(
        platform.connect_as(Service::TerminalGateway, &tokens.elsewhere).await.unwrap(),
    );
    let refused = terminals.set_nets_credentials(set.clone()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "SetNetsCredentials for another tenant: {refused:?}");
    let listed = terminals
        .list_terminals(tg::ListTerminalsRequest { tenant_id: seed.terminal_tenant.clone(), with_status: false })
        .await
        .unwrap_err();
    assert_eq!(listed.code(), tonic::Code::PermissionDenied, "ListTerminals of another tenant");

    // invoice-checks: SwissBilling names its tenant in the order or reads it from the transaction.
    let mut sb = ic::swiss_billing_service_client::SwissBillingServiceClient::new(
        platform.connect_as(Service::InvoiceChecks, &tokens.elsewhere).await.unwrap(),
    );
    let pre = sb.preflight(ic::PreflightRequest { tenant: "shop-ch".into() }).await.unwrap_err();
    assert_eq!(pre.code(), tonic::Code::PermissionDenied, "SwissBilling Preflight of another tenant");
    let order = ic::InvoiceOrder { tenant: "shop-ch".into(), order_id: "o-1".into(), ..Default::default() };
    let check = sb.check_order(ic::CheckOrderRequest { order: Some(order) }).await.unwrap_err();
    assert_eq!(check.code(), tonic::Code::PermissionDenied, "CheckOrder for another tenant");
    let unknown = sb.get_transaction(ic::GetTransactionRequest { order_id: "o-unknown".into() }).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound, "an order the caller may not see answers as an unknown one");

    let after = tools::db_snapshot(&env.database_url, NOT_COMPARED).await;
    let changed: Vec<&String> = before.keys().filter(|t| before.get(*t) != after.get(*t)).collect();

    println!("| method | another tenant | the caller's own tenant |\n|---|---|---|\n{}", table.join("\n"));
    println!("tenant-scoped methods covered: {covered}");
    assert!(leaks.is_empty(), "tenant isolation broken:\n{}", leaks.join("\n"));
    assert!(changed.is_empty(), "refused calls changed tables: {changed:?}");
    // The platform's own credential still may act for the tenant: the request above was valid.
    let mut mine = tg::terminal_service_client::TerminalServiceClient::new(
        platform.connect(Service::TerminalGateway).await.unwrap(),
    );
    mine.set_nets_credentials(set).await.expect("the same request by a caller for every tenant");
    let unclean = platform.stop_all().await;
    assert!(unclean.is_empty(), "every service exits 0 on SIGTERM: {unclean:?}");
}
