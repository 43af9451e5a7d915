//! A zone made (201) or replaced (200) whole; a region another zone ships to is 409.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, body, json, path_value};
use shared::shop::Shop;
use shared::shop::model::{NewZone, Slug};
use shared::shop::service::Put;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn put(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let id: Slug = path_value(&request, "zone_id")?;
    let zone: NewZone = body(&request)?;
    let now = shared::clock::now();
    let (put, zone) = s.shop.put_zone(&admin, &id, zone, now).await?;
    let status = match put {
        Put::Created => StatusCode::CREATED,
        Put::Replaced => StatusCode::OK,
    };
    json(status, &serde_json::json!({ "zone": zone }))
}

#[cfg(test)]
mod tests;
