//! The caller's own orders, a page at a time.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::principal;
use shared::http::{HandlerResult, PageRequest, json};
use shared::orders::service::Orders;
use shared::secrets::Keys;

shared::state! {
    /// The orders, and the keys that check the token and seal the cursors.
    pub struct State { orders: Orders, keys: Keys }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let caller = principal(&request, s.keys.verifier())?;
    let page = PageRequest::from_request(&request)?;
    let now = shared::clock::now();
    let found = s.orders.list_mine(&caller, page, &s.keys, now).await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-list/list.json");

    #[tokio::test]
    async fn only_a_signed_in_caller_reads_and_a_garbled_cursor_is_a_400() {
        assert_eq!(testing::call(SAMPLE, list).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, list).await.0, 503);
        let garbled = testing::with_query(&signed_in, "limit=20&cursor=AAAA");
        let (status, problem) = testing::call(&garbled, list).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_cursor"))
        );
    }
}
