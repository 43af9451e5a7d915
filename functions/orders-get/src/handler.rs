//! One order: its owner's, any for an admin, or a guest's with its `Order-Token`; anyone else
//! is told there is none.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::{Gate, has_credentials};
use shared::http::{HandlerResult, header_str, json, path_id};
use shared::orders::guest::TOKEN_HEADER;
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the gate (owners, and admins confirmed).
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    if !has_credentials(&request)
        && let Some(token) = header_str(&request, TOKEN_HEADER)
    {
        let id = path_id(&request, "id")?;
        return json(StatusCode::OK, &s.orders.get_with_token(&id, token).await?);
    }
    let caller = s.gate.confirmed(&request).await?;
    let id = path_id(&request, "id")?;
    json(StatusCode::OK, &s.orders.get(&caller, &id).await?)
}

#[cfg(test)]
mod tests;
