//! Changes to a product, from staff; `If-Match` makes them conditional.

use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, header_str, json_body, json_with_etag, path_id};

shared::state! {
    /// The catalog and the gate of the shop's routes.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn update(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    // Any subset of a new product's fields.
    let fields: ProductFields = json_body(&request, &[])?;
    let if_match = header_str(&request, header::IF_MATCH);
    let now = shared::clock::now();
    let product = s.catalog.update(&staff, &id, fields, if_match, now).await?;
    json_with_etag(StatusCode::OK, product.tagged()?)
}

#[cfg(test)]
mod tests;
