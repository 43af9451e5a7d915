//! Changes to a product, from an admin; `If-Match` makes them conditional.

use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::catalog::service::product_response;
use shared::http::{HandlerResult, header_str, json_body, path_param};

pub async fn update(catalog: &Catalog, request: Request) -> HandlerResult {
    catalog.admin(&request).await?;
    let id = path_param(&request, "id")?;
    let fields: ProductFields = json_body(&request)?;
    let if_match = header_str(&request, header::IF_MATCH);
    let product = catalog
        .update(id, fields, if_match, shared::clock::now())
        .await?;
    product_response(StatusCode::OK, product)
}
