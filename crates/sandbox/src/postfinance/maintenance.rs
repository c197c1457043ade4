//! `POST /ncol/{env}/maintenancedirect.asp`: capture (SAL/SAS), delete authorisation
//! (DEL/DES), refund (RFD/RFS) and renew (REN) on a transaction named by PAYID or ORDERID.
//! Amounts arrive ×100; the answer carries the new PAYIDSUB level and its immediate STATUS
//! (91/61/81 pending, 5 for REN); the rules live in `rules::decide`.

use axum::extract::{Path, Request, State as AxState};
use axum::response::{IntoResponse, Response};

use super::directlink::{find, gate, read};
use super::rules::{apply, decide};
use super::xml::{NcResponse, amount, refused};
use crate::shared::Shared;
use crate::system::System;

const OPERATIONS: [&str; 7] = ["REN", "DEL", "DES", "SAL", "SAS", "RFD", "RFS"];

/// The maintenance endpoint.
pub async fn maintenance(AxState(shared): AxState<Shared>, Path(env): Path<String>, req: Request) -> Response {
    let s = shared.clone();
    shared
        .guard(System::Postfinance, "maintenance", async move {
            let call = match read(&env, req).await {
                Ok(c) => c,
                Err(r) => return r,
            };
            let now = s.now();
            let mut state = Shared::lock(&s.0.postfinance);
            let m = match gate(&state, &call) {
                Ok(m) => m,
                Err(r) => return r.into_response(),
            };
            let p = &call.params;
            let orderid = p.get("ORDERID").unwrap_or_default();
            let Some(op) = p.non_empty("OPERATION").map(str::to_ascii_uppercase) else {
                return refused(orderid, "", "50001111", " no operation", "", "").into_response();
            };
            if !OPERATIONS.contains(&op.as_str()) {
                return refused(orderid, "", "50001111", "invalid operation", "", "").into_response();
            }
            let requested = match p.non_empty("AMOUNT") {
                None => None,
                Some(a) => match a.parse::<i64>() {
                    Ok(n) if n > 0 && a.len() <= 15 => Some(n),
                    _ => {
                        return refused(orderid, "", "50001111", "amount too long or not numeric", "", "")
                            .into_response();
                    }
                },
            };
            let i = match find(&state, call.env, &m, p) {
                Ok(i) => i,
                Err(r) => return r.into_response(),
            };
            let tx = &mut state.transactions[i];
            tx.settle_due(now);
            match decide(tx, &m, &op, requested, now) {
                Err(r) => {
                    let shown = requested.map(amount).unwrap_or_default();
                    refused(&tx.orderid, &tx.payid.to_string(), r.code, &r.plus, &shown, &tx.currency).into_response()
                }
                Ok(a) => {
                    let payidsub = apply(tx, &m, &op, &a, now);
                    NcResponse::default()
                        .attr("orderID", tx.orderid.clone())
                        .attr("PAYID", tx.payid.to_string())
                        .attr("PAYIDSUB", payidsub.to_string())
                        .attr("NCSTATUS", "0")
                        .attr("NCERROR", "0")
                        .attr("NCERRORPLUS", "!")
                        .attr("ACCEPTANCE", tx.acceptance.clone())
                        .attr("STATUS", a.status.to_string())
                        .attr("amount", amount(a.amount))
                        .attr("currency", tx.currency.clone())
                        .attr("PM", tx.pm.clone())
                        .attr("BRAND", tx.brand.clone())
                        .into_response()
                }
            }
        })
        .await
}
