//! The shop's orders for its admins: all of them, or `?status=` one state.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, PageRequest, auth, json, query_param};
use shared::orders::service::Orders;
use shared::orders::state::OrderStatus;
use shared::secrets::Keys;

pub async fn list(
    orders: &Orders,
    accounts: &Accounts,
    keys: &Keys,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, keys.verifier(), accounts).await?;
    let page = PageRequest::from_request(&request)?;
    let status = query_param::<OrderStatus>(&request, "status")?;
    let found = orders
        .list_all(
            &admin,
            status,
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
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-orders-list/list.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let orders = testing::orders().await;
        testing::call(event, |r| list(&orders, &accounts, &keys, r))
            .await
            .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
