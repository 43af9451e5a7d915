//! A checkout: the order, its stock and its payment, once per Idempotency-Key.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, json_body};
use shared::idempotency::Caller;
use shared::orders::model::NewOrder;
use shared::orders::service::Orders;
use shared::payments::PaymentProvider;

pub async fn create(
    orders: &Orders,
    payments: &impl PaymentProvider,
    idempotent: &Idempotent,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::principal(&request, verifier)?;
    let principal = &principal;
    let caller = Caller::User(&principal.user_id);
    idempotent
        .run(request, caller, KeyRule::Required, |request| async move {
            let order: NewOrder = json_body(&request, NewOrder::REQUIRED)?;
            let placed = orders
                .checkout(principal, order, payments, shared::clock::now())
                .await?;
            json(StatusCode::CREATED, &placed)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-create/create.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (orders, idempotent) = (testing::orders().await, testing::idempotent().await);
        let (stripe, keys) = (testing::stripe(), testing::keys());
        testing::call(event, |r| {
            create(&orders, &stripe, &idempotent, keys.verifier(), r)
        })
        .await
    }

    #[tokio::test]
    async fn a_checkout_needs_a_token_and_an_idempotency_key() {
        assert_eq!(call(SAMPLE).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        let without_key = signed_in.replace("\"idempotency-key\"", "\"x-unused\"");
        let (status, problem) = call(&without_key).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("idempotency_key_required"))
        );
    }

    #[tokio::test]
    async fn with_both_the_key_is_claimed_first_and_an_unreachable_table_is_a_503() {
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(call(&signed_in).await.0, 503);
    }
}
