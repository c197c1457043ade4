//! Domain metrics of pixi-sync (OP-04): `payops_` prefix, base units, `_total` counters, no
//! ids in labels. The partner calls themselves are counted by the kit's
//! `payops_external_requests_total{system="pixi"|"unzer"|"smtp", operation, outcome}`.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `payops_pixi_sync_orders_synced_total` | counter | `outcome` (idle, retry, busy, ignored, error) |
//! | `payops_pixi_sync_actions_total` | counter | `action`, `outcome` (succeeded, failed, unknown) |
//! | `payops_pixi_sync_money_moved_minor_total` | counter | `kind` (charge, refund, reversal), `currency` |
//! | `payops_pixi_sync_incidents_total` | counter | `severity` (error, hint) |
//! | `payops_pixi_sync_mails_total` | counter | `outcome` (sent, failed, no_config) |
//! | `payops_pixi_sync_pass_seconds` | histogram | – |
//! | `payops_pixi_sync_passes_total` | counter | `outcome` (ok, quiet_window, backoff, pixi_error, not_leased) |
//! | `payops_pixi_sync_reconciliation_mismatches` | gauge | – (mismatches of the latest runs) |
//! | `payops_pixi_sync_reconciliation_mismatches_total` | counter | `code` |
//! | `payops_pixi_sync_webhooks_total` | counter | `outcome` (accepted, refused) |
//! | `payops_pixi_sync_tenant_incidents_total` | counter | `code` (DISCOVERY_CALL_FAILED, CREDENTIALS_REFUSED, MANDANT_MISMATCH) |
//! | `payops_pixi_sync_tenant_incidents_open` | gauge | `code` (open incidents of tenants' pixi API configurations; alert `PayopsPixiSyncTenantIncident`) |
//! | `payops_pixi_sync_pixi_calls_total` | counter | `tenant` (tenant id: the per-tenant pixi load the issue asks for; tenants are few) |
//! | `payops_pixi_sync_console_requests_total` | counter | `route` (API area or `page`), `status` |
//! | `payops_pixi_sync_console_request_duration_seconds` | histogram | `route` |

/// Orders synced.
pub const ORDERS_SYNCED: &str = "payops_pixi_sync_orders_synced_total";
/// Actions executed.
pub const ACTIONS: &str = "payops_pixi_sync_actions_total";
/// Money moved, in minor units.
pub const MONEY_MOVED: &str = "payops_pixi_sync_money_moved_minor_total";
/// Incidents created.
pub const INCIDENTS: &str = "payops_pixi_sync_incidents_total";
/// Mails.
pub const MAILS: &str = "payops_pixi_sync_mails_total";
/// Pass duration.
pub const PASS_SECONDS: &str = "payops_pixi_sync_pass_seconds";
/// Passes by outcome.
pub const PASSES: &str = "payops_pixi_sync_passes_total";
/// Current mismatches.
pub const MISMATCHES: &str = "payops_pixi_sync_reconciliation_mismatches";
/// Mismatches found.
pub const MISMATCHES_FOUND: &str = "payops_pixi_sync_reconciliation_mismatches_total";
/// Webhooks received.
pub const WEBHOOKS: &str = "payops_pixi_sync_webhooks_total";
/// Console requests.
pub const CONSOLE_REQUESTS: &str = "payops_pixi_sync_console_requests_total";
/// Console request duration.
pub const CONSOLE_SECONDS: &str = "payops_pixi_sync_console_request_duration_seconds";
/// Tenant incidents raised.
pub const TENANT_INCIDENTS: &str = "payops_pixi_sync_tenant_incidents_total";
/// Open tenant incidents.
pub const TENANT_INCIDENTS_OPEN: &str = "payops_pixi_sync_tenant_incidents_open";
/// pixi calls per tenant.
pub const PIXI_CALLS: &str = "payops_pixi_sync_pixi_calls_total";
