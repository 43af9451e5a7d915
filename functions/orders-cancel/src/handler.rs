//! A cancellation: the stock comes back once, a paid order's money is refunded.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::{Idempotent, KeyRule};
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
    let once = s
        .idempotent
        .run(request, caller.into(), KeyRule::Honoured, |_| async move {
            let now = shared::clock::now();
            let cancelled = s.orders.cancel(caller, &id, &s.stripe, now).await?;
            json(StatusCode::OK, &cancelled)
        });
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-cancel/cancel.json");

    #[tokio::test]
    async fn a_token_is_needed_and_a_bad_key_is_named_before_any_read() {
        assert_eq!(testing::call(SAMPLE, cancel).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, cancel).await.0, 503);
        let long_key = testing::with_header(&signed_in, "idempotency-key", &"k".repeat(256));
        assert_eq!(testing::call(&long_key, cancel).await.0, 400);
    }
}
