//! A shipped order arrived: `delivered`.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;

shared::state! {
    /// The orders, the gate of the shop's routes and the idempotency keys.
    pub struct State { orders: Orders, gate: Gate, idempotent: Idempotent }
}

pub async fn deliver(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let deliver = async |now| json(StatusCode::OK, &s.orders.deliver(&staff, &id, now).await?);
    s.idempotent.act(request, (&staff).into(), deliver).await
}

#[cfg(test)]
mod tests;
