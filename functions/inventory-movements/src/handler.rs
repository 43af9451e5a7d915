//! A variant's movements, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json, path_id};

shared::state! {
    /// The catalog, and the gate that lets only staff and admins read the ledger.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let variant = path_id(&request, "variant_id")?;
    let page = PageRequest::from_request(&request)?;
    let now = shared::clock::now();
    let found = s
        .catalog
        .movements(&staff, &variant, page, s.gate.keys(), now)
        .await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests;
