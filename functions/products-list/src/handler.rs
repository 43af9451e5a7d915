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
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-list/list.json");

    async fn call(query: &str) -> (u16, serde_json::Value) {
        testing::call(&testing::with_query(SAMPLE, query), list).await
    }

    #[tokio::test]
    async fn the_listing_checks_its_parameters_before_it_queries_the_index() {
        // The sample queries the index and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, list).await.0, 503);
        // The largest page is asked of the table without a panic.
        // Before the fix, a filtered listing of 100 computed `(101 * 2).clamp(101, 100)`.
        assert_eq!(call("limit=100&category=mugs").await.0, 503);
        // Inactive products need a token and a bad limit is named.
        let (status, body) = call("include_inactive=true").await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        let (status, body) = call("limit=101").await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (400, Some("limit"))
        );
    }
}
