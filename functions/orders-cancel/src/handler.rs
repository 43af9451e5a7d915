//! A cancellation: the stock comes back once, a paid order's money is refunded.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, path_id};
use shared::idempotency::Caller;
use shared::orders::service::Orders;
use shared::payments::PaymentProvider;

pub async fn cancel(
    orders: &Orders,
    accounts: &Accounts,
    payments: &impl PaymentProvider,
    idempotent: &Idempotent,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::confirmed(&request, verifier, accounts).await?;
    let principal = &principal;
    let id = path_id(&request, "id")?;
    let caller = Caller::User(&principal.user_id);
    idempotent
        .run(request, caller, KeyRule::Honoured, |_| async move {
            let cancelled = orders
                .cancel(principal, &id, payments, shared::clock::now())
                .await?;
            json(StatusCode::OK, &cancelled)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-cancel/cancel.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let (orders, idempotent) = (testing::orders().await, testing::idempotent().await);
        let stripe = testing::stripe();
        testing::call(event, |r| {
            cancel(&orders, &accounts, &stripe, &idempotent, keys.verifier(), r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn a_token_is_needed_and_a_bad_key_is_named_before_any_read() {
        assert_eq!(call(SAMPLE).await, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(call(&signed_in).await, 503);
        let long_key = testing::with_header(&signed_in, "idempotency-key", &"k".repeat(256));
        assert_eq!(call(&long_key).await, 400);
    }
}
