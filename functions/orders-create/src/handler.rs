//! A checkout: the order, its stock and its payment, once per Idempotency-Key.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::principal;
use shared::http::idempotency::Idempotent;
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
    let checkout = async |order: NewOrder, now| {
        let placed = s.orders.checkout(buyer, order, &s.stripe, now).await?;
        json(StatusCode::CREATED, &placed)
    };
    s.idempotent
        .requiring_key()
        .post(request, buyer.into(), checkout)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_checkout_needs_a_token_and_an_idempotency_key() {
        let sample = include_str!("../../../events/orders-create/create.json");
        let signed_in = shared::testing::as_role(sample, shared::auth::Role::Customer);
        let without_key = signed_in.replace("\"idempotency-key\"", "\"x-unused\"");
        let (status, problem) = shared::testing::call(&without_key, create).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("idempotency_key_required"))
        );
        shared::testing::assert_signed_in_gate(sample, create).await;
    }
}
