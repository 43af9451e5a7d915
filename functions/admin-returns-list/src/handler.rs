//! The returns for the shop's staff, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json, query_param};
use shared::orders::returns::ReturnStatus;
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the gate of the shop's routes.
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let status = query_param::<ReturnStatus>(&request, "status")?;
    let now = shared::clock::now();
    let found = s
        .orders
        .list_returns(&staff, status, page, s.gate.keys(), now);
    json(StatusCode::OK, &found.await?)
}

#[cfg(test)]
mod tests;
