//! The catalog listing: query parameters in, one page out.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::catalog::service::ListParams;
use shared::http::{HandlerResult, PageRequest, cacheable_json, etag, query_param};

pub async fn list(catalog: &Catalog, request: Request) -> HandlerResult {
    let principal = catalog.optional_principal(&request).await?;
    let params = ListParams {
        category: query_param(&request, "category")?,
        q: query_param(&request, "q")?,
        include_inactive: query_param::<bool>(&request, "include_inactive")?.unwrap_or(false),
        page: PageRequest::from_request(&request)?,
    };
    let page = catalog.list(principal.as_ref(), params).await?;
    cacheable_json(&request, &etag(&page), &page)
}
