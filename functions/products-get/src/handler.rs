//! One product; its `ETag` is the one `PATCH` compares `If-Match` with.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::catalog::service::ProductEnvelope;
use shared::http::{HandlerResult, cacheable_json, etag, path_param};

pub async fn get(catalog: &Catalog, request: Request) -> HandlerResult {
    let principal = catalog.optional_principal(&request).await?;
    let product = catalog
        .get(principal.as_ref(), path_param(&request, "id")?)
        .await?;
    cacheable_json(&request, &etag(&product), &ProductEnvelope { product })
}
