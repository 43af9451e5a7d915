//! One product; its `ETag` is the one `PATCH` compares `If-Match` with.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::auth::OptionalGate;
use shared::http::{HandlerResult, cacheable_json, path_id};

shared::state! {
    /// The catalog, and the gate that lets an admin see an inactive product.
    pub struct State { catalog: Catalog, gate: OptionalGate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let id = path_id(&request, "id")?;
    let caller = s.gate.principal(&request).await?;
    let product = s.catalog.get(caller.as_ref(), &id).await?;
    cacheable_json(&request, product.tagged()?)
}

#[cfg(test)]
mod tests;
