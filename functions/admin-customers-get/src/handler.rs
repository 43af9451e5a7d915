//! One customer's page: the account and its latest orders.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;

/// How many of the customer's orders the page shows.
const LATEST: usize = 20;

shared::state! {
    /// The orders, and the gate of the shop's routes, whose accounts are read.
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let customer = s.gate.accounts().customer(&staff, &id).await?;
    let orders = s.orders.latest_of(&staff, &id, LATEST).await?;
    let page = serde_json::json!({ "customer": customer, "orders": orders });
    json(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests;
