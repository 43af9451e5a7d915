//! A quote, priced by the function that prices orders.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::OptionalGate;
use shared::http::{HandlerResult, body, json};
use shared::orders::model::QuoteRequest;
use shared::orders::service::Orders;

shared::state! {
    /// The orders (whose pricing the quote is) and the gate that reads a customer's token, if
    /// one is sent (a customer's own uses of a code count).
    pub struct State { orders: Orders, gate: OptionalGate }
}

pub async fn quote(s: &State, request: Request) -> HandlerResult {
    let customer = s.gate.principal(&request).await?;
    let wanted: QuoteRequest = body(&request)?;
    let now = shared::clock::now();
    let quote = s.orders.quote(customer.as_ref(), wanted, now).await?;
    json(StatusCode::OK, &quote)
}

#[cfg(test)]
mod tests;
