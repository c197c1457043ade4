//! Admin routes under `/admin/pixi`: API users, payment methods and booking events, seeding
//! orders, acting as the pixi users (ship, cancel, return, close, mark paid, merge, lock) and
//! reading back orders, customers, the change feed and quiet-window calls.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::de::DeserializeOwned;

use super::erp::ErpError;
use super::handlers::local_now;
use super::model::{BookingEvent, Change, Install, PaymentMethod, QuietCall};
use super::types::{
    Cancel, ColumnRef, CreateUser, CreditNoteRequest, CustomerView, DocView, LockRequest, ManualInvoice, Merge,
    OrderSummary, OrderView, SeedOrder, Ship, Switches, SwitchesView, UserOptions, UserView,
};
use super::{defaults, views};
use crate::admin::AdminError;
use crate::shared::Shared;

type Res<T> = Result<Json<T>, AdminError>;

/// The admin router (nested under `/admin/pixi`).
pub fn admin(shared: Shared) -> Router {
    Router::new()
        .route("/users", get(list_users).post(create_user))
        .route("/users/{user}", get(get_user).post(update_user))
        .route("/users/{user}/payment-methods", post(add_payment_method))
        .route("/users/{user}/switches", get(get_switches).post(set_switches))
        .route("/users/{user}/booking-events", post(add_booking_event))
        .route("/users/{user}/orders", get(list_orders).post(seed_order))
        .route("/users/{user}/orders/{nr}", get(get_order))
        .route("/users/{user}/orders/{nr}/release", post(release))
        .route("/users/{user}/orders/{nr}/ship", post(ship))
        .route("/users/{user}/orders/{nr}/cancel", post(cancel))
        .route("/users/{user}/orders/{nr}/credit-note", post(credit_note))
        .route("/users/{user}/orders/{nr}/manual-invoice", post(manual_invoice))
        .route("/users/{user}/orders/{nr}/close", post(close))
        .route("/users/{user}/orders/{nr}/merge", post(merge))
        .route("/users/{user}/orders/{nr}/lock", post(lock))
        .route("/users/{user}/invoices/{invoice_nr}/ship-out", post(ship_out))
        .route("/users/{user}/invoices/{invoice_nr}/mark-paid", post(mark_paid))
        .route("/users/{user}/customers/{cust_key}", get(get_customer))
        .route("/users/{user}/changes", get(changes))
        .route("/users/{user}/quiet-window-calls", get(quiet_calls))
        .with_state(shared)
}

fn body<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| AdminError::bad("body", e))
}

fn erp(e: ErpError) -> AdminError {
    match e {
        ErpError::NotFound(m) => AdminError::not_found(m),
        ErpError::Conflict(m) => AdminError(StatusCode::CONFLICT, m),
        ErpError::Invalid(m) => AdminError(StatusCode::BAD_REQUEST, m),
    }
}

fn tz(name: Option<&str>) -> Result<Tz, AdminError> {
    name.unwrap_or("Europe/Berlin").parse().map_err(|_| AdminError::bad("timezone", "unknown IANA time zone"))
}

/// Runs `f` on the installation of `user` with its local time.
fn with<T>(
    shared: &Shared,
    user: &str,
    f: impl FnOnce(&mut Install, NaiveDateTime) -> Result<T, AdminError>,
) -> Result<T, AdminError> {
    let mut state = Shared::lock(&shared.0.pixi);
    let install = state.installs.get_mut(user).ok_or_else(|| AdminError::not_found(format!("pixi API user {user}")))?;
    let now = local_now(shared, install.tz);
    f(install, now)
}

fn user_view(i: &Install) -> UserView {
    UserView {
        user: i.user.clone(),
        timezone: i.tz.name().to_owned(),
        enforce_quiet_window: i.enforce_quiet_window,
        payment_methods: i.payment_methods.values().cloned().collect(),
        booking_events: i.booking_events.values().cloned().collect(),
        orders: i.orders.len(),
    }
}

fn order(i: &Install, nr: i64) -> Result<OrderView, AdminError> {
    i.orders.get(&nr).map(|o| views::order_view(i, o)).ok_or_else(|| AdminError::not_found(format!("order {nr}")))
}

fn doc_key(i: &Install, nr: &str) -> Result<i64, AdminError> {
    i.doc_by_nr(nr).map(|d| d.key).ok_or_else(|| AdminError::not_found(format!("invoice {nr}")))
}

fn doc(i: &Install, key: i64) -> Result<DocView, AdminError> {
    i.docs.get(&key).map(views::doc_view).ok_or_else(|| AdminError::not_found(format!("invoice {key}")))
}

async fn list_users(State(s): State<Shared>) -> Json<Vec<UserView>> {
    Json(Shared::lock(&s.0.pixi).installs.values().map(user_view).collect())
}

async fn create_user(State(s): State<Shared>, b: Bytes) -> Result<(StatusCode, Json<UserView>), AdminError> {
    let req: CreateUser = body(&b)?;
    if req.user.is_empty() || req.user.contains([':', '/']) {
        return Err(AdminError::bad("user", "must be non-empty without ':' or '/'"));
    }
    let mut install = Install::new(&req.user, &req.password, tz(req.timezone.as_deref())?);
    install.enforce_quiet_window = req.enforce_quiet_window;
    if !req.no_defaults {
        defaults::install(&mut install);
    }
    let mut state = Shared::lock(&s.0.pixi);
    if state.installs.contains_key(&req.user) {
        return Err(AdminError(StatusCode::CONFLICT, format!("user: {} already exists", req.user)));
    }
    let view = user_view(&install);
    state.installs.insert(req.user, install);
    Ok((StatusCode::CREATED, Json(view)))
}

async fn get_user(State(s): State<Shared>, Path(user): Path<String>) -> Res<UserView> {
    with(&s, &user, |i, _| Ok(Json(user_view(i))))
}

async fn update_user(State(s): State<Shared>, Path(user): Path<String>, b: Bytes) -> Res<UserView> {
    let req: UserOptions = body(&b)?;
    let zone = req.timezone.as_deref().map(|t| tz(Some(t))).transpose()?;
    with(&s, &user, |i, _| {
        if let Some(p) = req.password {
            i.password = p;
        }
        if let Some(z) = zone {
            i.tz = z;
        }
        if let Some(q) = req.enforce_quiet_window {
            i.enforce_quiet_window = q;
        }
        Ok(Json(user_view(i)))
    })
}

async fn add_payment_method(State(s): State<Shared>, Path(user): Path<String>, b: Bytes) -> Res<UserView> {
    let m: PaymentMethod = serde_json::from_slice(&b).map_err(|e| AdminError::bad("body", e))?;
    if m.code.trim().is_empty() {
        return Err(AdminError::bad("code", "must not be empty"));
    }
    with(&s, &user, |i, _| {
        i.payment_methods.insert(m.code.clone(), m);
        Ok(Json(user_view(i)))
    })
}

fn switches_view(i: &Install) -> SwitchesView {
    SwitchesView {
        revision: i.revision.clone(),
        uninstalled: i.uninstalled.iter().cloned().collect(),
        dropped_columns: i
            .dropped_columns
            .iter()
            .map(|(call, column)| ColumnRef { call: call.clone(), column: column.clone() })
            .collect(),
        sql_errors: i.sql_errors.clone(),
        refusals: i.refusals.clone(),
    }
}

async fn get_switches(State(s): State<Shared>, Path(user): Path<String>) -> Res<SwitchesView> {
    with(&s, &user, |i, _| Ok(Json(switches_view(i))))
}

async fn set_switches(State(s): State<Shared>, Path(user): Path<String>, b: Bytes) -> Res<SwitchesView> {
    let req: Switches = body(&b)?;
    if let Some(r) = &req.revision
        && super::params::revision(r).is_none()
    {
        return Err(AdminError::bad("revision", "a dotted version such as 23.3.0.36397"));
    }
    with(&s, &user, |i, _| {
        if let Some(r) = req.revision {
            i.revision = r;
        }
        i.uninstalled.extend(req.uninstall);
        for c in &req.reinstall {
            i.uninstalled.remove(c);
        }
        if req.restore_columns {
            i.dropped_columns.clear();
        }
        i.dropped_columns.extend(req.drop_columns.into_iter().map(|c| (c.call, c.column)));
        i.sql_errors.extend(req.sql_errors);
        i.refusals.extend(req.refusals);
        Ok(Json(switches_view(i)))
    })
}

async fn add_booking_event(State(s): State<Shared>, Path(user): Path<String>, b: Bytes) -> Res<UserView> {
    let e: BookingEvent = serde_json::from_slice(&b).map_err(|e| AdminError::bad("body", e))?;
    if e.event_id.is_empty() || e.event_id.chars().count() > 3 {
        return Err(AdminError::bad("event_id", "1 to 3 characters"));
    }
    if e.sign != 1 && e.sign != -1 {
        return Err(AdminError::bad("sign", "must be 1 (incoming) or -1 (refund)"));
    }
    with(&s, &user, |i, _| {
        i.booking_events.insert(e.event_id.clone(), e);
        Ok(Json(user_view(i)))
    })
}

async fn list_orders(State(s): State<Shared>, Path(user): Path<String>) -> Res<Vec<OrderSummary>> {
    with(&s, &user, |i, _| Ok(Json(i.orders.values().map(views::summary).collect())))
}

async fn seed_order(
    State(s): State<Shared>,
    Path(user): Path<String>,
    b: Bytes,
) -> Result<(StatusCode, Json<OrderView>), AdminError> {
    let req: SeedOrder = serde_json::from_slice(&b).map_err(|e| AdminError::bad("body", e))?;
    with(&s, &user, |i, now| {
        let nr = i.seed_order(&req, now).map_err(erp)?;
        Ok((StatusCode::CREATED, Json(order(i, nr)?)))
    })
}

async fn get_order(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>) -> Res<OrderView> {
    with(&s, &user, |i, _| Ok(Json(order(i, nr)?)))
}

async fn release(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>) -> Res<OrderView> {
    with(&s, &user, |i, now| {
        i.release(nr, now).map_err(erp)?;
        Ok(Json(order(i, nr)?))
    })
}

async fn ship(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<DocView> {
    let req: Ship = body(&b)?;
    with(&s, &user, |i, now| {
        let key = i.ship(nr, req.lines.as_deref(), req.shipped, req.ignore_lock, now).map_err(erp)?;
        Ok(Json(doc(i, key)?))
    })
}

async fn cancel(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<OrderView> {
    let req: Cancel = body(&b)?;
    with(&s, &user, |i, now| {
        i.cancel(nr, req.lines.as_deref(), req.status, now).map_err(erp)?;
        Ok(Json(order(i, nr)?))
    })
}

async fn credit_note(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<DocView> {
    let req: CreditNoteRequest = body(&b)?;
    with(&s, &user, |i, now| {
        let key = i.credit_note(nr, &req.lines, req.amount_minor, req.auto_paid, now).map_err(erp)?;
        Ok(Json(doc(i, key)?))
    })
}

async fn manual_invoice(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<DocView> {
    let req: ManualInvoice = body(&b)?;
    with(&s, &user, |i, now| {
        let key = i.manual_invoice(nr, req.amount_minor, now).map_err(erp)?;
        Ok(Json(doc(i, key)?))
    })
}

async fn close(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>) -> Res<OrderView> {
    with(&s, &user, |i, now| {
        i.close(nr, now).map_err(erp)?;
        Ok(Json(order(i, nr)?))
    })
}

async fn merge(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<OrderView> {
    let req: Merge = body(&b)?;
    with(&s, &user, |i, now| {
        i.merge(nr, req.with, now).map_err(erp)?;
        Ok(Json(order(i, nr)?))
    })
}

async fn lock(State(s): State<Shared>, Path((user, nr)): Path<(String, i64)>, b: Bytes) -> Res<OrderView> {
    let req: LockRequest = body(&b)?;
    with(&s, &user, |i, now| {
        let who = req.user.as_deref().unwrap_or("ADMIN");
        i.set_lock(nr, req.locked, req.reason.as_deref(), who, now).map_err(erp)?;
        Ok(Json(order(i, nr)?))
    })
}

async fn ship_out(State(s): State<Shared>, Path((user, nr)): Path<(String, String)>) -> Res<DocView> {
    with(&s, &user, |i, now| {
        let key = doc_key(i, &nr)?;
        i.ship_out(key, now).map_err(erp)?;
        Ok(Json(doc(i, key)?))
    })
}

async fn mark_paid(State(s): State<Shared>, Path((user, nr)): Path<(String, String)>) -> Res<DocView> {
    with(&s, &user, |i, now| {
        let key = doc_key(i, &nr)?;
        i.mark_paid(key, now).map_err(erp)?;
        Ok(Json(doc(i, key)?))
    })
}

async fn get_customer(State(s): State<Shared>, Path((user, key)): Path<(String, i64)>) -> Res<CustomerView> {
    with(&s, &user, |i, _| {
        views::customer_view(i, key).map(Json).ok_or_else(|| AdminError::not_found(format!("customer {key}")))
    })
}

async fn changes(State(s): State<Shared>, Path(user): Path<String>) -> Res<Vec<Change>> {
    with(&s, &user, |i, _| Ok(Json(i.changes.clone())))
}

async fn quiet_calls(State(s): State<Shared>, Path(user): Path<String>) -> Res<Vec<QuietCall>> {
    with(&s, &user, |i, _| Ok(Json(i.quiet_calls.clone())))
}
