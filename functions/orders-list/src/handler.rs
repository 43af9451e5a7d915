//! The caller's own orders, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::{HandlerResult, PageRequest, auth, json};
use shared::orders::service::Orders;
use shared::secrets::Keys;

pub async fn list(orders: &Orders, keys: &Keys, request: Request) -> HandlerResult {
    let principal = auth::principal(&request, keys.verifier())?;
    let page = PageRequest::from_request(&request)?;
    let found = orders
        .list_mine(
            &principal,
            page.limit,
            page.cursor.as_deref(),
            keys,
            shared::clock::now(),
        )
        .await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-list/list.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (orders, keys) = (testing::orders().await, testing::keys());
        testing::call(event, |r| list(&orders, &keys, r)).await
    }

    #[tokio::test]
    async fn only_a_signed_in_caller_reads_and_a_garbled_cursor_is_a_400() {
        assert_eq!(call(SAMPLE).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(call(&signed_in).await.0, 503);
        let mut garbled: serde_json::Value = serde_json::from_str(&signed_in).unwrap();
        garbled["queryStringParameters"]["cursor"] = "AAAA".into();
        garbled["rawQueryString"] = "limit=20&cursor=AAAA".into();
        let garbled = garbled.to_string();
        let (status, problem) = call(&garbled).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_cursor"))
        );
    }
}
