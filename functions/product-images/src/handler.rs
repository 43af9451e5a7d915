//! A presigned upload for a new product image, for an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::catalog::Catalog;
use shared::http::{HandlerResult, json, json_body, path_param};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewImage {
    content_type: String,
    content_length: i64,
}

pub async fn add_image(catalog: &Catalog, request: Request) -> HandlerResult {
    catalog.admin(&request).await?;
    let product_id = path_param(&request, "id")?;
    let body: NewImage = json_body(&request)?;
    let upload = catalog
        .add_image(
            product_id,
            &body.content_type,
            body.content_length,
            shared::clock::now(),
        )
        .await?;
    json(StatusCode::CREATED, &upload)
}
