//! An order's timeline: its moves, payments, refunds, returns and emails.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the gate of the shop's routes.
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn timeline(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    json(StatusCode::OK, &s.orders.timeline(&staff, &id).await?)
}

#[cfg(test)]
mod tests;
