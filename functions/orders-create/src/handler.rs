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
    // The order's id is the key's: a retry after a failure half-way finds the order.
    let checkout = async |order: NewOrder, now, id| {
        let placed = s.orders.checkout(buyer, id, order, &s.stripe, now).await?;
        json(StatusCode::CREATED, &placed)
    };
    s.idempotent
        .requiring_key()
        .post_reserving(request, buyer.into(), checkout)
        .await
}

#[cfg(test)]
mod tests;
