//! A cancellation: the stock comes back once, a paid order's money is refunded.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, Stripe for a refund, the gate (owners, and admins confirmed) and the keys.
    pub struct State { orders: Orders, stripe: Stripe, gate: Gate, idempotent: Idempotent }
}

pub async fn cancel(s: &State, request: Request) -> HandlerResult {
    let caller = &s.gate.confirmed(&request).await?;
    let id = path_id(&request, "id")?;
    let cancel = async |now| {
        json(
            StatusCode::OK,
            &s.orders.cancel(caller, &id, &s.stripe, now).await?,
        )
    };
    s.idempotent.act(request, caller.into(), cancel).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bad_key_is_named_before_any_read_and_a_token_is_needed() {
        let sample = include_str!("../../../events/orders-cancel/cancel.json");
        let signed_in = shared::testing::as_role(sample, shared::auth::Role::Customer);
        let long_key =
            shared::testing::with_header(&signed_in, "idempotency-key", &"k".repeat(256));
        assert_eq!(shared::testing::call(&long_key, cancel).await.0, 400);
        shared::testing::assert_signed_in_gate(sample, cancel).await;
    }
}
