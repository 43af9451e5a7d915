//! A new product, from staff.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json_with_etag};

shared::state! {
    /// The catalog, the gate of the shop's routes and the idempotency keys.
    pub struct State { catalog: Catalog, gate: Gate, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let create = async |fields: ProductFields, now| {
        json_with_etag(
            StatusCode::CREATED,
            s.catalog.create(&staff, fields, now).await?.tagged()?,
        )
    };
    s.idempotent.post(request, (&staff).into(), create).await
}

#[cfg(test)]
mod tests;
