//! Deactivation of a product, by an admin.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::{HandlerResult, no_content, path_param};

pub async fn delete(catalog: &Catalog, request: Request) -> HandlerResult {
    catalog.admin(&request).await?;
    catalog
        .deactivate(path_param(&request, "id")?, shared::clock::now())
        .await?;
    no_content()
}
