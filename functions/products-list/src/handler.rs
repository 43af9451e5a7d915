//! The catalog listing: query parameters in, one page out.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::catalog::service::ListParams;
use shared::error::ApiError;
use shared::etag;
use shared::http::{HandlerResult, PageRequest, auth, cacheable_json, query_param};
use shared::secrets::LazyKeys;

pub async fn list(
    catalog: &Catalog,
    accounts: &Accounts,
    keys: &LazyKeys,
    request: Request,
) -> HandlerResult {
    let principal = auth::optional_principal(&request, keys, accounts).await?;
    let page = PageRequest::from_request(&request)?;
    let params = ListParams {
        category: query_param(&request, "category")?,
        q: query_param(&request, "q")?,
        include_inactive: query_param::<bool>(&request, "include_inactive")?.unwrap_or(false),
        limit: page.limit,
        cursor: page.cursor,
    };
    let page = catalog
        .list(principal.as_ref(), keys, params, shared::clock::now())
        .await?;
    cacheable_json(
        &request,
        etag::Tagged::of(&page).map_err(ApiError::internal)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-list/list.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (catalog, accounts) = (testing::catalog().await, testing::accounts().await);
        let keys = LazyKeys::new(&testing::unreachable_sdk().await, &testing::config()).unwrap();
        testing::call(event, |r| list(&catalog, &accounts, &keys, r)).await
    }

    fn with_query(query: &str) -> String {
        let mut event: serde_json::Value = serde_json::from_str(SAMPLE).unwrap();
        let params: serde_json::Map<String, serde_json::Value> = query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        event["rawQueryString"] = query.into();
        event["queryStringParameters"] = params.into();
        event.to_string()
    }

    #[tokio::test]
    async fn the_sample_queries_the_index_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await.0, 503);
    }

    #[tokio::test]
    async fn the_largest_page_is_asked_of_the_table_without_a_panic() {
        // Before the fix, a filtered listing of 100 computed `(101 * 2).clamp(101, 100)`.
        assert_eq!(call(&with_query("limit=100&category=mugs")).await.0, 503);
    }

    #[tokio::test]
    async fn inactive_products_need_a_token_and_a_bad_limit_is_named() {
        let (status, body) = call(&with_query("include_inactive=true")).await;
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
        let (status, body) = call(&with_query("limit=101")).await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (400, Some("limit"))
        );
    }
}
