//! Changes to a variant: its SKU, options, price, weight, image or whether it is sold.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::variants::VariantFields;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, body, json, path_id};

shared::state! {
    /// The catalog and the gate of the shop's routes.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn update(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let product = path_id(&request, "id")?;
    let variant = path_id(&request, "variant_id")?;
    let fields: VariantFields = body(&request)?;
    let now = shared::clock::now();
    let updated = s
        .catalog
        .update_variant(&staff, &product, &variant, fields, now)
        .await?;
    json(StatusCode::OK, &updated)
}

#[cfg(test)]
mod tests;
