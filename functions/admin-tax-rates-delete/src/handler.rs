//! The rate gone (204), or 404.

use lambda_http::Request;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, no_content, path_value};
use shared::shop::Shop;
use shared::shop::regions::Region;

shared::state! {
    /// The shop's settings and the gate of the admins' routes.
    pub struct State { shop: Shop, gate: Gate }
}

pub async fn delete(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let region: Region = path_value(&request, "region")?;
    s.shop
        .delete_rate(&admin, &region, shared::clock::now())
        .await?;
    no_content()
}

#[cfg(test)]
mod tests;
