//! The settings as set.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, body, json};
use shared::shop::Shop;
use shared::shop::model::Settings;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn put(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let settings: Settings = body(&request)?;
    let settings = s
        .shop
        .put_settings(&admin, settings, shared::clock::now())
        .await?;
    json(StatusCode::OK, &serde_json::json!({ "settings": settings }))
}

#[cfg(test)]
mod tests;
