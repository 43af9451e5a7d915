//! Deactivation of a product, by staff.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, no_content, path_id};

shared::state! {
    /// The catalog and the gate of the shop's routes.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn delete(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    s.catalog
        .deactivate(&staff, &id, shared::clock::now())
        .await?;
    no_content()
}

#[cfg(test)]
mod tests;
