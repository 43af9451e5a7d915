//! A new product, from an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json_with_etag};

shared::state! {
    /// The catalog, the admin gate and the idempotency keys.
    pub struct State { catalog: Catalog, gate: Gate, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.admin(&request).await?;
    let create = async |fields: ProductFields, now| {
        json_with_etag(
            StatusCode::CREATED,
            s.catalog.create(&admin, fields, now).await?.tagged()?,
        )
    };
    s.idempotent.post(request, (&admin).into(), create).await
}

#[cfg(test)]
mod tests;
