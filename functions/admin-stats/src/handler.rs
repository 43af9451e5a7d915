//! The dashboard's figures: orders and revenue today, every order by status, low stock.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::catalog::Catalog;
use shared::http::{HandlerResult, auth, json};
use shared::orders::service::Orders;

pub async fn stats(
    orders: &Orders,
    catalog: &Catalog,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    let (figures, low_stock) = tokio::try_join!(
        orders.stats(&admin, shared::clock::now()),
        catalog.low_stock(&admin)
    )?;
    json(
        StatusCode::OK,
        &serde_json::json!({
            "orders_today": figures.orders_today,
            "revenue_today_cents": figures.revenue_today_cents,
            "orders_by_status": figures.orders_by_status,
            "low_stock": low_stock,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-stats/get.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let (orders, catalog) = (testing::orders().await, testing::catalog().await);
        testing::call(event, |r| {
            stats(&orders, &catalog, &accounts, keys.verifier(), r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
