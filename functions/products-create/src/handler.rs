//! A new product, from an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::catalog::service::product_response;
use shared::http::{HandlerResult, json_body};

pub async fn create(catalog: &Catalog, request: Request) -> HandlerResult {
    catalog.admin(&request).await?;
    let fields: ProductFields = json_body(&request)?;
    let product = catalog.create(fields, shared::clock::now()).await?;
    product_response(StatusCode::CREATED, product)
}
