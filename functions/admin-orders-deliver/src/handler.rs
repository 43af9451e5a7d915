//! A shipped order arrived: `delivered`.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, path_id};
use shared::idempotency::Caller;
use shared::orders::service::Orders;

pub async fn deliver(
    orders: &Orders,
    accounts: &Accounts,
    idempotent: &Idempotent,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::admin(&request, verifier, accounts).await?;
    let id = path_id(&request, "id")?;
    let caller = Caller::User(&principal.user_id);
    idempotent
        .run(request, caller, KeyRule::Honoured, |_| async move {
            let delivered = orders.deliver(&id, shared::clock::now()).await?;
            json(StatusCode::OK, &delivered)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-orders-deliver/deliver.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let (orders, idempotent) = (testing::orders().await, testing::idempotent().await);
        testing::call(event, |r| {
            deliver(&orders, &accounts, &idempotent, keys.verifier(), r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
