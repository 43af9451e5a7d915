//! A checkout: the order, its stock and its payment, once per Idempotency-Key.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::principal;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json};
use shared::orders::model::NewOrder;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::secrets::Keys;

shared::state! {
    /// The orders, Stripe for the payment, the keys that check the buyer's token, and the
    /// idempotency keys.
    pub struct State { orders: Orders, stripe: Stripe, keys: Keys, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let buyer = &principal(&request, s.keys.verifier())?;
    let rule = KeyRule::Required;
    let once = s
        .idempotent
        .post(request, buyer.into(), rule, |order: NewOrder| async move {
            let now = shared::clock::now();
            let placed = s.orders.checkout(buyer, order, &s.stripe, now).await?;
            json(StatusCode::CREATED, &placed)
        });
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-create/create.json");

    #[tokio::test]
    async fn a_checkout_needs_a_token_and_an_idempotency_key_before_the_table() {
        // A checkout needs a token and an idempotency key.
        assert_eq!(testing::call(SAMPLE, create).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        let without_key = signed_in.replace("\"idempotency-key\"", "\"x-unused\"");
        let (status, problem) = testing::call(&without_key, create).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("idempotency_key_required"))
        );
        // With both the key is claimed first and an unreachable table is a 503.
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, create).await.0, 503);
    }
}
