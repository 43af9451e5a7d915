//! The catalog listing: query parameters in, one page out.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::catalog::service::ListParams;
use shared::error::ApiError;
use shared::etag;
use shared::http::auth::OptionalGate;
use shared::http::{HandlerResult, PageRequest, cacheable_json, query_param};

shared::state! {
    /// The catalog, and the gate that lets an admin list inactive products.
    pub struct State { catalog: Catalog, gate: OptionalGate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let caller = s.gate.principal(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let params = ListParams {
        category: query_param(&request, "category")?,
        q: query_param(&request, "q")?,
        sort: query_param(&request, "sort")?,
        min_price: query_param(&request, "min_price")?,
        max_price: query_param(&request, "max_price")?,
        include_inactive: query_param::<bool>(&request, "include_inactive")?.unwrap_or(false),
        limit: page.limit,
        cursor: page.cursor,
    };
    let now = shared::clock::now();
    let found = s.catalog.list(caller.as_ref(), s.gate.keys(), params, now);
    let tagged = etag::Tagged::of(&found.await?).map_err(ApiError::internal)?;
    cacheable_json(&request, tagged)
}

#[cfg(test)]
mod tests;
