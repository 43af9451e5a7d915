//! One order: its owner's, or any for an admin; anyone else is told there is none.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::{HandlerResult, auth, json, path_id};
use shared::orders::service::Orders;

pub async fn get(
    orders: &Orders,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::confirmed(&request, verifier, accounts).await?;
    let id = path_id(&request, "id")?;
    json(StatusCode::OK, &orders.get(&principal, &id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-get/get.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let orders = testing::orders().await;
        testing::call(event, |r| get(&orders, &accounts, keys.verifier(), r))
            .await
            .0
    }

    #[tokio::test]
    async fn a_token_is_needed_and_an_id_that_cannot_be_one_is_a_404() {
        assert_eq!(call(SAMPLE).await, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(call(&signed_in).await, 503);
        assert_eq!(
            call(&testing::with_path_parameter(&signed_in, "id", "nope")).await,
            404
        );
    }
}
