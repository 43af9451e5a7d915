//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/products-list/list.json");

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
