//! Deactivation of a product, by an admin.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, no_content, path_id};

shared::state! {
    /// The catalog and the admin gate.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn delete(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.admin(&request).await?;
    let id = path_id(&request, "id")?;
    s.catalog
        .deactivate(&admin, &id, shared::clock::now())
        .await?;
    no_content()
}

#[cfg(test)]
mod tests;
