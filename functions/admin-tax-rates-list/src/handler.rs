//! Every rate, by region.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json};
use shared::shop::Shop;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    json(StatusCode::OK, &s.shop.rates(&admin).await?)
}

#[cfg(test)]
mod tests;
