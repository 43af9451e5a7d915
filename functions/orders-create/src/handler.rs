//! A checkout: the order, its stock and its payment, once per Idempotency-Key; a signed-in
//! customer's, or a guest's (an `email` and no token).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::{has_credentials, principal};
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, json_body};
use shared::idempotency::Caller;
use shared::orders::guest;
use shared::orders::model::NewOrder;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::secrets::Keys;

shared::state! {
    /// The orders, Stripe for the payment, the keys that check the buyer's token (and seal a
    /// guest's), and the idempotency keys.
    pub struct State { orders: Orders, stripe: Stripe, keys: Keys, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let buyer = if has_credentials(&request) {
        Some(principal(&request, s.keys.verifier())?)
    } else {
        None
    };
    // A guest's keys are scoped by the order's email: nobody else's checkout shares them.
    let guest_key = match &buyer {
        Some(_) => String::new(),
        None => guest::email_key(&json_body::<serde_json::Value>(&request, &[])?)?,
    };
    let caller = match &buyer {
        Some(buyer) => buyer.into(),
        None => Caller::Guest(&guest_key),
    };
    // The order's id is the key's: a retry after a failure half-way finds the order.
    let checkout = async |order: NewOrder, now, id| {
        let token_key = s.keys.order_token_key();
        let placed = s
            .orders
            .checkout(buyer.as_ref(), id, order, &s.stripe, token_key, now)
            .await?;
        json(StatusCode::CREATED, &placed)
    };
    s.idempotent
        .requiring_key()
        .post_reserving(request, caller, checkout)
        .await
}

#[cfg(test)]
mod tests;
