//! One order: its owner's, or any for an admin; anyone else is told there is none.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the gate (owners, and admins confirmed).
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let caller = s.gate.confirmed(&request).await?;
    let id = path_id(&request, "id")?;
    json(StatusCode::OK, &s.orders.get(&caller, &id).await?)
}

#[cfg(test)]
mod tests;
