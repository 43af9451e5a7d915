//! The rate set.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, body, json, path_value};
use shared::shop::Shop;
use shared::shop::model::NewTaxRate;
use shared::shop::regions::Region;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn put(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let region: Region = path_value(&request, "region")?;
    let rate: NewTaxRate = body(&request)?;
    let rate = s
        .shop
        .put_rate(&admin, &region, rate, shared::clock::now())
        .await?;
    json(StatusCode::OK, &serde_json::json!({ "tax_rate": rate }))
}

#[cfg(test)]
mod tests;
