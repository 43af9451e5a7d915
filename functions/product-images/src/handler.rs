//! A presigned upload for a new product image, for staff.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::model::NewImage;
use shared::catalog::{Catalog, Uploads};
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};

shared::state! {
    /// The catalog, the uploads bucket it presigns for, the gate of the shop's routes and the keys.
    pub struct State { catalog: Catalog, uploads: Uploads, gate: Gate, idempotent: Idempotent }
}

pub async fn add_image(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let product_id = path_id(&request, "id")?;
    let presign = async |image: NewImage, now| {
        json(
            StatusCode::CREATED,
            &s.catalog
                .add_image(&staff, &s.uploads, &product_id, image, now)
                .await?,
        )
    };
    s.idempotent.post(request, (&staff).into(), presign).await
}

#[cfg(test)]
mod tests;
