//! The zone gone (204), or 404.

use lambda_http::Request;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, no_content, path_value};
use shared::shop::Shop;
use shared::shop::model::Slug;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn delete(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let id: Slug = path_value(&request, "zone_id")?;
    s.shop
        .delete_zone(&admin, &id, shared::clock::now())
        .await?;
    no_content()
}

#[cfg(test)]
mod tests;
