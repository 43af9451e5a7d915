//! The shop's orders for its staff: all of them, or `?status=` one state.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json, query_param};
use shared::orders::service::Orders;
use shared::orders::state::OrderStatus;

shared::state! {
    /// The orders and the gate of the shop's routes.
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let status = query_param::<OrderStatus>(&request, "status")?;
    let now = shared::clock::now();
    let found = s.orders.list_all(&staff, status, page, s.gate.keys(), now);
    json(StatusCode::OK, &found.await?)
}

#[cfg(test)]
mod tests;
